/**
 * `pnpm drill` runs every fault drill at full size against real processes and prints a pass/fail
 * table; `pnpm drill <name>` runs one. Exit code 1 when any drill fails.
 */
import type { Drill, DrillResult } from './lib.ts';
import { poisonExpression } from './poison-expression.ts';
import { postgresRestart } from './postgres-restart.ts';
import { runnerSigkill } from './runner-sigkill.ts';
import { runnerSigstop } from './runner-sigstop.ts';
import { sigtermDrain } from './sigterm-drain.ts';
import { webhookBurst } from './webhook-burst.ts';

/** The report goes to stdout (the linter keeps `console.log` out of the codebase). */
const say = (text: string) => process.stdout.write(`${text}\n`);

// biome-ignore lint/suspicious/noExplicitAny: each drill has its own size shape
const drills: Drill<any>[] = [
  runnerSigkill,
  runnerSigstop,
  postgresRestart,
  webhookBurst,
  sigtermDrain,
  poisonExpression,
];

const wanted = process.argv.slice(2).filter((arg) => arg !== '--');
const unknown = wanted.filter((name) => !drills.some((d) => d.name === name));
if (unknown.length > 0) {
  console.error(`Unknown drill ${unknown.join(', ')}. Known: ${drills.map((d) => d.name).join(', ')}.`);
  process.exit(2);
}
const selected = wanted.length === 0 ? drills : drills.filter((d) => wanted.includes(d.name));

const rows: Array<{ drill: Drill<unknown>; result: DrillResult; seconds: number }> = [];
for (const drill of selected) {
  say(`\n▶ ${drill.name}: ${drill.proves} (${JSON.stringify(drill.size)})`);
  const started = Date.now();
  let result: DrillResult;
  try {
    result = await drill.run(drill.size);
  } catch (error) {
    result = { figures: '—', failures: [`the drill itself failed: ${(error as Error).stack ?? error}`] };
  }
  const seconds = (Date.now() - started) / 1000;
  rows.push({ drill, result, seconds });
  say(`  ${result.failures.length === 0 ? 'PASS' : 'FAIL'} in ${seconds.toFixed(1)} s — ${result.figures}`);
  for (const failure of result.failures) say(`  ✗ ${failure}`);
}

const header = ['drill', 'proves', 'figures', 's', 'result'];
const body = rows.map(({ drill, result, seconds }) => [
  drill.name,
  drill.proves,
  result.figures,
  seconds.toFixed(0),
  result.failures.length === 0 ? 'PASS' : 'FAIL',
]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
say(`\nFault drills — ${new Date().toISOString()}`);
say(line(header));
say(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of body) say(line(row));
const failed = rows.filter((r) => r.result.failures.length > 0);
for (const { drill, result } of failed) {
  say(`\n${drill.name} FAILED:`);
  for (const failure of result.failures) say(`  - ${failure}`);
}
process.exit(failed.length > 0 ? 1 : 0);
