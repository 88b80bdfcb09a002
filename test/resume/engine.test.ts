import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import { type MockServer, parseScenario, startMock } from '../../src/mock/index.js';
import type { RecoveryReport } from '../../src/resume/index.js';
import { plainLongText, serverToolLoop } from '../fixtures/streams.js';

let mock: MockServer;

beforeAll(async () => {
  mock = await startMock({
    scenarios: [
      parseScenario(
        { name: 'plain', message: { ...plainLongText, model: 'claude-opus-4-6' } },
        'inline.json',
      ),
      parseScenario(
        { name: 'plain-45', message: { ...plainLongText, model: 'claude-sonnet-4-5' } },
        'inline.json',
      ),
      parseScenario(
        {
          name: 'plain-restate',
          restate: 3,
          message: { ...plainLongText, model: 'claude-opus-4-6' },
        },
        'inline.json',
      ),
      parseScenario({ name: 'server', message: serverToolLoop }, 'inline.json'),
    ],
  });
});
afterAll(async () => {
  await mock.close();
});

function client(scenario: string, faults: unknown, reports: RecoveryReport[]) {
  return new Anthropic({
    apiKey: 'test-key',
    baseURL: mock.url,
    maxRetries: 0,
    defaultHeaders: {
      'x-mock-scenario': scenario,
      'x-mock-run': `${scenario}-${Math.random()}`,
      'x-mock-faults': JSON.stringify(faults),
    },
    middleware: [
      lifelineMiddleware({
        onReport: (r) => reports.push(r),
        logger: false,
        policy: { baseDelayMs: 1 },
      }),
    ],
  });
}

/** The message a client sees, ids and usage aside (JSON round trip drops undefined fields). */
function strip(message: Anthropic.Beta.BetaMessage) {
  const {
    id: _id,
    usage: _usage,
    ...rest
  } = JSON.parse(JSON.stringify(message)) as Anthropic.Beta.BetaMessage;
  return rest;
}

/** What the SDK makes of the scenario's uninterrupted stream. */
async function baseline(scenario: string, model: string) {
  const final = await client(scenario, {}, [])
    .beta.messages.stream({ model, max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] })
    .finalMessage();
  return strip(final);
}

describe('engine through the SDK middleware', () => {
  it('passes a fault-free stream through unchanged', async () => {
    const reports: RecoveryReport[] = [];
    const final = await client('plain', {}, reports)
      .beta.messages.stream({
        model: 'claude-opus-4-6',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    expect(strip(final)).toEqual(await baseline('plain', 'claude-opus-4-6'));
    expect(final.content).toHaveLength(plainLongText.content.length);
    expect(reports[0]?.outcome).toBe('clean');
  });

  it.each([
    ['plain', 'continuation turn'],
    ['plain-45', 'prefill'],
    ['plain-restate', 'continuation turn restating 3 words'],
  ])('recovers a socket drop mid-text (%s: %s)', async (scenario) => {
    const reports: RecoveryReport[] = [];
    const model = scenario === 'plain-45' ? 'claude-sonnet-4-5' : 'claude-opus-4-6';
    const final = await client(scenario, { '1': { kind: 'drop', event: 30, bytes: 25 } }, reports)
      .beta.messages.stream({
        model,
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    expect(strip(final)).toEqual(await baseline(scenario, model));
    expect(reports[0]?.outcome).toBe('recovered');
    expect(reports[0]?.failures).toEqual(['socket']);
  });

  it('recovers inside a server tool input and keeps the container', async () => {
    const reports: RecoveryReport[] = [];
    const final = await client('server', { '1': { kind: 'drop', event: 12, bytes: 10 } }, reports)
      .beta.messages.stream({
        model: serverToolLoop.model,
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    expect(strip(final)).toEqual(await baseline('server', serverToolLoop.model));
    expect(reports[0]?.containerId).toBe(serverToolLoop.container?.id);
    const attempts = mock.requests.filter((r) => r.scenario === 'server' && r.kind !== 'fresh');
    expect(attempts.at(-1)?.containerReused).toBe(true);
  });
});
