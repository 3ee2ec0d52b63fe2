import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { expect, test } from 'vitest';
import type { ScheduleFire } from './schedule-form.ts';
import { FireItem } from './schedule-history.tsx';

const at = new Date('2026-03-08T07:00:00Z');
const fire = (patch: Partial<ScheduleFire>): ScheduleFire => ({
  id: 'f1',
  fireAt: at,
  outcome: 'started',
  reason: null,
  createdAt: at,
  runs: [],
  ...patch,
});
const render = (value: ScheduleFire) =>
  renderToStaticMarkup(
    <MemoryRouter>
      <FireItem fire={value} timezone="America/New_York" />
    </MemoryRouter>,
  );

test('skipped and missed occurrences show their outcome, wall time in the zone and reason', () => {
  const skipped = render(
    fire({ outcome: 'skipped', reason: 'the previous run was still running (overlap: skip)' }),
  );
  expect(skipped).toContain('data-outcome="skipped"');
  expect(skipped).toContain('Skipped');
  expect(skipped).toContain('Sun, 2026-03-08 03:00');
  expect(skipped).toContain('the previous run was still running (overlap: skip)');

  const missed = render(fire({ outcome: 'missed', reason: 'no runner was up (missed: none)' }));
  expect(missed).toContain('Missed');
  expect(missed).toContain('no runner was up (missed: none)');
});

test('started and retried occurrences link to each of their runs', () => {
  const run = (id: string, attempt: number, status: 'failed' | 'succeeded') => ({
    id,
    status,
    triggerAttempt: attempt,
    createdAt: at,
    startedAt: at,
    finishedAt: at,
  });
  const html = render(
    fire({
      outcome: 'failed',
      reason: 'failed after 2 attempts',
      runs: [run('r1', 1, 'failed'), run('r2', 2, 'failed')],
    }),
  );
  expect(html).toContain('Failed');
  expect(html).toContain('href="/runs/r1"');
  expect(html).toContain('href="/runs/r2"');
  expect(html).toContain('attempt 2: failed');

  const started = render(fire({ runs: [run('r3', 1, 'succeeded')] }));
  expect(started).toContain('href="/runs/r3"');
  expect(started).toContain('run: succeeded');
});
