/**
 * The engine's policy around the stream: retryable statuses before the stream (retry-after
 * honoured), non-retryable errors passed through unchanged, prefill refusal learned at run time,
 * and the caller's abort respected.
 */
import { getEventListeners } from 'node:events';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineFetch, lifelineMiddleware } from '../../src/integrations/index.js';
import { type MockServer, parseScenario, startMock } from '../../src/mock/index.js';
import { ModelTable, type RecoveryReport } from '../../src/resume/index.js';
import { plainLongText } from '../fixtures/streams.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock({
    scenarios: [
      parseScenario(
        { name: 'plain', message: { ...plainLongText, model: 'claude-opus-4-6' } },
        'inline.json',
      ),
      parseScenario(
        {
          name: 'refuses',
          prefill: 'refused',
          message: { ...plainLongText, model: 'claude-sonnet-4-5' },
        },
        'inline.json',
      ),
    ],
  });
});
afterAll(async () => {
  await mock.close();
});

let seq = 0;
function client(reports: RecoveryReport[], models = new ModelTable()) {
  return new Anthropic({
    apiKey: 'test-key',
    baseURL: mock.url,
    maxRetries: 0,
    middleware: [
      lifelineMiddleware({
        logger: false,
        models,
        onReport: (r) => reports.push(r),
        policy: { baseDelayMs: 1 },
      }),
    ],
  });
}
function headers(scenario: string, faults: unknown) {
  return {
    'x-mock-scenario': scenario,
    'x-mock-run': `policy-${seq++}`,
    'x-mock-faults': JSON.stringify(faults),
  };
}
const params = (model = 'claude-opus-4-6') => ({
  model,
  max_tokens: 1000,
  messages: [{ role: 'user' as const, content: 'hi' }],
});

describe('engine policy', () => {
  it('retries a 529 before the stream, honouring retry-after-ms', async () => {
    const reports: RecoveryReport[] = [];
    const started = performance.now();
    const final = await client(reports)
      .beta.messages.stream(params(), {
        headers: headers('plain', {
          '1': { kind: 'http', status: 529, headers: { 'retry-after-ms': '120' } },
        }),
      })
      .finalMessage();
    expect(final.content).toHaveLength(plainLongText.content.length);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(reports[0]?.failures).toEqual(['http-status']);
    expect(reports[0]?.attempts.map((a) => a.status)).toEqual([529, 200]);
  });

  it('passes a non-retryable 400 through unchanged', async () => {
    const reports: RecoveryReport[] = [];
    const err = await client(reports)
      .messages.create({ ...params(), stream: true, max_tokens: 'x' as unknown as number })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('learns that a model refuses prefill and continues with a continuation turn without failing', async () => {
    const reports: RecoveryReport[] = [];
    const models = new ModelTable();
    const final = await client(reports, models)
      .beta.messages.stream(params('claude-sonnet-4-5'), {
        headers: headers('refuses', { '1': { kind: 'drop', afterEvents: 30 } }),
      })
      .finalMessage();
    expect(final.content).toHaveLength(plainLongText.content.length);
    expect(reports[0]?.outcome).toBe('recovered');
    expect(models.formFor('claude-sonnet-4-5')).toBe('continue');
    const kinds = mock.requests
      .filter((r) => r.scenario === 'refuses')
      .map((r) => [r.kind, r.status]);
    expect(kinds).toEqual([
      ['fresh', 200],
      ['prefill', 400],
      ['continuation', 200],
    ]);
  });

  it('stops at once when the caller aborts: no further attempt is made', async () => {
    const reports: RecoveryReport[] = [];
    const run = `abort-${seq++}`;
    const stream = client(reports).beta.messages.stream(params(), {
      headers: {
        'x-mock-scenario': 'plain',
        'x-mock-run': run,
        'x-mock-faults': JSON.stringify({ '1': { kind: 'stall', afterEvents: 20, ms: 10_000 } }),
      },
    });
    setTimeout(() => stream.abort(), 200);
    await expect(stream.finalMessage()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(mock.requests.filter((r) => r.runId === run)).toHaveLength(1);
  });

  it('leaves no listener on the caller signal once the attempts are over', async () => {
    const caller = new AbortController();
    const response = await lifelineFetch({ logger: false, policy: { baseDelayMs: 1 } })(
      `${mock.url}/v1/messages`,
      {
        method: 'POST',
        signal: caller.signal,
        headers: {
          'content-type': 'application/json',
          ...headers('plain', {
            '1': { kind: 'drop', afterEvents: 20 },
            '2': { kind: 'drop', afterEvents: 10 },
          }),
        },
        body: JSON.stringify({ ...params(), stream: true }),
      },
    );
    const text = await response.text();
    expect(text).toContain('event: message_stop');
    expect(getEventListeners(caller.signal, 'abort')).toHaveLength(0);
  });
});
