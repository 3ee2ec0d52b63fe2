/**
 * Everything `swarm` prints goes through here: results on stdout (as JSON with `--json`, for
 * scripts), progress and notes on stderr, and colour only when that stream is a terminal and
 * `NO_COLOR` is unset, so piped output and CI logs stay plain text.
 */
import { stderr, stdout } from 'node:process';

export interface Output {
  json: boolean;
  /** A result: an object printed as JSON with `--json`, else the text lines of `human`. */
  result(value: unknown, human: () => string | string[]): void;
  /** Progress for people: on stderr, only on a terminal and never with `--json`. */
  progress(text: string): void;
  /** A note or warning: always on stderr (scripts' stdout stays parseable). */
  note(text: string): void;
  color: Colors;
}

export interface Colors {
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

function colors(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}

export function createOutput(options: { json?: boolean | undefined }, env: { noColor: boolean }): Output {
  const json = options.json === true;
  const interactive = stderr.isTTY === true;
  return {
    json,
    color: colors(!json && stdout.isTTY === true && !env.noColor),
    result(value, human) {
      if (json) {
        stdout.write(`${JSON.stringify(value, null, 2)}\n`);
        return;
      }
      const text = human();
      const lines = Array.isArray(text) ? text : [text];
      if (lines.length > 0) stdout.write(`${lines.join('\n')}\n`);
    },
    progress(text) {
      if (interactive && !json) stderr.write(`${text}\n`);
    },
    note(text) {
      stderr.write(`${text}\n`);
    },
  };
}
