/**
 * `swarm login` (checks the token against the server, then stores URL and token with 0600) and
 * `swarm whoami`.
 */
import { stderr, stdin } from 'node:process';
import { createInterface } from 'node:readline/promises';
import { createSwarmClient } from '@swarm/client';
import type { Command } from 'commander';
import { action } from '../command-context.ts';
import { writeLogin } from '../config-file.ts';
import type { CliEnv } from '../env.ts';
import { CliError, EXIT } from '../exit-codes.ts';

/** Reads a token from the terminal without echoing it, or one line from a pipe. */
async function promptToken(): Promise<string> {
  const muted = stdin.isTTY === true;
  const rl = createInterface({ input: stdin, output: stderr, terminal: muted });
  if (muted) {
    // Echo nothing of what is typed after the prompt.
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (text: string) => {
      if (text.startsWith('API token')) write.call(rl, text);
    };
  }
  try {
    const answer = await rl.question('API token (create one in Settings → API tokens): ');
    if (muted) stderr.write('\n');
    return answer.trim();
  } finally {
    rl.close();
  }
}

export function registerLogin(program: Command, env: CliEnv): void {
  program
    .command('login')
    .description('store the server URL and an API token in your config directory')
    .action(
      action(env, async ({ out, options }) => {
        const url = (options.url ?? env.url)?.replace(/\/+$/, '');
        if (!url) throw new CliError('login needs --url URL (or SWARM_URL)', EXIT.usage);
        const token = options.token ?? env.token ?? (await promptToken());
        if (!token) throw new CliError('no token given', EXIT.usage);
        const me = await createSwarmClient({ url, token }).auth.me.query();
        const file = await writeLogin(env.configDir, { url, token });
        out.result({ url, user: { id: me.id, email: me.email }, configFile: file }, () => [
          `${out.color.green('logged in')} to ${url} as ${me.email}`,
          out.color.dim(`token stored in ${file}`),
        ]);
        return EXIT.ok;
      }),
    );

  program
    .command('whoami')
    .description('the user the stored (or given) token belongs to')
    .action(
      action(env, async ({ out, connect }) => {
        const { client, url } = await connect();
        const me = await client.auth.me.query();
        out.result({ url, user: me }, () => `${me.email} on ${url}`);
        return EXIT.ok;
      }),
    );
}
