/**
 * The `swarm` command line: workflows as files in git (`pull`, `diff`, `push`), runs from scripts
 * and CI (`run`, `runs`), files (`export`, `import`) and operator tasks (`admin`). Every command
 * takes `--json`; exit codes are in `exit-codes.ts` and `docs/cli.md`.
 */
import { Command, CommanderError } from 'commander';
import { registerAdmin } from './commands/admin.ts';
import { registerDiff } from './commands/diff.ts';
import { registerLogin } from './commands/login.ts';
import { registerPull } from './commands/pull.ts';
import { registerPush } from './commands/push.ts';
import { registerRun } from './commands/run.ts';
import { registerTransfer } from './commands/transfer.ts';
import { parseCliEnv } from './env.ts';
import { EXIT } from './exit-codes.ts';

declare const SWARM_CLI_VERSION: string;

const env = parseCliEnv(process.env);
const program = new Command('swarm')
  .description('SWARM from the command line: workflows as files in git, runs from scripts and CI')
  .version(typeof SWARM_CLI_VERSION === 'string' ? SWARM_CLI_VERSION : '0.0.0-dev')
  .option('--json', 'machine-readable output on stdout')
  .option('--url <url>', 'the SWARM server (default: SWARM_URL, then swarm login)')
  .option('--token <token>', 'an API token (default: SWARM_TOKEN, then swarm login)')
  .showHelpAfterError()
  .exitOverride();

registerLogin(program, env);
registerPull(program, env);
registerDiff(program, env);
registerPush(program, env);
registerRun(program, env);
registerTransfer(program, env);
registerAdmin(program, env);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CommanderError)) throw error;
  // Help and version exit 0; every other parse error is a usage error (exit 2, documented).
  const quiet = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
  process.exitCode = quiet ? EXIT.ok : EXIT.usage;
}
