/**
 * The bytes the splicer sends for text deltas: passed through as received when nothing about
 * them changes, and otherwise re-encoded exactly as `encodeEventBytes` would encode them (the
 * splicer has its own faster encoder for text deltas; this pins it to the generic one).
 */
import { describe, expect, it } from 'vitest';
import { encodeEventBytes, Splicer } from '../../src/resume/index.js';

type Json = Record<string, unknown>;

function upstream(type: string, data: Json) {
  const full = { type, ...data };
  return { type, data: full, raw: encodeEventBytes(type, full) };
}

function delta(text: string) {
  return upstream('content_block_delta', {
    index: 0,
    delta: { type: 'text_delta', text },
  });
}

/** A splicer with an open text block, and the chunks it sent for `texts` pushed as deltas. */
function sendDeltas(texts: string[]): { sent: Uint8Array[]; pushed: Uint8Array[] } {
  const splicer = new Splicer();
  const sink: Uint8Array[] = [];
  splicer.push(
    upstream('message_start', {
      message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: {} },
    }),
    sink,
  );
  splicer.push(
    upstream('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    sink,
  );
  const pushed: Uint8Array[] = [];
  const sent: Uint8Array[] = [];
  for (const text of texts) {
    const ev = delta(text);
    pushed.push(ev.raw);
    const out: Uint8Array[] = [];
    splicer.push(ev, out);
    // The first delta also releases the held content_block_start: keep only the deltas.
    sent.push(...out.filter((b) => new TextDecoder().decode(b).includes('"text_delta"')));
  }
  return { sent, pushed };
}

function expectedDelta(text: string): Uint8Array {
  return encodeEventBytes('content_block_delta', {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text },
  });
}

describe('text delta bytes', () => {
  it('passes a delta that ends in a visible character through as the same bytes', () => {
    const { sent, pushed } = sendDeltas(['Hello', ', world']);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBe(pushed[0]);
    expect(sent[1]).toBe(pushed[1]);
  });

  it('re-encodes deltas around held whitespace exactly as encodeEventBytes does', () => {
    const tricky = ['say "hi" \\ back ', '\u2028line\tsep\u0001 ', '😀 日本語 é\n\n', 'end'];
    const { sent } = sendDeltas(tricky);
    const expected = ['say "hi" \\ back', ' \u2028line\tsep\u0001', ' 😀 日本語 é', '\n\nend'].map(
      expectedDelta,
    );
    expect(sent.map((b) => Buffer.from(b).toString('utf8'))).toEqual(
      expected.map((b) => Buffer.from(b).toString('utf8')),
    );
  });

  it('holds a delta that ends in a non-ASCII space (U+3000) like any other whitespace', () => {
    const { sent } = sendDeltas(['全角\u3000', 'next']);
    expect(sent.map((b) => Buffer.from(b).toString('utf8'))).toEqual(
      [expectedDelta('全角'), expectedDelta('\u3000next')].map((b) =>
        Buffer.from(b).toString('utf8'),
      ),
    );
  });
});
