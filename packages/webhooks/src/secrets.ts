/**
 * Webhook secrets at rest: encrypted with the server's keyring (AES-256-GCM, like provider keys),
 * bound to the webhook's id and owner as authenticated data, so a ciphertext copied onto another
 * row does not decrypt. The plaintext exists only in memory while a call is verified, and in the
 * one answer that shows it to the owner (create, regenerate).
 */
import type { EncryptedWebhookSecret, WebhookForCall } from '@swarm/db';
import { decryptSecret, encryptSecret, type SecretKeyring } from '@swarm/providers/store';

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
