import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import { type MockServer, parseScenario, startMock } from '../../src/mock/index.js';
import type { RecoveryReport } from '../../src/resume/index.js';
import { plainLongText, serverToolLoop } from '../fixtures/streams.js';
import { strip } from '../helpers/message.js';

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

  it('reports each seam: block, offset, characters trimmed, rule, confidence (no text without excerpts)', async () => {
    const reports: RecoveryReport[] = [];
    const final = await client(
      'plain-restate',
      { '1': { kind: 'drop', event: 30, bytes: 25 } },
      reports,
    )
      .beta.messages.stream({
        model: 'claude-opus-4-6',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    const seams = reports[0]?.seams ?? [];
    expect(seams).toHaveLength(1);
    const seam = seams[0];
    expect(seam?.attempt).toBe(2);
    expect(seam?.rule).toBe('words');
    expect(seam?.confidence).toBe('high');
    expect(seam?.excerpt).toBeUndefined();
    // Three words restated and removed: the trimmed characters are those three words.
    const block = final.content[seam?.blockIndex ?? -1] as { type: string; text: string };
    expect(block.type).toBe('text');
    const before = block.text.slice(0, seam?.offset);
    const words = /\S+\s+\S+\s+\S+$/u.exec(before)?.[0] ?? '';
    expect(seam?.trimmed).toBe(words.length);
  });

  it('a naive seam (seam: "append") leaves the restatement in: what the seam rules prevent', async () => {
    const reports: RecoveryReport[] = [];
    const naive = new Anthropic({
      apiKey: 'test-key',
      baseURL: mock.url,
      maxRetries: 0,
      defaultHeaders: {
        'x-mock-scenario': 'plain-restate',
        'x-mock-run': `naive-${Math.random()}`,
        'x-mock-faults': JSON.stringify({ '1': { kind: 'drop', event: 30, bytes: 25 } }),
      },
      middleware: [
        lifelineMiddleware({
          onReport: (r) => reports.push(r),
          logger: false,
          policy: { baseDelayMs: 1 },
          seam: 'append',
          seamExcerpts: true,
        }),
      ],
    });
    const final = await naive.beta.messages
      .stream({
        model: 'claude-opus-4-6',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .finalMessage();
    const expected = await baseline('plain-restate', 'claude-opus-4-6');
    expect(strip(final)).not.toEqual(expected);
    const seam = reports[0]?.seams[0];
    expect(seam?.rule).toBe('append');
    expect(seam?.trimmed).toBe(0);
    // With excerpts on, the record carries the text around the seam (and the restated words
    // appear on both sides of it).
    const restated = seam?.excerpt?.after.split(/\s+/u).slice(0, 3).join(' ') ?? '';
    expect(restated.length).toBeGreaterThan(0);
    expect(seam?.excerpt?.before.replace(/\s+/gu, ' ')).toContain(restated);
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
