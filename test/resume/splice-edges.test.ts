/**
 * Splicing edge cases outside the fault matrix: a continuation that opens with adaptive
 * thinking, unknown event and delta types passing through untouched.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import { loadScenarios, type MockServer, type Scenario, startMock } from '../../src/mock/index.js';
import { Splicer } from '../../src/resume/index.js';
import { SseDecoder } from '../../src/sse/index.js';
import { SCENARIOS_DIR } from '../helpers/mock.js';

let mock: MockServer;
let scenario: Scenario;

beforeAll(async () => {
  scenario = loadScenarios(SCENARIOS_DIR).find(
    (s) => s.name === 'continuation-thinking',
  ) as Scenario;
  mock = await startMock({ scenarios: [scenario] });
});
afterAll(async () => {
  await mock.close();
});

describe('a continuation turn that opens with adaptive thinking', () => {
  it('keeps the thinking as its own signed block and continues the text in a new block after it', async () => {
    const client = new Anthropic({
      apiKey: 'test-key',
      baseURL: mock.url,
      maxRetries: 0,
      middleware: [lifelineMiddleware({ logger: false })],
    });
    const final = await client.beta.messages
      .stream({
        model: scenario.message.model,
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'go' }],
      })
      .finalMessage();
    const types = final.content.map((b) => b.type);
    expect(types).toEqual(['text', 'thinking', 'text']);
    const thinking = final.content[1] as Anthropic.Beta.BetaThinkingBlock;
    expect(thinking.signature.length).toBeGreaterThan(0);
    const text = final.content
      .filter((b): b is Anthropic.Beta.BetaTextBlock => b.type === 'text')
      .map((b) => b.text)
      .join('');
    const expected = (scenario.message.content[0] as { text: string }).text;
    expect(text).toBe(expected);
  });
});

function events(splicer: Splicer, list: Array<[string, Record<string, unknown>]>): string[] {
  const out: Uint8Array[] = [];
  for (const [type, data] of list) splicer.push({ type, data: { type, ...data } }, out);
  const decoder = new SseDecoder();
  return out.flatMap((chunk) => decoder.push(chunk)).map((e) => `${e.event}:${e.data}`);
}

describe('unknown types pass through untouched', () => {
  const start = {
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [],
      usage: { input_tokens: 1, output_tokens: 1 },
    },
  };

  it('forwards an unknown event type as it came', () => {
    const out = events(new Splicer(), [
      ['message_start', start],
      ['future_event', { payload: { x: 1 } }],
    ]);
    expect(out[1]).toBe('future_event:{"type":"future_event","payload":{"x":1}}');
  });

  it('forwards an unknown delta of a text block, and holds nothing back for it', () => {
    const out = events(new Splicer(), [
      ['message_start', start],
      ['content_block_start', { index: 0, content_block: { type: 'text', text: '' } }],
      ['content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }],
      ['content_block_delta', { index: 0, delta: { type: 'sparkle_delta', sparkle: 3 } }],
    ]);
    expect(out.at(-1)).toBe(
      'content_block_delta:{"type":"content_block_delta","index":0,"delta":{"type":"sparkle_delta","sparkle":3}}',
    );
  });

  it('sends an unknown block whole, unchanged, once it stops', () => {
    const splicer = new Splicer();
    const before = events(splicer, [
      ['message_start', start],
      ['content_block_start', { index: 0, content_block: { type: 'hologram', frames: [1, 2] } }],
    ]);
    expect(before).toHaveLength(1); // held: a drop inside it regenerates it
    const after = events(splicer, [['content_block_stop', { index: 0 }]]);
    expect(after).toEqual([
      'content_block_start:{"type":"content_block_start","index":0,"content_block":{"type":"hologram","frames":[1,2]}}',
      'content_block_stop:{"type":"content_block_stop","index":0}',
    ]);
  });
});

describe('thinking hold-back', () => {
  const start = {
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [],
      usage: { input_tokens: 1, output_tokens: 1 },
    },
  };
  const thinkingEvents: Array<[string, Record<string, unknown>]> = [
    ['message_start', start],
    [
      'content_block_start',
      { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
    ],
    [
      'content_block_delta',
      { index: 0, delta: { type: 'thinking_delta', thinking: 'Let me think' } },
    ],
  ];

  it('holds unsigned thinking by default, then sends it once signed', () => {
    const splicer = new Splicer();
    expect(events(splicer, thinkingEvents)).toHaveLength(1); // message_start only
    const signed = events(splicer, [
      ['content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'sig' } }],
    ]);
    expect(signed.map((e) => e.split(':')[0])).toEqual([
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
    ]);
  });

  it('a drop inside held thinking is resumable: nothing of it reached the client', () => {
    const splicer = new Splicer();
    events(splicer, thinkingEvents);
    const discarded = splicer.failAttempt([]);
    expect(discarded.openBlock?.type).toBe('thinking');
    expect(splicer.unrecoverable).toBeUndefined();
  });

  it('with thinking: "stream", a drop inside unsigned thinking cannot be continued', () => {
    const splicer = new Splicer({ thinking: 'stream' });
    expect(events(splicer, thinkingEvents)).toHaveLength(3); // streamed live
    splicer.failAttempt([]);
    expect(splicer.unrecoverable).toMatch(/thinking/);
  });
});
