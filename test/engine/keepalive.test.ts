/**
 * While a continuation restates a long text, the seam holds it back until it can decide; the
 * upstream is busy but the client hears nothing. The engine sends keep-alive comments then, so
 * client read timeouts do not fire.
 */
import { describe, expect, it } from 'vitest';
import { runStream, type UpstreamResponse } from '../../src/engine/index.js';
import { sleep } from '../../src/resume/index.js';

const enc = new TextEncoder();
const ev = (type: string, data: Record<string, unknown>) =>
  enc.encode(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);

const START = ev('message_start', {
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-opus-4-6',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 1 },
  },
});
const TEXT_START = ev('content_block_start', {
  index: 0,
  content_block: { type: 'text', text: '' },
});
const delta = (text: string) =>
  ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });

const PARTIAL = 'Step one backs up the database. Step two migrates the schema. Step three ver';
const REST = 'ifies the result.';

function response(chunks: Uint8Array[], gapMs: number, fail: boolean): UpstreamResponse {
  return {
    status: 200,
    headers: new Headers({ 'content-type': 'text/event-stream' }),
    body: (async function* () {
      for (const c of chunks) {
        yield c;
        if (gapMs > 0) await sleep(gapMs);
      }
      if (fail) throw new TypeError('terminated');
    })(),
  };
}

/** A first attempt cut after PARTIAL, then a continuation restating all of it slowly. */
async function restating(keepAliveMs: number) {
  let attempt = 0;
  const restated = PARTIAL; // the model restates everything it had written, slowly
  const pieces = restated.match(/.{1,4}/gsu) ?? [];
  return runStream(
    { model: 'claude-opus-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'go' }] },
    async () => {
      attempt++;
      if (attempt === 1) return response([START, TEXT_START, delta(PARTIAL)], 0, true);
      return response(
        [
          START,
          TEXT_START,
          ...pieces.map(delta),
          delta(REST),
          ev('content_block_stop', { index: 0 }),
          ev('message_delta', {
            delta: { stop_reason: 'end_turn', stop_sequence: null },
            usage: { output_tokens: 9 },
          }),
          ev('message_stop', {}),
        ],
        15,
        false,
      );
    },
    { keepAliveMs, policy: { baseDelayMs: 1 } },
  );
}

describe('keep-alive while a seam holds a restatement back', () => {
  it('sends no comment at all with keepAliveMs 0', async () => {
    const result = await restating(0);
    if (result.kind !== 'stream') throw new Error('expected a stream');
    let wire = '';
    const dec = new TextDecoder();
    for await (const chunk of result.body) wire += dec.decode(chunk, { stream: true });
    expect(wire).not.toContain(': lifeline');
    expect(wire).toContain('event: message_stop');
  });

  it('sends SSE comments while the restatement streams, then the joined text once', async () => {
    const result = await restating(60);
    expect(result.kind).toBe('stream');
    if (result.kind !== 'stream') return;
    let wire = '';
    const dec = new TextDecoder();
    const t0 = performance.now();
    for await (const chunk of result.body) wire += dec.decode(chunk, { stream: true });
    const elapsed = performance.now() - t0;
    const seamComments = wire.split(': lifeline resuming: seam').length - 1;
    // ~19 pieces x 15 ms: well over 60 ms of restatement, so at least one comment; and at most
    // one per 60 ms of it, not one per chunk.
    expect(seamComments).toBeGreaterThanOrEqual(1);
    expect(seamComments).toBeLessThanOrEqual(elapsed / 60 + 1);
    const texts = [...wire.matchAll(/"text_delta","text":("(?:[^"\\]|\\.)*")/gu)].map(
      (m) => JSON.parse(m[1] as string) as string,
    );
    expect(texts.join('')).toBe(PARTIAL + REST);
    const report = await result.report;
    expect(report.seams[0]).toMatchObject({ rule: 'all', trimmed: PARTIAL.length });
  });
});
