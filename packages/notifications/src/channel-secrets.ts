/**
 * Channel secrets at rest: a webhook channel's signing secret and a Slack channel's URL (the URL
 * is the credential), encrypted with the server keyring (AES-256-GCM, like provider keys and
 * webhook secrets) and bound to the channel's id and owner, so a ciphertext copied onto another
 * row does not decrypt. Plaintext lives only in memory: in the answer that creates the channel
 * (the signing secret, shown once) and while a notification is sent.
 */
import { decryptSecret, encryptSecret, type SecretKeyring } from '@swarm/providers/store';

const secretContext = (ownerId: string, channelId: string) =>
  `swarm/notification-channel-secret/v1/${ownerId}/${channelId}`;

export function encryptChannelSecret(
  keyring: SecretKeyring,
  ownerId: string,
  channelId: string,
  secret: string,
): { secret: string; keyId: string } {
  return encryptSecret(keyring, secret, secretContext(ownerId, channelId));
}

export function decryptChannelSecret(
  keyring: SecretKeyring,
  channel: { id: string; ownerId: string; secret: string; secretKeyId: string },
): string {
  return decryptSecret(
    keyring,
    { secret: channel.secret, keyId: channel.secretKeyId },
    secretContext(channel.ownerId, channel.id),
  );
}
