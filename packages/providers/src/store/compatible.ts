/**
 * OpenAI-compatible credentials: a user's named endpoints (`groq`, `local-ollama`), each a base URL,
 * a key, optional extra headers and a streaming choice. The key and the header values are encrypted
 * together (AES-256-GCM, bound to owner and name); the base URL and header names are not secret.
 *
 * The base URL is the user's, so it is an SSRF vector: it is checked by the `http` node's address
 * guard when saved (a clear BAD_REQUEST naming `baseUrl`) and again on every connection by the
 * runner's guarded fetch, which pins the addresses it checked (DNS rebinding).
 */
import {
  type CompatibleCredentialSummary,
  type DbOrTx,
  type EncryptedCompatibleCredential,
  upsertCompatibleCredential,
} from '@swarm/db';
import { CREDENTIAL_NAME_PATTERN, DomainError, NodeError, parseInput } from '@swarm/engine';
import { checkEndpointUrl, type EndpointGuard, parseEndpointUrl } from '@swarm/engine/server';
import { z } from 'zod';
import { credentialHint, type SecretKeyring } from './credentials.ts';

/** Headers the HTTP client owns; a credential may not set them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
]);

export const compatibleCredentialNameSchema = z
  .string()
  .trim()
  .regex(CREDENTIAL_NAME_PATTERN, 'lower-case letters, digits, - and _ (at most 63), e.g. groq');

export const compatibleCredentialInputSchema = z.object({
  name: compatibleCredentialNameSchema,
  baseUrl: z
    .string()
    .trim()
    .max(2000, 'at most 2000 characters')
    .regex(/^https?:\/\//i, 'an http(s) URL, e.g. https://api.groq.com/openai/v1'),
  apiKey: z
    .string()
    .trim()
    .min(1, 'required (servers without keys, such as Ollama, accept any value)')
    .max(4096, 'at most 4096 characters')
    // Keys travel in HTTP headers: a space, newline or non-ASCII character can only be a paste error.
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  headers: z
    .record(
      z
        .string()
        .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/, 'a header name')
        .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'set by the HTTP client itself'),
      z
        .string()
        .max(4096, 'at most 4096 characters')
        .regex(/^[\x20-\x7e]*$/, 'printable ASCII'),
    )
    .refine((headers) => Object.keys(headers).length <= 20, 'at most 20 headers')
    .default({}),
  stream: z.boolean().default(true),
});
export type CompatibleCredentialInput = z.input<typeof compatibleCredentialInputSchema>;

/** What is encrypted: the key and the header values (either may be a secret). */
interface CompatibleSecret {
  apiKey: string;
  headers: Record<string, string>;
}

const context = (ownerId: string, name: string) => `swarm/compatible-credential/v1/${ownerId}/${name}`;

/**
 * Checks a base URL with the address guard; a refusal is a BAD_REQUEST naming `baseUrl` that says
 * how an operator allows a private range (for a local Ollama, say).
 */
export async function checkCompatibleBaseUrl(baseUrl: string, guard: EndpointGuard): Promise<void> {
  try {
    await checkEndpointUrl(parseEndpointUrl(baseUrl), guard);
  } catch (error) {
    if (!(error instanceof NodeError)) throw error;
    const hint =
      error.code === 'blocked_address'
        ? '; an operator can allow the range with OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES'
        : '';
    const message = `${error.message.replace(/ \(set allowPrivateNetworks to reach them\)$/, '')}${hint}`;
    throw new DomainError('BAD_REQUEST', `baseUrl: ${message}`, [{ path: 'baseUrl', message }]);
  }
}

/** Checks the base URL, encrypts, and stores (or replaces by name). Returns what the user may see. */
export async function storeCompatibleCredential(
  db: DbOrTx,
  keyring: SecretKeyring,
  guard: EndpointGuard,
  ownerId: string,
  input: CompatibleCredentialInput,
): Promise<CompatibleCredentialSummary> {
  const parsed = parseInput(compatibleCredentialInputSchema, input);
  await checkCompatibleBaseUrl(parsed.baseUrl, guard);
  const secret: CompatibleSecret = { apiKey: parsed.apiKey, headers: parsed.headers };
  const encrypted = keyring.encrypt(JSON.stringify(secret), context(ownerId, parsed.name));
  return upsertCompatibleCredential(db, ownerId, {
    name: parsed.name,
    baseUrl: parsed.baseUrl.replace(/\/+$/, ''),
    headerNames: Object.keys(parsed.headers),
    stream: parsed.stream,
    ...encrypted,
    hint: credentialHint(parsed.apiKey),
  });
}

/** Decrypts a stored endpoint's key and headers; the error names the credential, never a value. */
export function decryptCompatibleCredential(
  keyring: SecretKeyring,
  ownerId: string,
  stored: EncryptedCompatibleCredential,
): CompatibleSecret {
  let plaintext: string;
  try {
    plaintext = keyring.decrypt(stored, context(ownerId, stored.name));
  } catch (error) {
    throw new Error(`the stored credential "${stored.name}" cannot be used: ${(error as Error).message}`);
  }
  return JSON.parse(plaintext) as CompatibleSecret;
}
