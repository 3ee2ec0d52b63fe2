-- List prices, model aliases and default cross-provider equivalents.
--
-- Basis: the providers' public pricing pages (openai.com/api/pricing, anthropic.com/pricing and
-- docs.anthropic.com "Pricing", ai.google.dev/gemini-api/docs/pricing) as known in late 2025;
-- standard (not batch, not priority/flex) tier, text tokens. Check them against the pages before
-- relying on them for billing; a change is a new row with a later effective_from, never an edit.
--
-- Units: integer micro-dollars per 1M tokens ($2.50/M = 2500000).
-- effective_from 2024-01-01 is an anchor meaning "in effect for every run this system has seen",
-- not a launch date: earlier prices of a model (gpt-4o at $5/$15 before 2024-08, the Gemini 1.5
-- price cut of 2024-10) are not recorded, except where a dated snapshot kept its own price
-- (gpt-4o-2024-05-13 is priced as its own model, not aliased to gpt-4o).
--
-- Per provider:
-- * OpenAI: cached_input = the cached-input price; no cache-write charge, so cache_write is NULL
--   (adapters report no cache writes for OpenAI). Reasoning tokens of o-series and gpt-5 models
--   are billed as output: reasoning is NULL.
-- * Anthropic: cached_input = cache read (0.1 x input); cache_write = 5-minute cache write
--   (1.25 x input). 1-hour cache writes (2 x input) and the >200k-token long-context rates of
--   Sonnet 4/4.5 are not modelled. Extended-thinking tokens are billed as output: reasoning NULL.
-- * Gemini: the <=128k (1.5) / <=200k (2.5 Pro) prompt tier. cached_input = context-caching
--   price per token (the hourly storage charge is not modelled); cache_write NULL (cache creation
--   bills as input). Thinking tokens are billed as output: reasoning NULL. The 2.5 Pro / 2.5 Flash
--   cache prices are the 90%-discount figures ($0.125 / $0.03) from the late-2025 page; these are
--   the least certain numbers in this file.
-- * mock: NOT a real price. A small fixed demo price ($0.50/M input, $1.50/M output, $0.25/M
--   cached) on `echo` (aliases below) so demo runs on the offline mock provider show costs.
INSERT INTO "provider_pricing"
  ("provider", "model", "effective_from",
   "input_per_million_micros", "output_per_million_micros",
   "cached_input_per_million_micros", "cache_write_per_million_micros", "reasoning_per_million_micros")
VALUES
  -- OpenAI
  ('openai', 'gpt-4o',             '2024-01-01T00:00:00Z',  2500000, 10000000, 1250000, NULL, NULL),
  ('openai', 'gpt-4o-2024-05-13',  '2024-01-01T00:00:00Z',  5000000, 15000000,    NULL, NULL, NULL),
  ('openai', 'gpt-4o-mini',        '2024-01-01T00:00:00Z',   150000,   600000,   75000, NULL, NULL),
  ('openai', 'gpt-4',              '2024-01-01T00:00:00Z', 30000000, 60000000,    NULL, NULL, NULL),
  ('openai', 'gpt-4-turbo',        '2024-01-01T00:00:00Z', 10000000, 30000000,    NULL, NULL, NULL),
  ('openai', 'gpt-3.5-turbo',      '2024-01-01T00:00:00Z',   500000,  1500000,    NULL, NULL, NULL),
  ('openai', 'gpt-4.1',            '2024-01-01T00:00:00Z',  2000000,  8000000,  500000, NULL, NULL),
  ('openai', 'gpt-4.1-mini',       '2024-01-01T00:00:00Z',   400000,  1600000,  100000, NULL, NULL),
  ('openai', 'gpt-4.1-nano',       '2024-01-01T00:00:00Z',   100000,   400000,   25000, NULL, NULL),
  ('openai', 'o1',                 '2024-01-01T00:00:00Z', 15000000, 60000000, 7500000, NULL, NULL),
  ('openai', 'o3-mini',            '2024-01-01T00:00:00Z',  1100000,  4400000,  550000, NULL, NULL),
  ('openai', 'o3',                 '2024-01-01T00:00:00Z',  2000000,  8000000,  500000, NULL, NULL),
  ('openai', 'o4-mini',            '2024-01-01T00:00:00Z',  1100000,  4400000,  275000, NULL, NULL),
  ('openai', 'gpt-5',              '2024-01-01T00:00:00Z',  1250000, 10000000,  125000, NULL, NULL),
  ('openai', 'gpt-5-mini',         '2024-01-01T00:00:00Z',   250000,  2000000,   25000, NULL, NULL),
  ('openai', 'gpt-5-nano',         '2024-01-01T00:00:00Z',    50000,   400000,    5000, NULL, NULL),
  -- Anthropic
  ('anthropic', 'claude-3-5-sonnet', '2024-01-01T00:00:00Z',  3000000, 15000000,  300000,  3750000, NULL),
  ('anthropic', 'claude-3-7-sonnet', '2024-01-01T00:00:00Z',  3000000, 15000000,  300000,  3750000, NULL),
  ('anthropic', 'claude-sonnet-4',   '2024-01-01T00:00:00Z',  3000000, 15000000,  300000,  3750000, NULL),
  ('anthropic', 'claude-sonnet-4-5', '2024-01-01T00:00:00Z',  3000000, 15000000,  300000,  3750000, NULL),
  ('anthropic', 'claude-3-opus',     '2024-01-01T00:00:00Z', 15000000, 75000000, 1500000, 18750000, NULL),
  ('anthropic', 'claude-opus-4',     '2024-01-01T00:00:00Z', 15000000, 75000000, 1500000, 18750000, NULL),
  ('anthropic', 'claude-opus-4-1',   '2024-01-01T00:00:00Z', 15000000, 75000000, 1500000, 18750000, NULL),
  ('anthropic', 'claude-opus-4-5',   '2024-01-01T00:00:00Z',  5000000, 25000000,  500000,  6250000, NULL),
  ('anthropic', 'claude-3-haiku',    '2024-01-01T00:00:00Z',   250000,  1250000,   30000,   300000, NULL),
  ('anthropic', 'claude-3-5-haiku',  '2024-01-01T00:00:00Z',   800000,  4000000,   80000,  1000000, NULL),
  ('anthropic', 'claude-haiku-4-5',  '2024-01-01T00:00:00Z',  1000000,  5000000,  100000,  1250000, NULL),
  -- Gemini
  ('gemini', 'gemini-1.5-pro',   '2024-01-01T00:00:00Z', 1250000,  5000000, 312500, NULL, NULL),
  ('gemini', 'gemini-1.5-flash', '2024-01-01T00:00:00Z',   75000,   300000,  18750, NULL, NULL),
  ('gemini', 'gemini-2.0-flash', '2024-01-01T00:00:00Z',  100000,   400000,  25000, NULL, NULL),
  ('gemini', 'gemini-2.5-pro',   '2024-01-01T00:00:00Z', 1250000, 10000000, 125000, NULL, NULL),
  ('gemini', 'gemini-2.5-flash', '2024-01-01T00:00:00Z',  300000,  2500000,  30000, NULL, NULL),
  -- mock: demo price, see above
  ('mock', 'echo', '2024-01-01T00:00:00Z', 500000, 1500000, 250000, NULL, NULL);
--> statement-breakpoint
-- Dated snapshots and other names the APIs accept or answer with, mapped explicitly to a priced
-- model. Only snapshots whose price equals the canonical model's are listed.
INSERT INTO "model_aliases" ("provider", "alias", "model") VALUES
  ('openai', 'gpt-4o-2024-08-06',       'gpt-4o'),
  ('openai', 'gpt-4o-2024-11-20',       'gpt-4o'),
  ('openai', 'gpt-4o-mini-2024-07-18',  'gpt-4o-mini'),
  ('openai', 'gpt-4-0613',              'gpt-4'),
  ('openai', 'gpt-4-turbo-2024-04-09',  'gpt-4-turbo'),
  ('openai', 'gpt-4-turbo-preview',     'gpt-4-turbo'),
  ('openai', 'gpt-4-0125-preview',      'gpt-4-turbo'),
  ('openai', 'gpt-4-1106-preview',      'gpt-4-turbo'),
  ('openai', 'gpt-3.5-turbo-0125',      'gpt-3.5-turbo'),
  ('openai', 'gpt-4.1-2025-04-14',      'gpt-4.1'),
  ('openai', 'gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini'),
  ('openai', 'gpt-4.1-nano-2025-04-14', 'gpt-4.1-nano'),
  ('openai', 'o1-2024-12-17',           'o1'),
  ('openai', 'o3-mini-2025-01-31',      'o3-mini'),
  ('openai', 'o3-2025-04-16',           'o3'),
  ('openai', 'o4-mini-2025-04-16',      'o4-mini'),
  ('openai', 'gpt-5-2025-08-07',        'gpt-5'),
  ('openai', 'gpt-5-mini-2025-08-07',   'gpt-5-mini'),
  ('openai', 'gpt-5-nano-2025-08-07',   'gpt-5-nano'),
  ('anthropic', 'claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'),
  ('anthropic', 'claude-3-5-sonnet-20240620', 'claude-3-5-sonnet'),
  ('anthropic', 'claude-3-5-sonnet-latest',   'claude-3-5-sonnet'),
  ('anthropic', 'claude-3-7-sonnet-20250219', 'claude-3-7-sonnet'),
  ('anthropic', 'claude-3-7-sonnet-latest',   'claude-3-7-sonnet'),
  ('anthropic', 'claude-sonnet-4-20250514',   'claude-sonnet-4'),
  ('anthropic', 'claude-sonnet-4-0',          'claude-sonnet-4'),
  ('anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'),
  ('anthropic', 'claude-3-opus-20240229',     'claude-3-opus'),
  ('anthropic', 'claude-3-opus-latest',       'claude-3-opus'),
  ('anthropic', 'claude-opus-4-20250514',     'claude-opus-4'),
  ('anthropic', 'claude-opus-4-0',            'claude-opus-4'),
  ('anthropic', 'claude-opus-4-1-20250805',   'claude-opus-4-1'),
  ('anthropic', 'claude-opus-4-5-20251101',   'claude-opus-4-5'),
  ('anthropic', 'claude-3-haiku-20240307',    'claude-3-haiku'),
  ('anthropic', 'claude-3-5-haiku-20241022',  'claude-3-5-haiku'),
  ('anthropic', 'claude-3-5-haiku-latest',    'claude-3-5-haiku'),
  ('anthropic', 'claude-haiku-4-5-20251001',  'claude-haiku-4-5'),
  ('gemini', 'models/gemini-1.5-pro',         'gemini-1.5-pro'),
  ('gemini', 'gemini-1.5-pro-001',            'gemini-1.5-pro'),
  ('gemini', 'gemini-1.5-pro-002',            'gemini-1.5-pro'),
  ('gemini', 'gemini-1.5-pro-latest',         'gemini-1.5-pro'),
  ('gemini', 'models/gemini-1.5-flash',       'gemini-1.5-flash'),
  ('gemini', 'gemini-1.5-flash-001',          'gemini-1.5-flash'),
  ('gemini', 'gemini-1.5-flash-002',          'gemini-1.5-flash'),
  ('gemini', 'gemini-1.5-flash-latest',       'gemini-1.5-flash'),
  ('gemini', 'models/gemini-2.0-flash',       'gemini-2.0-flash'),
  ('gemini', 'gemini-2.0-flash-001',          'gemini-2.0-flash'),
  ('gemini', 'models/gemini-2.5-pro',         'gemini-2.5-pro'),
  ('gemini', 'gemini-2.5-pro-preview-05-06',  'gemini-2.5-pro'),
  ('gemini', 'gemini-2.5-pro-preview-06-05',  'gemini-2.5-pro'),
  ('gemini', 'models/gemini-2.5-flash',       'gemini-2.5-flash'),
  -- mock: `mock` means echo; `delay:50` is the sample workflow's fallback. Other mock directives
  -- (delay:<ms>, flaky:…) stay unpriced unless a price or alias is added for the exact name.
  ('mock', 'mock',     'echo'),
  ('mock', 'delay:50', 'echo');
--> statement-breakpoint
-- Default equivalents, editable: each model of a tier maps to the current model of that tier on
-- the other providers, OpenAI first, then Anthropic, then Gemini (skipping its own provider).
-- Flagship tier: gpt-4o / claude-sonnet-4-5 / gemini-2.5-pro. Small tier: gpt-4o-mini /
-- claude-haiku-4-5 / gemini-2.5-flash.
INSERT INTO "model_map" ("from_provider", "from_model", "position", "to_provider", "to_model") VALUES
  ('openai', 'gpt-4o',   0, 'anthropic', 'claude-sonnet-4-5'),
  ('openai', 'gpt-4o',   1, 'gemini',    'gemini-2.5-pro'),
  ('openai', 'gpt-4.1',  0, 'anthropic', 'claude-sonnet-4-5'),
  ('openai', 'gpt-4.1',  1, 'gemini',    'gemini-2.5-pro'),
  ('openai', 'gpt-5',    0, 'anthropic', 'claude-sonnet-4-5'),
  ('openai', 'gpt-5',    1, 'gemini',    'gemini-2.5-pro'),
  ('anthropic', 'claude-sonnet-4-5', 0, 'openai', 'gpt-4o'),
  ('anthropic', 'claude-sonnet-4-5', 1, 'gemini', 'gemini-2.5-pro'),
  ('anthropic', 'claude-sonnet-4',   0, 'openai', 'gpt-4o'),
  ('anthropic', 'claude-sonnet-4',   1, 'gemini', 'gemini-2.5-pro'),
  ('anthropic', 'claude-3-7-sonnet', 0, 'openai', 'gpt-4o'),
  ('anthropic', 'claude-3-7-sonnet', 1, 'gemini', 'gemini-2.5-pro'),
  ('anthropic', 'claude-3-5-sonnet', 0, 'openai', 'gpt-4o'),
  ('anthropic', 'claude-3-5-sonnet', 1, 'gemini', 'gemini-2.5-pro'),
  ('gemini', 'gemini-2.5-pro', 0, 'openai',    'gpt-4o'),
  ('gemini', 'gemini-2.5-pro', 1, 'anthropic', 'claude-sonnet-4-5'),
  ('gemini', 'gemini-1.5-pro', 0, 'openai',    'gpt-4o'),
  ('gemini', 'gemini-1.5-pro', 1, 'anthropic', 'claude-sonnet-4-5'),
  ('openai', 'gpt-4o-mini',  0, 'anthropic', 'claude-haiku-4-5'),
  ('openai', 'gpt-4o-mini',  1, 'gemini',    'gemini-2.5-flash'),
  ('openai', 'gpt-4.1-mini', 0, 'anthropic', 'claude-haiku-4-5'),
  ('openai', 'gpt-4.1-mini', 1, 'gemini',    'gemini-2.5-flash'),
  ('openai', 'gpt-5-mini',   0, 'anthropic', 'claude-haiku-4-5'),
  ('openai', 'gpt-5-mini',   1, 'gemini',    'gemini-2.5-flash'),
  ('anthropic', 'claude-haiku-4-5', 0, 'openai', 'gpt-4o-mini'),
  ('anthropic', 'claude-haiku-4-5', 1, 'gemini', 'gemini-2.5-flash'),
  ('anthropic', 'claude-3-5-haiku', 0, 'openai', 'gpt-4o-mini'),
  ('anthropic', 'claude-3-5-haiku', 1, 'gemini', 'gemini-2.5-flash'),
  ('anthropic', 'claude-3-haiku',   0, 'openai', 'gpt-4o-mini'),
  ('anthropic', 'claude-3-haiku',   1, 'gemini', 'gemini-2.5-flash'),
  ('gemini', 'gemini-2.5-flash', 0, 'openai',    'gpt-4o-mini'),
  ('gemini', 'gemini-2.5-flash', 1, 'anthropic', 'claude-haiku-4-5'),
  ('gemini', 'gemini-2.0-flash', 0, 'openai',    'gpt-4o-mini'),
  ('gemini', 'gemini-2.0-flash', 1, 'anthropic', 'claude-haiku-4-5'),
  ('gemini', 'gemini-1.5-flash', 0, 'openai',    'gpt-4o-mini'),
  ('gemini', 'gemini-1.5-flash', 1, 'anthropic', 'claude-haiku-4-5');
