import { describe, expect, it } from 'vitest';
import type { CronOccurrence } from './cron.ts';
import {
  abandonedFiringReason,
  checkSchedulePolicy,
  dueOccurrences,
  firingHorizon,
  formatLateness,
  hasRetryLeft,
  MAX_FIRES_PER_CATCH_UP,
  nextFireAfter,
  type OccurrencePlan,
  overlapOutcome,
  planOccurrences,
  retryDelayMs,
  SCHEDULE_GRACE_MS,
  withDroppedNote,
} from './schedule-policy.ts';

const at = (iso: string) => new Date(iso);
const hourly = (hours: string[]): CronOccurrence[] =>
  hours.map((h) => ({ at: at(`2026-06-01T${h}:00:00Z`), local: `2026-06-01 ${h}:00`, utcOffsetMinutes: 0 }));

describe('the occurrences a firing processes', () => {
  it('runs from the due occurrence up to the horizon, look-ahead included', () => {
    const now = at('2026-06-01T03:59:59Z');
    expect(firingHorizon({ now, lookAheadMs: 2000 })).toEqual(at('2026-06-01T04:00:01Z'));
    expect(firingHorizon({ now, lookAheadMs: -5 })).toEqual(now);
    const { occurrences, dropped } = dueOccurrences(
      { cron: '0 * * * *', timezone: 'UTC', nextFireAt: at('2026-06-01T01:00:00Z') },
      { now, lookAheadMs: 2000 },
    );
    expect(occurrences.map((o) => o.at.toISOString())).toEqual([
      '2026-06-01T01:00:00.000Z',
      '2026-06-01T02:00:00.000Z',
      '2026-06-01T03:00:00.000Z',
      '2026-06-01T04:00:00.000Z',
    ]);
    expect(dropped).toBe(0);
  });

  it('always processes a hand-set due time, even one the cron would not produce', () => {
    const { occurrences } = dueOccurrences(
      { cron: '0 * * * *', timezone: 'Europe/Berlin', nextFireAt: at('2026-06-01T01:17:00Z') },
      { now: at('2026-06-01T01:30:00Z') },
    );
    expect(occurrences).toEqual([
      { at: at('2026-06-01T01:17:00Z'), local: '2026-06-01 03:17', utcOffsetMinutes: 120 },
    ]);
  });

  it('keeps the newest occurrences of a long catch-up and counts the rest', () => {
    const { occurrences, dropped, droppedAtLeast } = dueOccurrences(
      { cron: '* * * * *', timezone: 'UTC', nextFireAt: at('2026-06-01T00:01:00Z') },
      { now: at('2026-06-02T00:00:00Z') },
    );
    expect(occurrences).toHaveLength(MAX_FIRES_PER_CATCH_UP);
    expect(occurrences.at(-1)!.at).toEqual(at('2026-06-02T00:00:00Z'));
    expect(dropped).toBe(24 * 60 - MAX_FIRES_PER_CATCH_UP);
    expect(droppedAtLeast).toBe(false);
    expect(withDroppedNote('missed', at('2026-06-01T00:01:00Z'), 940, false)).toBe(
      `missed; 940 earlier occurrences since 2026-06-01T00:01:00.000Z were not recorded (at most ${MAX_FIRES_PER_CATCH_UP} per catch-up)`,
    );
    expect(withDroppedNote('missed', at('2026-06-01T00:01:00Z'), 940, true)).toContain(
      'more than 940 earlier',
    );
  });

  it('finds the next occurrence strictly after a time, or none', () => {
    expect(nextFireAfter('0 * * * *', 'UTC', at('2026-06-01T01:00:00Z'))).toEqual(at('2026-06-01T02:00:00Z'));
    expect(nextFireAfter('0 0 1 1 *', 'UTC', at('2026-06-01T01:00:00Z'))).toEqual(at('2027-01-01T00:00:00Z'));
  });
});

describe('the missed-runs policy', () => {
  // Hourly from 01:00; the scheduler comes back at 05:30 (four and a half hours late).
  const occurrences = hourly(['01', '02', '03', '04', '05']);
  const now = at('2026-06-01T05:30:00Z');
  const plan = (missed: 'none' | 'latest' | 'all', missedWindowSeconds = 86_400) =>
    planOccurrences({ timezone: 'UTC', missed, missedWindowSeconds }, occurrences, now);

  it('none: every late occurrence is missed', () => {
    const plans = plan('none');
    expect(plans.map((p) => p.decision)).toEqual(['missed', 'missed', 'missed', 'missed', 'missed']);
    expect(plans[0]!.reason).toBe('no runner was running at 2026-06-01 01:00 UTC (missed runs: none)');
  });

  it('latest: only the newest late one fires, saying how late', () => {
    const plans = plan('latest');
    expect(plans.map((p) => p.decision)).toEqual(['missed', 'missed', 'missed', 'missed', 'fire']);
    expect(plans[4]!.reason).toBe(
      'started 30 min late: no runner was running at 2026-06-01 05:00 UTC (missed runs: latest)',
    );
    expect(plans[0]!.reason).toContain('only the latest occurrence (2026-06-01 05:00) runs');
  });

  it('all: every late one inside the window fires; older ones are missed', () => {
    const plans = plan('all', 7200);
    expect(plans.map((p) => p.decision)).toEqual(['missed', 'missed', 'missed', 'fire', 'fire']);
    expect(plans[0]!.reason).toContain('older than the missed-runs window of 2 h');
  });

  it('an occurrence within the grace is on time, and then no late one fires under latest', () => {
    const onTime = new Date(occurrences[4]!.at.getTime() + SCHEDULE_GRACE_MS);
    const plans = planOccurrences(
      { timezone: 'UTC', missed: 'latest', missedWindowSeconds: 86_400 },
      occurrences,
      onTime,
    );
    expect(plans.map((p) => [p.decision, p.reason === null])).toEqual([
      ['missed', false],
      ['missed', false],
      ['missed', false],
      ['missed', false],
      ['fire', true],
    ]);
  });
});

describe('the overlap policy', () => {
  const [occurrence] = hourly(['01']);
  const fire: OccurrencePlan = { occurrence: occurrence!, decision: 'fire', reason: null };
  const missed: OccurrencePlan = { occurrence: occurrence!, decision: 'missed', reason: 'downtime' };
  const idle = { active: 0, queued: false };
  const busy = { active: 1, queued: false };

  it('starts whenever nothing is active, or always under allow', () => {
    for (const overlap of ['skip', 'queue-one', 'allow'] as const)
      expect(overlapOutcome(fire, overlap, idle)).toEqual({ outcome: 'started', reason: null });
    expect(overlapOutcome(fire, 'allow', busy).outcome).toBe('started');
  });

  it('records a missed occurrence as missed whatever runs', () => {
    expect(overlapOutcome(missed, 'skip', busy)).toEqual({ outcome: 'missed', reason: 'downtime' });
  });

  it('skip skips; queue-one queues one and skips the next', () => {
    expect(overlapOutcome(fire, 'skip', busy)).toEqual({
      outcome: 'skipped',
      reason: 'previous run still running (overlap: skip)',
    });
    expect(overlapOutcome(fire, 'queue-one', busy).outcome).toBe('queued');
    expect(overlapOutcome(fire, 'queue-one', { active: 1, queued: true })).toEqual({
      outcome: 'skipped',
      reason: 'previous run still running and one occurrence already waiting (overlap: queue-one)',
    });
  });
});

describe('words and numbers', () => {
  it('formats lateness', () => {
    expect(formatLateness(45_000)).toBe('45 s');
    expect(formatLateness(3 * 60_000)).toBe('3 min');
    expect(formatLateness(2 * 3_600_000)).toBe('2 h');
    expect(formatLateness(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 5 min');
    expect(formatLateness(5 * 86_400_000)).toBe('5 days');
  });

  it('backs retries off exponentially, at most an hour', () => {
    expect([1, 2, 3].map((attempt) => retryDelayMs(10, attempt))).toEqual([10_000, 20_000, 40_000]);
    expect(retryDelayMs(3000, 3)).toBe(3_600_000);
    expect([1, 2, 3].map((attempt) => hasRetryLeft(attempt, 2))).toEqual([true, true, false]);
  });

  it('says how often a firing was given up', () => {
    expect(abandonedFiringReason(1)).toContain('once before');
    expect(abandonedFiringReason(3)).toContain('3 times before');
  });

  it('names every policy setting out of bounds', () => {
    expect(() => checkSchedulePolicy({ retryLimit: 10, missedWindowSeconds: 60 })).not.toThrow();
    try {
      checkSchedulePolicy({ retryLimit: 11, retryDelaySeconds: 0.5, overlap: 'never' as never });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'BAD_REQUEST',
        issues: [
          { path: 'retryLimit', message: 'a whole number from 0 to 10' },
          { path: 'retryDelaySeconds', message: 'a whole number from 1 to 86400' },
          { path: 'overlap', message: 'one of skip, queue-one, allow' },
        ],
      });
    }
  });
});
