/**
 * The operator tasks behind `swarm admin`, straight against the database (no API involved). Loaded
 * only by `swarm admin …` (a dynamic import), so the everyday commands never load the database
 * driver.
 *
 * Why they are bundled into the published CLI rather than left to the monorepo: an operator
 * rotating a key or migrating before a deploy has the CLI, not a checkout. The build bundles
 * `@swarm/db` (with its committed SQL migrations, copied next to the bundle), the keyring of
 * `@swarm/providers/store` and the webhook secret rotation of `@swarm/webhooks` with exactly the
 * versions (and patches) this repository tested, so they cannot drift from the server's own code.
 */
import { connectDatabase, migrateDatabase } from '@swarm/db';
import { createSecretKeyring, reencryptCredentials } from '@swarm/providers/store';
import { reencryptWebhookSecrets } from '@swarm/webhooks';

export { migrateDatabase };

export interface ReencryptCounts {
  credentials: { reencrypted: number; failed: number };
  webhookSecrets: { reencrypted: number; failed: number };
}

export async function reencryptAll(
  databaseUrl: string,
  keys: { current: string; others?: string | undefined },
): Promise<ReencryptCounts & { currentKeyId: string }> {
  const keyring = createSecretKeyring(keys);
  if (!keyring) throw new Error('SWARM_SECRET_KEY is not set');
  const database = connectDatabase(databaseUrl, { max: 2, applicationName: 'swarm-cli:reencrypt' });
  try {
    const credentials = await reencryptCredentials(database.db, keyring);
    const webhookSecrets = await reencryptWebhookSecrets(database.db, keyring);
    return { credentials, webhookSecrets, currentKeyId: keyring.currentKeyId };
  } finally {
    await database.close();
  }
}
