/**
 * The file `swarm login` writes: the server's URL and an API token, in the user's config directory
 * (`$XDG_CONFIG_HOME/swarm/config.json`). The token is a credential: the directory is 0700 and
 * the file 0600, and both are tightened again if they were created looser.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { CliError, EXIT } from './exit-codes.ts';

const configSchema = z.object({ url: z.string().url(), token: z.string().min(1) });
export type StoredLogin = z.infer<typeof configSchema>;

export const configFile = (configDir: string) => join(configDir, 'config.json');

export async function readLogin(configDir: string): Promise<StoredLogin | undefined> {
  let text: string;
  try {
    text = await readFile(configFile(configDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`${configFile(configDir)}: not JSON; run swarm login again`, EXIT.auth);
  }
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(
      `${configFile(configDir)}: ${issue?.path.join('.') || 'file'}: ${issue?.message}; run swarm login again`,
      EXIT.auth,
    );
  }
  return parsed.data;
}

export async function writeLogin(configDir: string, login: StoredLogin): Promise<string> {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  await chmod(configDir, 0o700);
  const file = configFile(configDir);
  // Written under a temporary name with 0600 from the start, then renamed: the token is never
  // readable by others, not even for a moment, and a crash never leaves half a file.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
  return file;
}
