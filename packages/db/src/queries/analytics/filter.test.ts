import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsSummary, analyticsTrends, trendsInputSchema } from './index.ts';
import { expectDomainError, filter, NOW, useSeededLedger } from './test-ledger.ts';

const { database, seeded } = useSeededLedger();
let owner: string;
let other: string;
let otherWorkflow: string;
beforeAll(() => {
  ({ owner, other, otherWorkflow } = seeded);
});

describe('analytics bad input', () => {
  it('refuses a reversed range, naming the field', async () => {
    await expectDomainError(
      analyticsSummary(
        database.db,
        owner,
        filter({ from: '2026-11-20T00:00:00Z', to: '2026-11-10T00:00:00Z' }),
        { now: NOW },
      ),
      'BAD_REQUEST',
      'to',
    );
  });

  it('refuses a range over two years', async () => {
    await expectDomainError(
      analyticsSummary(
        database.db,
        owner,
        filter({ from: '2022-01-01T00:00:00Z', to: '2026-11-10T00:00:00Z' }),
        { now: NOW },
      ),
      'BAD_REQUEST',
      'from',
    );
  });

  it('refuses hourly trends over months', async () => {
    await expectDomainError(
      analyticsTrends(
        database.db,
        owner,
        { ...filter({ from: '2026-01-01T00:00:00Z', to: '2026-11-10T00:00:00Z' }), interval: 'hour' },
        { now: NOW },
      ),
      'BAD_REQUEST',
      'interval',
    );
  });

  it("answers NOT_FOUND for an unknown workflow or someone else's", async () => {
    await expectDomainError(
      analyticsSummary(database.db, owner, filter({ workflowId: otherWorkflow })),
      'NOT_FOUND',
    );
    await expectDomainError(
      analyticsSummary(database.db, owner, filter({ workflowId: '00000000-0000-4000-8000-000000000000' })),
      'NOT_FOUND',
    );
  });

  it('refuses absurd dates, unknown time zones and intervals at the schema', () => {
    const paths = (input: unknown) =>
      trendsInputSchema.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ interval: 'day', from: 'yesterday-ish' })).toContain('from');
    expect(paths({ interval: 'day', to: '1970-01-01T00:00:00Z' })).toContain('to');
    expect(paths({ interval: 'day', timeZone: 'Mars/Olympus_Mons' })).toContain('timeZone');
    expect(paths({ interval: 'week' })).toContain('interval');
    expect(paths({ interval: 'day', workflowId: 'nope' })).toContain('workflowId');
  });

  it("never shows another owner's spend", async () => {
    const { totals } = await analyticsSummary(database.db, other, filter({}), { now: NOW });
    expect(totals.allTime).toMatchObject({ costMicros: 999_999, attempts: 1 });
  });
});
