/**
 * The environment `swarm` reads, parsed once at start-up (like every app's `env.ts`): the rest of
 * the CLI takes these values as arguments. Documented in `docs/cli.md` and
 * `docs/configuration.md`.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const optional = z
  .string()
  .optional()
  .transform((value) => (value?.trim() ? value.trim() : undefined));

const schema = z.object({
  SWARM_URL: optional,
  SWARM_TOKEN: optional,
  XDG_CONFIG_HOME: optional,
  NO_COLOR: optional,
  DATABASE_URL: optional,
  SWARM_SECRET_KEY: optional,
  SWARM_SECRET_KEYS: optional,
  SWARM_DEBUG: optional,
});

export interface CliEnv {
  url: string | undefined;
  token: string | undefined;
  /** Where `swarm login` keeps its file: `$XDG_CONFIG_HOME/swarm`, else `~/.config/swarm`. */
  configDir: string;
  noColor: boolean;
  databaseUrl: string | undefined;
  secretKey: string | undefined;
  secretKeys: string | undefined;
  /** Print stack traces of unexpected errors. */
  debug: boolean;
}

export function parseCliEnv(source: Record<string, string | undefined>): CliEnv {
  const env = schema.parse(source);
  return {
    url: env.SWARM_URL,
    token: env.SWARM_TOKEN,
    configDir: join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'swarm'),
    noColor: env.NO_COLOR !== undefined,
    databaseUrl: env.DATABASE_URL,
    secretKey: env.SWARM_SECRET_KEY,
    secretKeys: env.SWARM_SECRET_KEYS,
    debug: env.SWARM_DEBUG !== undefined,
  };
}
