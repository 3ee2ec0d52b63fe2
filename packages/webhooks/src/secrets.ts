/**
 * Webhook secrets at rest: encrypted with the server's keyring (AES-256-GCM, like provider keys),
 * bound to the webhook's id and owner as authenticated data, so a ciphertext copied onto another
 * row does not decrypt. The plaintext exists only in memory — while a call is verified, beside the
 * API's cached copy of the webhook (`createWebhookSecretMemo`), and in the one answer that shows it
 * to the owner (create, regenerate). Key rotation moves them onto the current key like provider
 * keys (`reencryptWebhookSecrets`).
 */
import {
  type Db,
  type EncryptedWebhookSecret,
  listWebhookSecretsNotUnderKey,
  replaceWebhookSecrets,
  type WebhookForCall,
} from '@swarm/db';
import { decryptSecret, encryptSecret, reencryptInBatches, type SecretKeyring } from '@swarm/providers/store';

const secretContext = (ownerId: string, webhookId: string) =>
  `swarm/webhook-secret/v1/${ownerId}/${webhookId}`;

export function encryptWebhookSecret(
  keyring: SecretKeyring,
  ownerId: string,
  webhookId: string,
  secret: string,
): EncryptedWebhookSecret {
  const { secret: ciphertext, keyId } = encryptSecret(keyring, secret, secretContext(ownerId, webhookId));
  return { secret: ciphertext, keyId };
}

/**
 * The secrets a call may be signed with right now: the current one, and the previous one while its
 * grace period after a regeneration lasts.
 */
export function validWebhookSecrets(
  keyring: SecretKeyring,
  webhook: WebhookForCall,
  now = new Date(),
): string[] {
  const context = secretContext(webhook.ownerId, webhook.id);
  const secrets = [decryptSecret(keyring, { secret: webhook.secret, keyId: webhook.secretKeyId }, context)];
  if (
    webhook.previousSecret &&
    webhook.previousSecretKeyId &&
    webhook.previousSecretExpiresAt &&
    webhook.previousSecretExpiresAt.getTime() > now.getTime()
  ) {
    secrets.push(
      decryptSecret(keyring, { secret: webhook.previousSecret, keyId: webhook.previousSecretKeyId }, context),
    );
  }
  return secrets;
}

/** The secrets of one webhook object, and the span of clock time they are the valid ones for. */
interface MemoisedSecrets {
  secrets: readonly string[];
  from: number;
  until: number;
}

/**
 * `validWebhookSecrets`, remembered per webhook object. The public route's webhook cache hands
 * every delivery the same object until the webhook changes (or its entry expires), so deliveries
 * decrypt nothing — decrypting was a twentieth of a delivery's CPU. A changed webhook is a new
 * object (a new entry); the remembered answer lasts while the clock stays within the span it holds
 * for: until the previous secret's grace ends, and never for an earlier time (a test's clock).
 * Held weakly: the plaintext goes when the cache lets go of the webhook.
 */
export function createWebhookSecretMemo(keyring: SecretKeyring) {
  const memo = new WeakMap<WebhookForCall, MemoisedSecrets>();
  return function secretsFor(webhook: WebhookForCall, now: Date): readonly string[] {
    const at = now.getTime();
    const known = memo.get(webhook);
    if (known && at >= known.from && at < known.until) return known.secrets;
    const secrets = validWebhookSecrets(keyring, webhook, now);
    const graceEnds = webhook.previousSecretExpiresAt?.getTime();
    // With the previous secret in: valid until its grace ends; without: it never comes back later.
    const until = secrets.length > 1 && graceEnds !== undefined ? graceEnds : Number.POSITIVE_INFINITY;
    memo.set(webhook, { secrets, from: at, until });
    return secrets;
  };
}

/**
 * Re-encrypts every webhook secret (and previous secret) not under the keyring's current key, in
 * batches; each row is its own compare-and-set, so the work is resumable (a second call continues
 * where an interrupted one stopped) and safe next to a running API. A row that cannot be decrypted
 * is counted as failed and left as it is; each row is tried once per call.
 */
export async function reencryptWebhookSecrets(
  db: Db,
  keyring: SecretKeyring,
  options: { batchSize?: number } = {},
): Promise<{ reencrypted: number; failed: number }> {
  return reencryptInBatches({
    batchSize: options.batchSize,
    list: (limit) => listWebhookSecretsNotUnderKey(db, keyring.currentKeyId, limit),
    keyOf: (row) => row.id,
    reencrypt: (row) => {
      const context = secretContext(row.ownerId, row.id);
      const move = (secret: string, keyId: string) =>
        encryptSecret(keyring, decryptSecret(keyring, { secret, keyId }, context), context);
      const current = move(row.secret, row.secretKeyId);
      const previous =
        row.previousSecret && row.previousSecretKeyId
          ? move(row.previousSecret, row.previousSecretKeyId)
          : null;
      return {
        secret: current.secret,
        secretKeyId: current.keyId,
        previousSecret: previous?.secret ?? null,
        previousSecretKeyId: previous?.keyId ?? null,
      };
    },
    replace: (row, next) => replaceWebhookSecrets(db, row, next),
  });
}
