/**
 * OpenAI-compatible endpoints users store (Ollama, vLLM, Groq, Azure…), several per user, each by
 * name, and the prices users give those endpoints' models. Separate from `credentials` (one key per
 * built-in provider) because a user has many of these and each carries its own base URL.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { createdAt, primaryId, updatedAt } from './columns.ts';

export const compatibleCredentials = pgTable(
  'compatible_credentials',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** What agent nodes call it by (`groq`, `local-ollama`); unique per owner. */
    name: text('name').notNull(),
    /** Not secret, shown to the user; checked by the address guard on save and on every connection. */
    baseUrl: text('base_url').notNull(),
    /** Names of the extra headers (their values are encrypted with the key, in `secret`). */
    headerNames: jsonb('header_names').$type<string[]>().notNull().default([]),
    /** Ask for streamed answers (false for a server that can't stream). */
    stream: boolean('stream').notNull().default(true),
    /** base64 of iv ‖ ciphertext ‖ tag of `{"apiKey":…,"headers":{…}}`; the key is configuration. */
    secret: text('secret').notNull(),
    keyId: text('key_id').notNull(),
    /** Last four characters of the key, so users can tell keys apart without seeing them. */
    hint: text('hint').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('compatible_credentials_owner_name_key').on(t.ownerId, t.name)],
);

/**
 * A user's price for one model on one of their credentials, per 1M tokens in integer micro-dollars.
 * Without one, that model's answers are `unpriced` (cost unknown, never $0). Deleting the
 * credential deletes its prices. A changed price applies to later calls; attempts keep their cost.
 */
export const compatiblePrices = pgTable(
  'compatible_prices',
  {
    id: primaryId(),
    credentialId: uuid('credential_id')
      .notNull()
      .references(() => compatibleCredentials.id, { onDelete: 'cascade' }),
    model: text('model').notNull(),
    inputPerMillionMicros: bigint('input_per_million_micros', { mode: 'number' }).notNull(),
    outputPerMillionMicros: bigint('output_per_million_micros', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('compatible_prices_credential_model_key').on(t.credentialId, t.model),
    check(
      'compatible_prices_nonnegative',
      sql`${t.inputPerMillionMicros} >= 0 and ${t.outputPerMillionMicros} >= 0`,
    ),
  ],
);
