/**
 * The LLM client's bookkeeping with an invalidation feed, as the runner wires it: a call for an
 * owner without budgets sends no statement about budgets, the model map or health buckets (every
 * statement on the client's own pool is logged through postgres.js's debug hook and searched), the
 * health tallies go out in one write on close(); and a budget written through another connection
 * (the API's) is enforced, updated and forgotten by the runner's client as soon as its notice
 * arrives.
 */
import {
  BudgetExceededError,
  connectDatabase,
  createBudget,
  createBudgetSchema,
  createInvalidationFeed,
  type Database,
  deleteBudget,
  healthCounts,
  type InvalidationFeed,
  listBudgets,
  updateBudget,
  updateBudgetSchema,
} from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { sampleWorkflowDefinition } from '@swarm/engine';
import { setModelEquivalents } from '@swarm/providers/store';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLlmClient, type RunnerLlm } from '../src/llm.ts';
import { ownerWithWorkflow } from './fixtures.ts';

const database = useTestDatabase();
/** The runner's own pool, every statement it sends recorded. */
let runnerDb: Database;
let statements: string[] = [];
let feed: InvalidationFeed;
let llm: RunnerLlm;
const notices: Array<() => void> = [];

beforeAll(async () => {
  runnerDb = connectDatabase(database.url, { max: 4 });
  // postgres.js reads `debug` from its options on every query: a statement log without a server log.
  runnerDb.sql.options.debug = (_connection, query) => {
    statements.push(query.replace(/\s+/g, ' ').trim());
  };
  feed = createInvalidationFeed(runnerDb.sql, { onNotice: () => notices.shift()?.() });
  await feed.start();
  llm = createLlmClient({
    db: runnerDb.db,
    logger: pino({ level: 'silent' }),
    secretKeys: null,
    providers: {},
    invalidation: feed,
  });
});
afterAll(async () => {
  await llm?.close();
  await feed?.stop();
  await runnerDb?.close();
});
beforeEach(() => {
  statements = [];
});

/** Resolves when the runner's feed has handled the next notice. */
const nextNotice = () => new Promise<void>((resolve) => notices.push(resolve));

const ask = { messages: [{ role: 'user' as const, content: 'Say hello.' }] };
const policy = { chain: [{ provider: 'mock' as const, model: 'echo' }] };
const context = () => ({ executionId: crypto.randomUUID(), nodeId: 'a1', agentRole: 'writer' });

const touching = (pattern: RegExp) => statements.filter((statement) => pattern.test(statement));
const BOOKKEEPING = /\b(budgets|model_map|provider_health_buckets)\b/i;

describe('LLM bookkeeping with an invalidation feed', () => {
  it('makes no budget, model-map or health statement per call for an owner without budgets, and writes the health tallies once on close', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    const client = llm.forOwner(owner.ownerId, owner.workflowId);
    // Warms the caches: the owner's (empty) budget list, the map, the price.
    await client.complete(ask, policy, context());
    expect(touching(/\bbudgets\b/)).toHaveLength(1);
    expect(touching(/\bmodel_map\b/)).toHaveLength(1);

    statements = [];
    const calls = 10;
    for (let i = 0; i < calls; i++) {
      const answer = await client.complete(ask, policy, context());
      expect(answer.text).toBe('Say hello.');
    }
    expect(touching(BOOKKEEPING)).toEqual([]);
    expect(touching(/^begin/i)).toEqual([]);

    const before = await healthCounts(database.db, { provider: 'mock', model: 'echo' }, 60_000);
    await llm.close();
    expect(touching(/provider_health_buckets/)).toHaveLength(1);
    const after = await healthCounts(database.db, { provider: 'mock', model: 'echo' }, 60_000);
    expect(after.successes - before.successes).toBe(calls + 1);
  });

  it('reads the model map again once another process changes it', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    const client = llm.forOwner(owner.ownerId, owner.workflowId);
    const from = { provider: 'mock' as const, model: 'delay:1' };
    await client.complete(ask, { chain: [from] }, context());
    await client.complete(ask, { chain: [from] }, context());
    expect(touching(/\bmodel_map\b/)).toHaveLength(1);

    const changed = nextNotice();
    await setModelEquivalents(database.db, { from, to: [{ provider: 'mock', model: 'echo' }] });
    await changed;
    statements = [];
    await client.complete(ask, { chain: [from] }, context());
    expect(touching(/\bmodel_map\b/).length).toBeGreaterThan(0);
  });

  it('enforces, updates and forgets a budget written through another connection as soon as its notice arrives', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    const client = llm.forOwner(owner.ownerId, owner.workflowId);
    await client.complete(ask, policy, context());

    // The API creates a blocking budget with no room for any call.
    const created = nextNotice();
    const budget = await createBudget(
      database.db,
      owner.ownerId,
      createBudgetSchema.parse({ scope: owner.workflowId, monthlyLimitMicros: 1, blockWhenExceeded: true }),
    );
    await created;
    statements = [];
    const refused = await client.complete(ask, policy, context()).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    expect((refused as Error).message).toMatch(/monthly budget of \$0\.000001 for workflow "test workflow"/);
    expect(touching(/^begin/i).length).toBeGreaterThan(0);

    // Room again: the call reserves, settles its cost and leaves nothing reserved.
    const raised = nextNotice();
    await updateBudget(
      database.db,
      owner.ownerId,
      updateBudgetSchema.parse({ id: budget.id, monthlyLimitMicros: 1_000_000_000 }),
    );
    await raised;
    const paid = await client.complete(ask, policy, context());
    const cost = paid.attempts.reduce((sum, attempt) => sum + (attempt.costMicros ?? 0), 0);
    expect(cost).toBeGreaterThan(0);
    expect((await listBudgets(database.db, owner.ownerId))[0]).toMatchObject({
      spentMicros: cost,
      reservedMicros: 0,
    });

    // Deleted: back to no budget statement at all.
    const deleted = nextNotice();
    await deleteBudget(database.db, owner.ownerId, budget.id);
    await deleted;
    await client.complete(ask, policy, context());
    statements = [];
    await client.complete(ask, policy, context());
    expect(touching(/\bbudgets\b/)).toEqual([]);
  });

  it('adds the cost to a non-blocking budget without reserving', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    const client = llm.forOwner(owner.ownerId, owner.workflowId);
    const created = nextNotice();
    await createBudget(
      database.db,
      owner.ownerId,
      createBudgetSchema.parse({ scope: 'global', monthlyLimitMicros: 1_000_000_000 }),
    );
    await created;
    statements = [];
    const paid = await client.complete(ask, policy, context());
    const cost = paid.attempts.reduce((sum, attempt) => sum + (attempt.costMicros ?? 0), 0);
    expect((await listBudgets(database.db, owner.ownerId))[0]).toMatchObject({
      spentMicros: cost,
      reservedMicros: 0,
    });
    // One transaction, the settlement: the reservation's conditional update never ran.
    expect(touching(/^begin/i)).toHaveLength(1);
    expect(
      touching(/reserved_micros = case when b\.period = \$\d+ then b\.reserved_micros else 0 end \+/),
    ).toEqual([]);
  });
});
