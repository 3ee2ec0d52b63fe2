/**
 * The exit codes of `swarm`, documented in `docs/cli.md`: scripts and CI branch on them, so each
 * outcome has its own number and they never change meaning.
 */
export const EXIT = {
  ok: 0,
  /** Anything unexpected: the server answered an error, the network failed. */
  error: 1,
  /** Bad arguments or a bad local file (nothing was changed). */
  usage: 2,
  /** Not logged in, or the server refused the token. */
  auth: 3,
  /** `push` refused: a workflow changed on the server since the last pull (use `--force`). */
  conflict: 4,
  /** `run --wait`: the run failed. */
  runFailed: 10,
  /** `run --wait`: the run was cancelled. */
  runCancelled: 11,
  /** `run --wait`: the run timed out (its own timeout, or `--timeout` while waiting). */
  runTimedOut: 12,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI means: printed as its message alone (no stack), exiting with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode = EXIT.error,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
