/** Deliveries signed the way a Standard Webhooks sender signs them: by the reference library. */
import { Webhook } from 'standardwebhooks';

/** Headers of a Standard Webhooks delivery of `body`, signed with `secret`. */
export function standardHeaders(
  secret: string,
  body: string,
  id = `msg_${crypto.randomUUID()}`,
  at = new Date(),
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
