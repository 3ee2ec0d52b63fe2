/** `--input '{"q":1}'` or `--input @file.json` (or `@-` for stdin): the run's input as JSON. */
import { readFile } from 'node:fs/promises';
import { CliError, EXIT } from './exit-codes.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function parseRunInput(value: string | undefined): Promise<unknown> {
  if (value === undefined) return undefined;
  let text = value;
  let where = '--input';
  if (value.startsWith('@')) {
    const path = value.slice(1);
    where = path === '-' ? 'stdin' : path;
    try {
      text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
    } catch (error) {
      throw new CliError(`--input ${value}: ${(error as Error).message}`, EXIT.usage);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${where}: not JSON (${(error as Error).message})`, EXIT.usage);
  }
}
