/**
 * An agent with two tools, through a real runner (in this process) on a real database and queue,
 * with the real LLM client and SDK adapters while msw answers as OpenAI, Anthropic and Gemini in
 * their streamed wire formats. Checked on the persisted rows: one ledger attempt per model turn
 * with its usage and cost, one child step per tool call with its input, output and duration, the
 * agent's cost as the sum of its turns, the tool results sent back in each provider's own format;
 * and, on the offline mock's scripted mode, arguments that don't fit the tool's schema going back
 * to the model as a tool error.
 */
import { createJobSender, type ExecutionDetail, type ExecutionStep } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient } from '../src/llm.ts';
import { createRunner } from '../src/runner.ts';
import { toolAgent } from '../src/testing/workflows.ts';
import { ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';
import {
  FINAL_ANSWER,
  MODELS,
  TURN_USAGE,
  toolWire,
  turnCostMicros,
  type WireProvider,
} from './tool-wire.ts';

const database = useTestDatabase();
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
const wire = toolWire();
const server = setupServer(...wire.handlers);
let jobs: ReturnType<typeof createJobSender>;
let runner: ReturnType<typeof createRunner>;

beforeAll(async () => {
  server.listen({ onUnhandledFrame: 'error' });
  jobs = createJobSender(database);
  await jobs.start();
  runner = createRunner({
    databaseUrl: database.url,
    logger,
    poolSize: 4,
    drainSeconds: 5,
    superviseSeconds: 1,
    scheduler: false,
    createLlm: (deps) =>
      createLlmClient({
        ...deps,
        secretKeys: null,
        providers: {
          openai: { apiKey: 'sk-operator' },
          anthropic: { apiKey: 'sk-ant-operator' },
          gemini: { apiKey: 'AIza-operator' },
        },
      }),
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await jobs?.stop();
  server.close();
});

const step = (run: ExecutionDetail, nodeId: string): ExecutionStep => {
  const found = run.steps.find((s) => s.nodeId === nodeId);
  if (!found) throw new Error(`no step ${nodeId} in ${run.steps.map((s) => s.nodeId).join(', ')}`);
  return found;
};

describe.each(['openai', 'anthropic', 'gemini'] as const)(
  'a two-tool agent on %s',
  (provider: WireProvider) => {
    it('records each turn as a ledger attempt with its cost and each tool call as a child step', async () => {
      const owner = await ownerWithWorkflow(database.db, toolAgent({ provider, model: MODELS[provider] }));
      const { id } = await startRun(database.db, jobs.sender, owner, { city: 'Paris' });
      const run = await waitForRun(database.db, owner, id);

      expect(run.error).toBeNull();
      expect(run.status).toBe('succeeded');
      expect(run.output).toEqual({ agent: FINAL_ANSWER });
      // Tool nodes ran only as tools: no ordinary steps of their own.
      expect(
        run.steps
          .filter((s) => s.parentNodeId === null)
          .map((s) => s.nodeId)
          .sort(),
      ).toEqual(['agent', 'input', 'output']);

      // One attempt per turn, priced from the turn's own usage.
      for (const [turn, usage] of TURN_USAGE.entries()) {
        const turnStep = step(run, `agent/turn-${turn + 1}`);
        expect(turnStep).toMatchObject({
          parentNodeId: 'agent',
          nodeType: 'agent-turn',
          status: 'succeeded',
        });
        expect(turnStep.attempts).toHaveLength(1);
        expect(turnStep.attempts[0]).toMatchObject({
          requestedProvider: provider,
          reason: 'primary',
          usage: { inputTokens: usage.input, outputTokens: usage.output },
          costStatus: 'priced',
          costMicros: turnCostMicros(provider, turn as 0 | 1),
        });
        expect(turnStep.costMicros).toBe(turnCostMicros(provider, turn as 0 | 1));
      }
      expect(step(run, 'agent/turn-1').output).toMatchObject({
        toolCalls: [
          { name: 'lookup_city', arguments: expect.any(String) },
          { name: 'convert_temp', arguments: expect.any(String) },
        ],
      });

      // One child step per tool call: arguments in, result out, timed.
      const lookup = step(run, 'agent/turn-1/call-1');
      expect(lookup).toMatchObject({
        parentNodeId: 'agent',
        nodeType: 'agent-tool',
        status: 'succeeded',
        input: { tool: 'lookup_city', node: 'lookup', arguments: { city: 'Paris' } },
        output: { result: { city: 'Paris', celsius: 21, sky: 'clear' } },
        attempts: [],
      });
      expect(lookup.durationMs).toEqual(expect.any(Number));
      const convert = step(run, 'agent/turn-1/call-2');
      expect(convert).toMatchObject({
        status: 'succeeded',
        input: { tool: 'convert_temp', node: 'to-f', arguments: { celsius: 21 } },
        // A sub-flow's result is its output node's: keyed by the node that fed it.
        output: { result: { 'to-f': { fahrenheit: 69.8 } } },
      });
      expect(convert.durationMs).toEqual(expect.any(Number));

      // The agent's step and the run add up the turns; the ledger has exactly the two turns.
      const total = turnCostMicros(provider, 0) + turnCostMicros(provider, 1);
      expect(step(run, 'agent').costMicros).toBe(total);
      expect(run.costMicros).toBe(total);
      const ledger = await database.sql<{ node_id: string; agent_role: string; n: number }[]>`
      select node_id, agent_role, count(*)::int as n from execution_costs where execution_id = ${id}
      group by node_id, agent_role`;
      expect(ledger).toEqual([{ node_id: 'agent', agent_role: 'forecaster', n: 2 }]);

      // Turn 2 carried both results, in the provider's own format.
      expect(wire.seen.turns[provider]).toEqual([1, 1]);
      const second = JSON.stringify(wire.seen.bodies[provider].at(-1));
      expect(second).toContain('69.8');
      expect(second).toContain('clear');
      if (provider === 'openai') expect(second).toContain('"tool_call_id":"call_convert"');
      if (provider === 'anthropic') expect(second).toContain('"tool_use_id":"toolu_lookup"');
      if (provider === 'gemini') expect(second).toContain('"functionResponse"');
      wire.seen.turns[provider] = [0, 0];
    });
  },
);

describe('the mock provider scripted to call tools', () => {
  it('sends arguments that miss a required field back to the model as a tool error', async () => {
    const systemPrompt = [
      'You forecast the weather.',
      '@turn1 lookup_city {"town":"Paris"}',
      '@turn2 lookup_city {"city":"Paris"}',
      '@turn2 convert_temp {"celsius":21}',
    ].join('\n');
    const owner = await ownerWithWorkflow(
      database.db,
      toolAgent({ provider: 'mock', model: 'template:Forecast: {{input}}', systemPrompt }),
    );
    const { id } = await startRun(database.db, jobs.sender, owner, { city: 'Paris' });
    const run = await waitForRun(database.db, owner, id);

    expect(run.status).toBe('succeeded');
    const refused = step(run, 'agent/turn-1/call-1');
    expect(refused).toMatchObject({
      status: 'failed',
      input: { tool: 'lookup_city', arguments: { town: 'Paris' } },
    });
    expect(refused.error).toMatchObject({ code: 'invalid_arguments' });
    expect(refused.error!.message).toContain('city');
    expect(step(run, 'agent/turn-2/call-1').status).toBe('succeeded');
    expect(step(run, 'agent/turn-2/call-2').output).toEqual({ result: { 'to-f': { fahrenheit: 69.8 } } });
    // Three turns, each one attempt; the answer reads the last turn's tool results.
    expect([1, 2, 3].map((n) => step(run, `agent/turn-${n}`).attempts.length)).toEqual([1, 1, 1]);
    expect(run.output).toEqual({
      agent: 'Forecast: {"city":"Paris","celsius":21,"sky":"clear"}\n{"to-f":{"fahrenheit":69.8}}',
    });
  });

  it('fails the step when the model still calls tools on its last allowed turn', async () => {
    const systemPrompt = '@turn1 lookup_city {"city":"Paris"}\n@turn2 lookup_city {"city":"Rome"}';
    const owner = await ownerWithWorkflow(
      database.db,
      toolAgent({ provider: 'mock', model: 'echo', systemPrompt, maxTurns: 2 }),
    );
    const { id } = await startRun(database.db, jobs.sender, owner, { city: 'Paris' });
    const run = await waitForRun(database.db, owner, id);

    expect(run.status).toBe('failed');
    expect(step(run, 'agent').error).toMatchObject({ code: 'max_turns' });
    expect(run.steps.filter((s) => s.nodeType === 'agent-turn')).toHaveLength(2);
  });
});
