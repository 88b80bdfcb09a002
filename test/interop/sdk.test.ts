/**
 * (b) and (c): the real @anthropic-ai/sdk against the mock. A mid-stream drop surfaces as
 * what the SDK really throws (found by running it, not assumed), and without a fault every
 * shipped scenario streams to a `finalMessage()` equal to the scenario's message.
 */
import Anthropic, { AnthropicError, APIConnectionError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { loadScenarios } from '../../src/mock/index.js';
import { fixtureScenario, SCENARIOS_DIR, SEED, useMock } from '../helpers/mock.js';

const mock = useMock();

function client(scenario: string, headers: Record<string, string> = {}): Anthropic {
  return new Anthropic({
    baseURL: mock.url,
    apiKey: 'test-key',
    defaultHeaders: { 'x-mock-scenario': scenario, ...headers },
  });
}

function stream(scenario: string, headers: Record<string, string> = {}) {
  const s = fixtureScenario(scenario);
  return client(scenario, headers).beta.messages.stream({
    model: s.message.model,
    max_tokens: 32_000,
    betas: s.betas,
    messages: [{ role: 'user', content: 'Build the quarterly sales report.' }],
  });
}

async function failure(run: Promise<unknown>): Promise<Error & { cause?: unknown }> {
  try {
    await run;
  } catch (err) {
    return err as Error & { cause?: unknown };
  }
  throw new Error('the stream did not fail');
}

describe('the SDK on the seed scenario (fault on attempt 1)', () => {
  it('throws a plain AnthropicError "terminated" mid-stream, not an APIConnectionError', async () => {
    const err = await failure(stream(SEED).finalMessage());
    expect(err).toBeInstanceOf(AnthropicError);
    expect(err).not.toBeInstanceOf(APIConnectionError);
    expect(err.message).toBe('terminated');
  });

  it('carries the fetch cause: TypeError terminated <- SocketError other side closed (UND_ERR_SOCKET)', async () => {
    const err = await failure(stream(SEED).finalMessage());
    const cause = err.cause as Error & { cause?: Error & { code?: string } };
    expect(cause).toBeInstanceOf(TypeError);
    expect(cause.message).toBe('terminated');
    expect(cause.cause?.message).toBe('other side closed');
    expect(cause.cause?.code).toBe('UND_ERR_SOCKET');
  });

  it('does not retry a stream that broke after it started', async () => {
    await failure(stream(SEED).finalMessage());
    expect(mock.server.requests).toHaveLength(1);
  });

  it('keeps the 38 complete blocks and the open one in currentMessage', async () => {
    const s = stream(SEED);
    await failure(s.finalMessage());
    const content = s.currentMessage?.content ?? [];
    expect(content).toHaveLength(39);
    expect(content.slice(0, 38)).toEqual(fixtureScenario(SEED).message.content.slice(0, 38));
    expect(content[38]).toMatchObject({
      type: 'server_tool_use',
      name: 'text_editor_code_execution',
    });
  });
});

describe('without a fault, finalMessage() equals the scenario message', () => {
  const names = loadScenarios(SCENARIOS_DIR).map((s) => s.name);

  it.each(names)('%s', async (name) => {
    const final = await stream(name, { 'x-mock-faults': '{}' }).finalMessage();
    const { parsed_output: _, ...message } = final as typeof final & { parsed_output?: unknown };
    expect(message).toEqual(fixtureScenario(name).message);
  });
});
