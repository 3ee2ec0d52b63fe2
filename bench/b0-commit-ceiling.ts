/**
 * B0 — the database's commit ceiling on this box, right now: pgbench's one-row INSERT script, each
 * statement its own transaction with synchronous_commit on, at 1, 8 and 32 clients (`C_sync(c)`).
 * These are baseline rows: B2 divides by `C_sync(32)`, and every other figure is easier to read
 * next to them. The scratch database is dropped afterwards.
 */
import { createTestDatabase, findTestServer, prepareTestTemplate } from '@swarm/db/testing';
import { type Benchmark, type BenchResult, pgbenchInsertTps, rateRow, repoRoot } from './lib.ts';

const CLIENTS = [1, 8, 32];
const SECONDS = Number(process.env.B0_SECONDS ?? 10);

export const b0: Benchmark = {
  id: 'B0',
  title: 'commit ceiling: pgbench one-row INSERT, synchronous_commit on',
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = {};
    const pg = await findTestServer(repoRoot);
    const template = await prepareTestTemplate(pg.adminUrl);
    const database = await createTestDatabase(pg.adminUrl, template);
    try {
      const [{ server_version, synchronous_commit }] = (await database.sql`
        select current_setting('server_version') as server_version,
          current_setting('synchronous_commit') as synchronous_commit`) as unknown as [
        { server_version: string; synchronous_commit: string },
      ];
      versions.postgres = server_version;
      const rows = [];
      for (const clients of CLIENTS) {
        const tps = await pgbenchInsertTps(database.url, clients, SECONDS);
        rows.push(
          rateRow(
            `C_sync(${clients}) — pgbench INSERT, ${clients} client${clients === 1 ? '' : 's'}`,
            // pgbench reports no latency percentiles here; the mean latency is clients / TPS.
            { perSecond: tps, p50Ms: Number.NaN, p99Ms: Number.NaN, samples: Math.round(tps * SECONDS) },
            null,
          ),
        );
      }
      return {
        parameters: { clients: CLIENTS, secondsEach: SECONDS, script: 'insert one row', synchronous_commit },
        versions,
        rows,
        notes: [
          `synchronous_commit = ${synchronous_commit} on this server; samples = TPS × seconds (transactions committed)`,
        ],
      };
    } finally {
      await database.drop().catch(() => {});
    }
  },
};
