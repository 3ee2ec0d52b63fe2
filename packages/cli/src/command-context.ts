/**
 * What every command's action gets — the parsed environment, the output (JSON or text), the
 * global options — and the one place errors become messages and exit codes.
 */
import type { Command } from 'commander';
import { type Connection, connect, explainApiError } from './connection.ts';
import type { CliEnv } from './env.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { createOutput, type Output } from './output.ts';

export interface GlobalOptions {
  json?: boolean;
  url?: string;
  token?: string;
}

export interface CommandContext {
  env: CliEnv;
  out: Output;
  options: GlobalOptions;
  /** The typed client on the configured server (fails with exit 3 when not logged in). */
  connect(): Promise<Connection>;
}

/**
 * Wraps a command's action: builds its context from the options (the command's own and the global
 * ones) and turns what it throws into a message on stderr (and `{ "error": … }` on stdout with
 * `--json`) and the exit code. An action returns the exit code, 0 by default.
 */
export function action<Args extends unknown[]>(
  env: CliEnv,
  run: (context: CommandContext, ...args: Args) => Promise<number | undefined>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const options = command.optsWithGlobals<GlobalOptions>();
    const out = createOutput(options, env);
    const context: CommandContext = {
      env,
      out,
      options,
      connect: () => connect(options, env),
    };
    try {
      process.exitCode = (await run(context, ...(args.slice(0, -1) as Args))) ?? EXIT.ok;
    } catch (raw) {
      const error = explainApiError(raw);
      const code = error instanceof CliError ? error.code : EXIT.error;
      const message = error instanceof Error ? error.message : String(error);
      if (out.json) {
        process.stdout.write(
          `${JSON.stringify({ error: { message, exitCode: code, ...(error instanceof CliError && error.details ? { details: error.details } : {}) } }, null, 2)}\n`,
        );
      }
      process.stderr.write(`${out.color.red('error')}: ${message}\n`);
      if (!(error instanceof CliError) && error instanceof Error && error.stack && env.debug) {
        process.stderr.write(`${error.stack}\n`);
      }
      process.exitCode = code;
    }
  };
}
