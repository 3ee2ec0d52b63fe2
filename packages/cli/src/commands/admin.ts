/**
 * `swarm admin migrate` and `swarm admin reencrypt-credentials`: operator commands against
 * `DATABASE_URL` (and the keys in `SWARM_SECRET_KEY` / `SWARM_SECRET_KEYS`), not the API.
 */
import type { Command } from 'commander';
import { action } from '../command-context.ts';
import type { CliEnv } from '../env.ts';
import { CliError, EXIT } from '../exit-codes.ts';

function databaseUrl(env: CliEnv): string {
  if (!env.databaseUrl)
    throw new CliError('DATABASE_URL is not set: point it at the SWARM database', EXIT.usage);
  return env.databaseUrl;
}

export function registerAdmin(program: Command, env: CliEnv): void {
  const admin = program.command('admin').description('operator tasks against DATABASE_URL');
  admin
    .command('migrate')
    .description('bring the database to the current schema (SQL migrations, then the job queue)')
    .action(
      action(env, async ({ out }) => {
        const url = databaseUrl(env);
        const { migrateDatabase } = await import('../admin-tasks.ts');
        out.progress('migrating…');
        await migrateDatabase(url);
        out.result(
          { migrated: true },
          () => 'migrations applied (SWARM tables and the pg-boss queue schema)',
        );
        return EXIT.ok;
      }),
    );
  admin
    .command('reencrypt-credentials')
    .description(
      'move every stored provider key and webhook secret onto SWARM_SECRET_KEY (old keys in SWARM_SECRET_KEYS)',
    )
    .action(
      action(env, async ({ out }) => {
        const url = databaseUrl(env);
        if (!env.secretKey)
          throw new CliError('SWARM_SECRET_KEY is not set: the key to move onto', EXIT.usage);
        const { reencryptAll } = await import('../admin-tasks.ts');
        let counts: Awaited<ReturnType<typeof reencryptAll>>;
        try {
          counts = await reencryptAll(url, { current: env.secretKey, others: env.secretKeys });
        } catch (error) {
          if ((error as Error).name === 'SecretKeyConfigError')
            throw new CliError((error as Error).message, EXIT.usage);
          throw error;
        }
        const failed = counts.credentials.failed + counts.webhookSecrets.failed;
        out.result(counts, () => [
          `provider keys: ${counts.credentials.reencrypted} re-encrypted, ${counts.credentials.failed} failed`,
          `webhook secrets: ${counts.webhookSecrets.reencrypted} re-encrypted, ${counts.webhookSecrets.failed} failed`,
          failed === 0
            ? 'every secret is under the current key: the old keys can be removed'
            : 'some secrets could not be decrypted with the configured keys: keep the old keys and check them',
        ]);
        // Failures leave rows under old keys: not done, and a script must see that.
        return failed === 0 ? EXIT.ok : EXIT.error;
      }),
    );
}
