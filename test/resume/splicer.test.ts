/**
 * The splicer on its own, event by event: the hold-back rules (text whitespace, held blocks,
 * thinking until signed, message_delta until message_stop), renumbering across attempts, the
 * one message_delta with usage summed, error events, regenerated blocks, and what a failed
 * attempt reports as discarded. The engine and fault-matrix tests run the same code through
 * real streams; these state each rule where it can fail alone.
 */
import { describe, expect, it } from 'vitest';
import {
  encodeEventBytes,
  SpliceProtocolError,
  Splicer,
  type UpstreamEvent,
} from '../../src/resume/index.js';
import { SseDecoder } from '../../src/sse/index.js';

type Json = Record<string, unknown>;
type Ev = [string, Json];

const utf8 = new TextEncoder();

/**
 * An upstream event with its own bytes, as the engine passes it. The bytes are laid out unlike
 * the splicer's own encoding (no space after `data:`, a comment line), so a test can tell an
 * event passed through from one re-encoded.
 */
function up(type: string, data: Json): UpstreamEvent {
  const full = { type, ...data };
  return {
    type,
    data: full,
    raw: utf8.encode(`: up\nevent: ${type}\ndata:${JSON.stringify(full)}\n\n`),
  };
}

/** The splicer's own encoding of an event (renumbered, merged or synthesized). */
const own = (type: string, data: Json): Uint8Array => encodeEventBytes(type, data);

const messageStart = (usage: Json = { input_tokens: 10, output_tokens: 1 }, extra: Json = {}) =>
  up('message_start', {
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [],
      usage,
      ...extra,
    },
  });
const textStart = (index: number) =>
  up('content_block_start', { index, content_block: { type: 'text', text: '' } });
const text = (index: number, t: string) =>
  up('content_block_delta', { index, delta: { type: 'text_delta', text: t } });
const stop = (index: number) => up('content_block_stop', { index });
const toolStart = (index: number, id: string, name = 'get_weather', type = 'tool_use') =>
  up('content_block_start', { index, content_block: { type, id, name, input: {} } });
const json = (index: number, partial: string) =>
  up('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: partial } });
const thinkingStart = (index: number) =>
  up('content_block_start', {
    index,
    content_block: { type: 'thinking', thinking: '', signature: '' },
  });
const thinking = (index: number, t: string) =>
  up('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: t } });
const signature = (index: number) =>
  up('content_block_delta', { index, delta: { type: 'signature_delta', signature: 'sig' } });
const messageDelta = (usage: Json = { output_tokens: 5 }, delta: Json = {}) =>
  up('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null, ...delta }, usage });
const messageStop = () => up('message_stop', {});

/** What the client received, decoded: `[event type, data]` per event. */
function decoded(out: readonly Uint8Array[]): Ev[] {
  const decoder = new SseDecoder();
  return out
    .flatMap((chunk) => decoder.push(chunk))
    .map((e) => [e.event ?? '', JSON.parse(e.data) as Json]);
}

/** Pushes each event; returns what each push sent, decoded, and the push results. */
function feed(splicer: Splicer, events: UpstreamEvent[]): { sent: Ev[]; results: string[] } {
  const out: Uint8Array[] = [];
  const results = events.map((ev) => splicer.push(ev, out));
  return { sent: decoded(out), results };
}

/** A splicer that delivered `delivered` in an open text block, lost the attempt, and began a continuation turn. */
function continuingAfter(delivered: string): Splicer {
  const splicer = new Splicer();
  feed(splicer, [messageStart(), textStart(0), text(0, delivered)]);
  splicer.failAttempt([]);
  splicer.beginAttempt('continue', []);
  return splicer;
}

function types(sent: Ev[]): string[] {
  return sent.map(([type, data]) =>
    type === 'content_block_start' ||
    type === 'content_block_delta' ||
    type === 'content_block_stop'
      ? `${type}@${String(data.index)}`
      : type,
  );
}

describe('message_start', () => {
  it('is sent once, as its own bytes, however many attempts start', () => {
    const splicer = new Splicer();
    const first = messageStart();
    const out: Uint8Array[] = [];
    expect(splicer.push(first, out)).toBe('continue');
    expect(out).toStrictEqual([first.raw]);
    expect(splicer.started).toBe(true);
    splicer.beginAttempt('continue', []);
    const again: Uint8Array[] = [];
    expect(splicer.push(messageStart(), again)).toBe('continue');
    expect(again).toStrictEqual([]);
  });

  it('must come before any content block', () => {
    const splicer = new Splicer();
    expect(splicer.started).toBe(false);
    expect(() => splicer.push(textStart(0), [])).toThrow(SpliceProtocolError);
    expect(() => splicer.push(textStart(0), [])).toThrow(
      'upstream stream is malformed: a content block arrived before message_start',
    );
  });

  it('takes the container id from the first attempt that names one', () => {
    const splicer = new Splicer();
    splicer.push(messageStart(undefined, { container: { id: 'c_1' } }), []);
    expect(splicer.containerId).toBe('c_1');
    splicer.beginAttempt('continue', []);
    splicer.push(messageStart(undefined, { container: { id: 'c_2' } }), []);
    expect(splicer.containerId).toBe('c_1');
    expect(splicer.view().containerId).toBe('c_1');
  });

  it('leaves the container id unset for a null container or one without a string id', () => {
    const splicer = new Splicer();
    splicer.push(messageStart(undefined, { container: null }), []);
    splicer.push(messageStart(undefined, { container: { id: 7 } }), []);
    expect(splicer.containerId).toBeUndefined();
  });

  it('takes the container id from a message_delta when message_start had none', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), messageDelta(undefined, { container: { id: 'c_9' } })]);
    expect(splicer.containerId).toBe('c_9');
    const other = new Splicer();
    feed(other, [
      messageStart(undefined, { container: { id: 'c_1' } }),
      messageDelta(undefined, { container: { id: 'c_9' } }),
    ]);
    expect(other.containerId).toBe('c_1');
  });
});

describe('events passed through', () => {
  it('forwards a ping as its own bytes, or encodes one when it has none', () => {
    const splicer = new Splicer();
    splicer.push(messageStart(), []);
    const ping = up('ping', {});
    const out: Uint8Array[] = [];
    expect(splicer.push(ping, out)).toBe('continue');
    splicer.push({ type: 'ping', data: { type: 'ping' } }, out);
    expect(out[0]).toBe(ping.raw);
    expect(decoded(out)).toStrictEqual([
      ['ping', { type: 'ping' }],
      ['ping', { type: 'ping' }],
    ]);
  });

  it('forwards an unknown event type without raw bytes, encoded from its data', () => {
    const splicer = new Splicer();
    splicer.push(messageStart(), []);
    const out: Uint8Array[] = [];
    splicer.push({ type: 'future', data: { type: 'future', x: 1 } }, out);
    expect(decoded(out)).toStrictEqual([['future', { type: 'future', x: 1 }]]);
  });

  it('ignores a delta or a stop for a block that never started', () => {
    const splicer = new Splicer();
    splicer.push(messageStart(), []);
    const { sent, results } = feed(splicer, [text(3, 'lost'), stop(3)]);
    expect(sent).toStrictEqual([]);
    expect(results).toStrictEqual(['continue', 'continue']);
  });

  it('reads a missing index as 0', () => {
    const splicer = new Splicer();
    feed(splicer, [
      messageStart(),
      up('content_block_start', { content_block: { type: 'text', text: '' } }),
      up('content_block_delta', { delta: { type: 'text_delta', text: 'Hi' } }),
    ]);
    expect(splicer.view().openText).toBe('Hi');
  });
});

describe('text: trailing whitespace held', () => {
  it('holds a text block start until its first visible text', () => {
    const splicer = new Splicer();
    const { sent } = feed(splicer, [messageStart(), textStart(0), text(0, '  ')]);
    expect(types(sent)).toStrictEqual(['message_start']);
    expect(splicer.view().openText).toBeUndefined();
    const more = feed(splicer, [text(0, 'Hi')]);
    expect(more.sent).toStrictEqual([
      [
        'content_block_start',
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '  Hi' } },
      ],
    ]);
    expect(splicer.view().openText).toBe('  Hi');
  });

  it('holds trailing whitespace of every kind until more text comes, then sends it first', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0)]);
    expect(feed(splicer, [text(0, 'Hello \n\t')]).sent.map((e) => e[1].delta)).toStrictEqual([
      undefined,
      { type: 'text_delta', text: 'Hello' },
    ]);
    expect(feed(splicer, [text(0, 'world')]).sent.map((e) => e[1].delta)).toStrictEqual([
      { type: 'text_delta', text: ' \n\tworld' },
    ]);
  });

  it('holds trailing non-ASCII whitespace too (a no-break space)', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0)]);
    expect(feed(splicer, [text(0, 'a\u00a0')]).sent.map((e) => e[1].delta)).toStrictEqual([
      undefined,
      { type: 'text_delta', text: 'a' },
    ]);
  });

  it('sends a delta ending in a visible character as its own bytes', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'a')]);
    const delta = text(0, 'b c~');
    const out: Uint8Array[] = [];
    splicer.push(delta, out);
    expect(out).toStrictEqual([delta.raw]);
  });

  it('sends the held whitespace before the block stop', () => {
    const splicer = new Splicer();
    const { sent } = feed(splicer, [messageStart(), textStart(0), text(0, 'end. '), stop(0)]);
    expect(sent.slice(1).map(([t, d]) => [t, d.delta])).toStrictEqual([
      ['content_block_start', undefined],
      ['content_block_delta', { type: 'text_delta', text: 'end.' }],
      ['content_block_delta', { type: 'text_delta', text: ' ' }],
      ['content_block_stop', undefined],
    ]);
  });

  it('sends a block of whitespace only, start and all, when it stops', () => {
    const splicer = new Splicer();
    const { sent } = feed(splicer, [messageStart(), textStart(0), text(0, '\n'), stop(0)]);
    expect(types(sent)).toStrictEqual([
      'message_start',
      'content_block_start@0',
      'content_block_delta@0',
      'content_block_stop@0',
    ]);
  });
});

describe('held blocks', () => {
  it('holds a tool use until its stop, then sends it whole as its own bytes', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart()]);
    const events = [toolStart(0, 'toolu_1'), json(0, '{"city":'), json(0, '"Paris"}')];
    const out: Uint8Array[] = [];
    for (const ev of events) splicer.push(ev, out);
    expect(out).toStrictEqual([]);
    const end = stop(0);
    splicer.push(end, out);
    expect(out).toStrictEqual([...events.map((e) => e.raw), end.raw]);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ]);
  });

  it('renumbers a held block after the text before it, closing the text first', () => {
    const splicer = new Splicer();
    const { sent } = feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'Let me look. '),
      toolStart(1, 'toolu_1'),
      json(1, '{}'),
      stop(1),
    ]);
    expect(types(sent)).toStrictEqual([
      'message_start',
      'content_block_start@0',
      'content_block_delta@0',
      'content_block_delta@0',
      'content_block_stop@0',
      'content_block_start@1',
      'content_block_delta@1',
      'content_block_stop@1',
    ]);
  });

  it('holds thinking until its signature, then streams the rest live', () => {
    const splicer = new Splicer();
    const first = feed(splicer, [messageStart(), thinkingStart(0), thinking(0, 'Hmm')]);
    expect(types(first.sent)).toStrictEqual(['message_start']);
    const signed = feed(splicer, [signature(0)]);
    expect(types(signed.sent)).toStrictEqual([
      'content_block_start@0',
      'content_block_delta@0',
      'content_block_delta@0',
    ]);
    expect(types(feed(splicer, [stop(0)]).sent)).toStrictEqual(['content_block_stop@0']);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'thinking', thinking: 'Hmm', signature: 'sig' },
    ]);
  });

  it('streams thinking live with the thinking option "stream"', () => {
    const splicer = new Splicer({ thinking: 'stream' });
    const { sent } = feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'A'),
      thinkingStart(1),
      thinking(1, 'Hmm'),
    ]);
    expect(types(sent)).toStrictEqual([
      'message_start',
      'content_block_start@0',
      'content_block_delta@0',
      'content_block_stop@0',
      'content_block_start@1',
      'content_block_delta@1',
    ]);
  });

  it('holds citations of a text block until the block stops, after its text', () => {
    const splicer = new Splicer();
    const cite = up('content_block_delta', {
      index: 0,
      delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } },
    });
    const before = feed(splicer, [messageStart(), textStart(0), text(0, 'Fact.'), cite]);
    expect(types(before.sent)).toStrictEqual([
      'message_start',
      'content_block_start@0',
      'content_block_delta@0',
    ]);
    const after = feed(splicer, [stop(0)]);
    expect(after.sent.map(([t, d]) => [t, (d.delta as Json | undefined)?.type])).toStrictEqual([
      ['content_block_delta', 'citations_delta'],
      ['content_block_stop', undefined],
    ]);
  });

  it('sends the held start before the citations of a block with no visible text', () => {
    const splicer = new Splicer();
    const cite = up('content_block_delta', {
      index: 0,
      delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } },
    });
    const { sent } = feed(splicer, [messageStart(), textStart(0), cite, stop(0)]);
    expect(types(sent)).toStrictEqual([
      'message_start',
      'content_block_start@0',
      'content_block_delta@0',
      'content_block_stop@0',
    ]);
  });
});

describe('bytes passed through or re-encoded', () => {
  it('passes a held block through as its own bytes when its index stays, re-encodes it when it moves', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Hi'), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    splicer.push(messageStart(), []);
    const start = toolStart(0, 'toolu_1');
    const end = stop(0);
    const out: Uint8Array[] = [];
    splicer.push(start, out);
    splicer.push(end, out);
    const moved = { ...start.data, index: 1 };
    expect(out).toStrictEqual([
      own('content_block_start', moved),
      own('content_block_stop', { type: 'content_block_stop', index: 1 }),
    ]);
  });

  it('re-encodes a text delta that carries held whitespace, and the whitespace flushed at the stop', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'a ')]);
    const out: Uint8Array[] = [];
    splicer.push(text(0, 'b'), out);
    const end = stop(0);
    splicer.push(text(0, ' '), out);
    splicer.push(end, out);
    const delta = (t: string) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: t },
    });
    expect(out).toStrictEqual([
      own('content_block_delta', delta(' b')),
      own('content_block_delta', delta(' ')),
      end.raw,
    ]);
  });

  it('re-encodes every event of a thinking block that moved', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), toolStart(0, 'toolu_1'), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    splicer.push(messageStart(), []);
    const out: Uint8Array[] = [];
    for (const ev of [thinkingStart(0), thinking(0, 'x'), signature(0), stop(0)])
      splicer.push(ev, out);
    expect(decoded(out).map(([, d]) => d.index)).toStrictEqual([1, 1, 1, 1]);
    expect(new TextDecoder().decode(out[0])).not.toContain(': up');
  });
});

describe('message_delta and message_stop', () => {
  it('holds message_delta until message_stop; one attempt sends both as their own bytes', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart()]);
    const delta = messageDelta();
    const out: Uint8Array[] = [];
    expect(splicer.push(delta, out)).toBe('continue');
    expect(out).toStrictEqual([]);
    expect(splicer.view().finished).toBe(true);
    const end = messageStop();
    expect(splicer.push(end, out)).toBe('done');
    expect(out).toStrictEqual([delta.raw, end.raw]);
    expect(splicer.ended).toBe(true);
  });

  it('sums usage over attempts: input, output and cache tokens', () => {
    const splicer = new Splicer();
    feed(splicer, [
      messageStart({ input_tokens: 10, output_tokens: 1, cache_read_input_tokens: 3 }),
      textStart(0),
      text(0, 'Hello'),
    ]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    const { sent } = feed(splicer, [
      messageStart({ input_tokens: 20, output_tokens: 2, cache_creation_input_tokens: 4 }),
      messageDelta({ output_tokens: 7 }),
      messageStop(),
    ]);
    expect(sent.at(-2)).toStrictEqual([
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: {
          output_tokens: 8,
          input_tokens: 30,
          cache_creation_input_tokens: 4,
          cache_read_input_tokens: 3,
        },
      },
    ]);
    expect(sent.at(-1)).toStrictEqual(['message_stop', { type: 'message_stop' }]);
  });

  it('takes a message_delta input_tokens count over the message_start one', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart({ input_tokens: 10, output_tokens: 1 })]);
    splicer.beginAttempt('continue', []);
    const { sent } = feed(splicer, [
      messageStart({ input_tokens: 20, output_tokens: 1 }),
      messageDelta({ output_tokens: 3, input_tokens: 25 }),
      messageStop(),
    ]);
    expect(sent.at(-2)?.[1].usage).toStrictEqual({ output_tokens: 4, input_tokens: 35 });
  });

  it('counts a non-numeric token count as 0', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart({ input_tokens: 'x', output_tokens: Number.NaN })]);
    splicer.beginAttempt('continue', []);
    const { sent } = feed(splicer, [messageStart({ input_tokens: 2 }), messageStop()]);
    expect(sent.at(-2)).toStrictEqual([
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_sequence: null },
        usage: { input_tokens: 2, output_tokens: 0 },
      },
    ]);
  });

  it('finishes with a given stop reason, closing the open text block first', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'cut ')]);
    const out: Uint8Array[] = [];
    splicer.finish(out, undefined, { stopReason: 'max_tokens' });
    const sent = decoded(out);
    expect(types(sent)).toStrictEqual([
      'content_block_delta@0',
      'content_block_stop@0',
      'message_delta',
      'message_stop',
    ]);
    expect(sent[2]?.[1]).toStrictEqual({
      type: 'message_delta',
      delta: { stop_sequence: null, stop_reason: 'max_tokens' },
      usage: { input_tokens: 10, output_tokens: 1 },
    });
    const again: Uint8Array[] = [];
    splicer.finish(again);
    expect(again).toStrictEqual([]);
  });

  it('sends nothing more once the message is done', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), messageStop()]);
    const { sent, results } = feed(splicer, [textStart(0), up('ping', {})]);
    expect(sent).toStrictEqual([]);
    expect(results).toStrictEqual(['done', 'done']);
  });
});

describe('error events', () => {
  it('reports a retryable error event as a failure of the attempt and sends nothing', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart()]);
    const { sent, results } = feed(splicer, [
      up('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    ]);
    expect(results).toStrictEqual(['retryable-error']);
    expect(sent).toStrictEqual([]);
    expect(splicer.ended).toBe(false);
  });

  it('passes a non-retryable error event through and ends the stream', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart()]);
    const error = up('error', { error: { type: 'invalid_request_error', message: 'bad' } });
    const out: Uint8Array[] = [];
    expect(splicer.push(error, out)).toBe('fatal-error');
    expect(out).toStrictEqual([error.raw]);
    expect(splicer.ended).toBe(true);
  });

  it('treats an error event without a type as fatal, encoded from its data', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart()]);
    const out: Uint8Array[] = [];
    expect(splicer.push({ type: 'error', data: { type: 'error' } }, out)).toBe('fatal-error');
    expect(decoded(out)).toStrictEqual([['error', { type: 'error' }]]);
  });
});

describe('a failed attempt', () => {
  it('reports the held blocks it discards, with the open one as far as received', () => {
    const splicer = new Splicer();
    feed(splicer, [
      messageStart(),
      toolStart(0, 'toolu_1'),
      json(0, '{"city":'),
      json(0, '"Zürich"'),
    ]);
    const out: Uint8Array[] = [];
    const discarded = splicer.failAttempt(out);
    expect(out).toStrictEqual([]);
    expect(discarded.blocks).toBe(1);
    // Every event held for it, its start included.
    expect(discarded.bytes).toBe(
      [toolStart(0, 'toolu_1'), json(0, '{"city":'), json(0, '"Zürich"')].reduce(
        (n, e) => n + (e.raw?.length ?? 0),
        0,
      ),
    );
    expect(discarded.openBlock).toStrictEqual({
      type: 'tool_use',
      name: 'get_weather',
      receivedBytes: 17, // 16 characters, "ü" is two bytes
      partial: '{"city":"Zürich"',
    });
  });

  it('reports thinking and text pieces of held blocks, and a block of unknown shape', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), thinkingStart(0), thinking(0, 'Let me')]);
    expect(splicer.failAttempt([]).openBlock).toStrictEqual({
      type: 'thinking',
      receivedBytes: 6,
      partial: 'Let me',
    });
    splicer.beginAttempt('continue', []);
    feed(splicer, [
      { type: 'content_block_start', data: { type: 'content_block_start', index: 0 } },
    ]);
    expect(splicer.failAttempt([])).toStrictEqual({
      blocks: 1,
      bytes: 0,
      openBlock: { type: 'unknown', receivedBytes: 0, partial: '' },
    });
  });

  it('reports nothing discarded when only text was streaming', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Hi')]);
    expect(splicer.failAttempt([])).toStrictEqual({ blocks: 0, bytes: 0, openBlock: undefined });
    expect(splicer.view().openText).toBe('Hi');
  });

  it('forgets a text block the client never saw start, so the next block takes its index', () => {
    const splicer = continuingAfter('  ');
    const { sent } = feed(splicer, [messageStart(), toolStart(0, 'toolu_1'), stop(0)]);
    expect(types(sent)).toStrictEqual(['content_block_start@0', 'content_block_stop@0']);
  });

  it('closes signed thinking that was streaming live', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), thinkingStart(0), thinking(0, 'Hmm'), signature(0)]);
    const out: Uint8Array[] = [];
    splicer.failAttempt(out);
    expect(decoded(out)).toStrictEqual([
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    ]);
    expect(splicer.unrecoverable).toBeUndefined();
  });

  it('cannot continue unsigned thinking streamed live', () => {
    const splicer = new Splicer({ thinking: 'stream' });
    feed(splicer, [messageStart(), thinkingStart(0), thinking(0, 'Hmm')]);
    const out: Uint8Array[] = [];
    splicer.failAttempt(out);
    expect(out).toStrictEqual([]);
    expect(splicer.unrecoverable).toBe(
      'the stream dropped inside thinking that was streamed live (option thinking: "stream")',
    );
  });
});

describe('what the client has', () => {
  it('has no partial message before message_start', () => {
    expect(new Splicer().partialMessage()).toBeUndefined();
  });

  it('leaves out of the partial message unsigned thinking cut while streaming live', () => {
    // Unsigned thinking cannot be sent back to the API: a caller continuing from the partial
    // message gets the complete blocks only.
    const splicer = new Splicer({ thinking: 'stream' });
    feed(splicer, [messageStart(), textStart(0), text(0, 'Hi'), stop(0), thinkingStart(1)]);
    feed(splicer, [thinking(1, 'Hmm')]);
    splicer.failAttempt([]);
    expect(splicer.partialMessage()?.content).toStrictEqual([{ type: 'text', text: 'Hi' }]);
    expect(splicer.deliveredChars()).toBe(2 + 3);
  });

  it('gives the partial message with the open text block as delivered', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Hello wor')]);
    expect(splicer.partialMessage()?.content).toStrictEqual([{ type: 'text', text: 'Hello wor' }]);
  });

  it('leaves out of the partial message a text block not started downstream', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, ' ')]);
    expect(splicer.partialMessage()?.content).toStrictEqual([]);
    expect(splicer.deliveredChars()).toBe(0);
  });

  it('counts delivered characters of text, thinking, tool input and other blocks', () => {
    const splicer = new Splicer();
    const other = up('content_block_start', {
      index: 3,
      content_block: { type: 'future_block', value: 1 },
    });
    feed(splicer, [
      messageStart(),
      thinkingStart(0),
      thinking(0, 'abc'),
      signature(0),
      stop(0),
      toolStart(1, 'toolu_1'),
      json(1, '{"a":1}'),
      stop(1),
      textStart(2),
      text(2, 'Hi!'),
      stop(2),
      other,
      stop(3),
      textStart(4),
      text(4, 'open'),
    ]);
    const futureBlock = JSON.stringify({ type: 'future_block', value: 1 }).length;
    expect(splicer.deliveredChars()).toBe(3 + 7 + 3 + futureBlock + 4);
  });

  it('counts the bytes it sent', () => {
    const splicer = new Splicer();
    const out: Uint8Array[] = [];
    for (const ev of [messageStart(), textStart(0), text(0, 'Hi '), stop(0)]) splicer.push(ev, out);
    expect(splicer.emittedBytes).toBe(out.reduce((n, b) => n + b.length, 0));
    expect(splicer.emittedBytes).toBeGreaterThan(0);
  });

  it('views the open text and its citations for the planner', () => {
    const splicer = new Splicer();
    expect(splicer.view().openCitations).toBeUndefined();
    feed(splicer, [messageStart(), textStart(0), text(0, 'A')]);
    expect(splicer.view()).toStrictEqual({
      blocks: [],
      openText: 'A',
      openCitations: undefined,
      containerId: undefined,
      finished: false,
    });
  });
});

describe('a continuation that regenerates blocks already sent', () => {
  const result = (index: number, toolUseId: string) =>
    up('content_block_start', {
      index,
      content_block: { type: 'web_search_tool_result', tool_use_id: toolUseId, content: [] },
    });

  /** A first attempt that sent a server tool use, then failed. */
  function afterServerTool(): Splicer {
    const splicer = new Splicer();
    feed(splicer, [
      messageStart(),
      toolStart(0, 'srvtoolu_1', 'web_search', 'server_tool_use'),
      json(0, '{"query":"x"}'),
      stop(0),
    ]);
    splicer.failAttempt([]);
    const sent = splicer.view().blocks;
    splicer.beginAttempt('restart', sent);
    return splicer;
  }

  it('drops the repeat and maps its new id to the one sent, for the result after it', () => {
    const splicer = afterServerTool();
    const { sent } = feed(splicer, [
      messageStart(),
      toolStart(0, 'srvtoolu_2', 'web_search', 'server_tool_use'),
      json(0, '{"query":"x"}'),
      stop(0),
      result(1, 'srvtoolu_2'),
      stop(1),
    ]);
    expect(types(sent)).toStrictEqual(['content_block_start@1', 'content_block_stop@1']);
    expect(sent[0]?.[1].content_block).toStrictEqual({
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_1',
      content: [],
    });
  });

  it('keeps a result whose tool use id maps to nothing as its own bytes', () => {
    const splicer = afterServerTool();
    feed(splicer, [
      messageStart(),
      toolStart(0, 'srvtoolu_2', 'web_search', 'server_tool_use'),
      json(0, '{"query":"x"}'),
      stop(0),
    ]);
    const other = result(1, 'srvtoolu_other');
    const out: Uint8Array[] = [];
    splicer.push(other, out);
    splicer.push(stop(1), out);
    expect(out[0]).toBe(other.raw);
  });

  it('keeps what follows a server tool use the continuation did not repeat', () => {
    const splicer = afterServerTool();
    const { sent, results } = feed(splicer, [
      messageStart(),
      toolStart(0, 'srvtoolu_2', 'web_search', 'server_tool_use'),
      json(0, '{"query":"other"}'),
      stop(0),
      textStart(1),
      text(1, 'Done'),
    ]);
    expect(results).toStrictEqual(Array(6).fill('continue'));
    expect(types(sent)).toStrictEqual([
      'content_block_start@1',
      'content_block_delta@1',
      'content_block_stop@1',
      'content_block_start@2',
      'content_block_delta@2',
    ]);
  });

  it('ends at a client tool use already sent when the continuation goes another way', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), toolStart(0, 'toolu_1'), json(0, '{"city":"Paris"}'), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('restart', splicer.view().blocks);
    const { sent, results } = feed(splicer, [
      messageStart(),
      toolStart(0, 'toolu_2'),
      json(0, '{"city":"Rome"}'),
      stop(0),
    ]);
    expect(results.at(-1)).toBe('end-at-tool');
    expect(sent).toStrictEqual([]);
  });

  it('drops a repeated client tool use with a new id', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), toolStart(0, 'toolu_1'), json(0, '{"city":"Paris"}'), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('restart', splicer.view().blocks);
    const { sent, results } = feed(splicer, [
      messageStart(),
      toolStart(0, 'toolu_2'),
      json(0, '{"city":"Paris"}'),
      stop(0),
      textStart(1),
      text(1, 'More'),
    ]);
    expect(results).toStrictEqual(Array(6).fill('continue'));
    expect(types(sent)).toStrictEqual(['content_block_start@1', 'content_block_delta@1']);
  });
});

describe('a continuation joined at the seam', () => {
  it('merges a continuation text block into the open block at its index', () => {
    const splicer = continuingAfter('The quick brown ');
    expect(splicer.seamPending).toBe(false);
    const { sent } = feed(splicer, [messageStart(), textStart(0), text(0, 'fox jumps')]);
    const deltas = sent.filter(([t]) => t === 'content_block_delta');
    expect(deltas.map(([, d]) => [d.index, (d.delta as Json).text])).toStrictEqual([
      [0, ' fox jumps'],
    ]);
    expect(splicer.seams).toHaveLength(1);
    expect(splicer.seams[0]).toMatchObject({ attempt: 2, blockIndex: 0, offset: 15 });
    expect(splicer.seams[0]?.excerpt).toBeUndefined();
  });

  it('keeps excerpts of the seam only with the seamExcerpts option', () => {
    const splicer = new Splicer({ seamExcerpts: true });
    feed(splicer, [messageStart(), textStart(0), text(0, 'The quick brown ')]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    feed(splicer, [messageStart(), textStart(0), text(0, 'fox jumps'), stop(0)]);
    expect(splicer.seams[0]?.excerpt).toStrictEqual({
      before: 'The quick brown',
      removed: '',
      after: ' fox jumps',
    });
  });

  it('starts a new block after a closed text block, at the next index', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Intro.'), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    const { sent } = feed(splicer, [messageStart(), textStart(0), text(0, ' More text'), stop(0)]);
    expect(types(sent)).toStrictEqual([
      'content_block_start@1',
      'content_block_delta@1',
      'content_block_stop@1',
    ]);
    expect(splicer.seams[0]).toMatchObject({ blockIndex: 1, offset: 0 });
  });

  it('drops a whitespace-only continuation of a closed block', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Intro.'), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    const { sent } = feed(splicer, [messageStart(), textStart(0), text(0, '  '), stop(0)]);
    expect(sent).toStrictEqual([]);
  });

  it('keeps the rest of a continuation of a closed block that goes on after whitespace and an unknown delta', () => {
    // Deciding the seam at the unknown delta with only whitespace in hand once dropped the
    // block, and with it every later delta: the text after it was silently lost.
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Intro.'), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    const future = up('content_block_delta', { index: 0, delta: { type: 'future_delta', x: 1 } });
    const { sent, results } = feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, ' '),
      future,
      text(0, 'More text.'),
      stop(0),
    ]);
    expect(results).toStrictEqual(Array(6).fill('continue'));
    expect(sent).toStrictEqual([
      [
        'content_block_start',
        { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      ],
      [
        'content_block_delta',
        { type: 'content_block_delta', index: 1, delta: { type: 'future_delta', x: 1 } },
      ],
      [
        'content_block_delta',
        {
          type: 'content_block_delta',
          index: 1,
          delta: { type: 'text_delta', text: ' More text.' },
        },
      ],
      ['content_block_stop', { type: 'content_block_stop', index: 1 }],
    ]);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'text', text: 'Intro.' },
      { type: 'text', text: ' More text.' },
    ]);
  });

  it('keeps a continuation of a closed block that opens with a citation, the citation after its text', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Intro. '), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    const citation = { type: 'char_location', cited_text: 'x' };
    const { sent } = feed(splicer, [
      messageStart(),
      textStart(0),
      up('content_block_delta', { index: 0, delta: { type: 'citations_delta', citation } }),
      text(0, 'Cited text.'),
      stop(0),
    ]);
    expect(types(sent)).toStrictEqual([
      'content_block_start@1',
      'content_block_delta@1',
      'content_block_delta@1',
      'content_block_stop@1',
    ]);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'text', text: 'Intro. ' },
      { type: 'text', text: 'Cited text.', citations: [citation] },
    ]);
  });

  it('decides the seam at an unknown delta and passes the delta on at the open index', () => {
    const splicer = continuingAfter('The quick brown ');
    const { sent } = feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'fox'),
      up('content_block_delta', { index: 0, delta: { type: 'future_delta', x: 1 } }),
    ]);
    expect(sent.map(([, d]) => (d.delta as Json).type)).toStrictEqual([
      'text_delta',
      'future_delta',
    ]);
    expect(sent.map(([, d]) => d.index)).toStrictEqual([0, 0]);
  });

  it('decides a pending seam when an unknown delta arrives, then passes the delta on', () => {
    const splicer = continuingAfter('The quick brown ');
    // "quick bro" may still be restating "quick brown": the seam waits.
    const waiting = feed(splicer, [messageStart(), textStart(0), text(0, 'quick bro')]);
    expect(waiting.sent).toStrictEqual([]);
    expect(splicer.seamPending).toBe(true);
    const { sent } = feed(splicer, [
      up('content_block_delta', { index: 0, delta: { type: 'future_delta', x: 1 } }),
    ]);
    expect(splicer.seamPending).toBe(false);
    expect(sent.map(([, d]) => [d.index, (d.delta as Json).type])).toStrictEqual([
      [0, 'text_delta'],
      [0, 'future_delta'],
    ]);
  });

  it('decides a pending seam at a citation and holds the citation until the block stops', () => {
    const splicer = continuingAfter('The quick brown ');
    feed(splicer, [messageStart(), textStart(0), text(0, 'quick bro')]);
    const cite = up('content_block_delta', {
      index: 0,
      delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } },
    });
    const atCite = feed(splicer, [cite]);
    expect(atCite.sent.map(([, d]) => (d.delta as Json).type)).toStrictEqual(['text_delta']);
    const atStop = feed(splicer, [stop(0)]);
    expect(types(atStop.sent)).toStrictEqual(['content_block_delta@0', 'content_block_stop@0']);
  });

  it('marks a seam decided at a citation or unknown delta low confidence, whatever rule it took', () => {
    // The text after that delta may still restate the delivered text: nothing examines it.
    for (const delta of [
      { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } },
      { type: 'future_delta', x: 1 },
    ]) {
      const splicer = continuingAfter('The quick brown ');
      feed(splicer, [messageStart(), textStart(0), text(0, 'quick bro')]);
      feed(splicer, [up('content_block_delta', { index: 0, delta })]);
      expect(splicer.seams).toHaveLength(1);
      expect(splicer.seams[0]?.confidence).toBe('low');
    }
  });

  it('keeps the confidence of the rule for a seam the text decided', () => {
    const splicer = continuingAfter('The quick brown ');
    feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'quick brown fox jumps over the lazy dog'),
    ]);
    expect(splicer.seams).toHaveLength(1);
    expect(splicer.seams[0]).toMatchObject({ rule: 'words', confidence: 'high' });
  });

  it('holds a citation that comes before the seam is decided until the block stops', () => {
    const splicer = continuingAfter('The quick brown ');
    const cite = up('content_block_delta', {
      index: 0,
      delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } },
    });
    const before = feed(splicer, [messageStart(), textStart(0), text(0, 'fox'), cite]);
    expect(before.sent.map(([, d]) => (d.delta as Json).type)).toStrictEqual(['text_delta']);
    const after = feed(splicer, [stop(0)]);
    expect(types(after.sent)).toStrictEqual(['content_block_delta@0', 'content_block_stop@0']);
  });
});

describe('more of what the client and the caller see', () => {
  it('answers every push of a whole stream with continue, and done at message_stop', () => {
    const { results } = feed(new Splicer(), [
      messageStart(),
      up('ping', {}),
      textStart(0),
      text(0, 'Hi'),
      stop(0),
      text(0, 'late'),
      stop(0),
      messageDelta(),
      messageStop(),
    ]);
    expect(results).toStrictEqual([...Array(8).fill('continue'), 'done']);
  });

  it('keeps the downstream message in step: closed blocks, stop reason, message_stop', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'Hi '), stop(0)]);
    expect(splicer.view().blocks).toStrictEqual([{ type: 'text', text: 'Hi ' }]);
    expect(splicer.view().openText).toBeUndefined();
    const out: Uint8Array[] = [];
    splicer.push(messageDelta(), out);
    splicer.finish(out);
    const snap = splicer.downstream().snapshot();
    expect(snap.stopReason).toBe('end_turn');
    expect(snap.stopped).toBe(true);
    expect(decoded(out).at(-1)).toStrictEqual(['message_stop', { type: 'message_stop' }]);
  });

  it('overrides the stop reason of a received message_delta in a one-attempt stream', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), messageDelta()]);
    const out: Uint8Array[] = [];
    splicer.finish(out, undefined, { stopReason: 'tool_use' });
    expect(((decoded(out)[0] as Ev)[1].delta as Json).stop_reason).toBe('tool_use');
  });

  it('joins no seam after a continuation that opens with a tool use', () => {
    const splicer = continuingAfter('Let me check');
    const { sent } = feed(splicer, [
      messageStart(),
      toolStart(0, 'toolu_1'),
      stop(0),
      textStart(1),
      text(1, 'Done.'),
    ]);
    expect(splicer.seams).toStrictEqual([]);
    expect(types(sent)).toStrictEqual([
      'content_block_stop@0',
      'content_block_start@1',
      'content_block_stop@1',
      'content_block_start@2',
      'content_block_delta@2',
    ]);
  });

  it('holds a tool use until its stop with the thinking option "stream" too', () => {
    const splicer = new Splicer({ thinking: 'stream' });
    const { sent } = feed(splicer, [messageStart(), toolStart(0, 'toolu_1'), json(0, '{}')]);
    expect(types(sent)).toStrictEqual(['message_start']);
  });
});

describe('a continuation of a closed text block', () => {
  /** A first attempt whose text block `delivered` closed, then failed; a continuation begins. */
  function afterClosed(delivered: string, strategy: 'continue' | 'prefill' = 'continue'): Splicer {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, delivered), stop(0)]);
    splicer.failAttempt([]);
    splicer.beginAttempt(strategy, []);
    return splicer;
  }

  it('starts the new block at its first visible character when the closed block ends with whitespace', () => {
    const splicer = afterClosed('Intro.\n\n');
    feed(splicer, [messageStart(), textStart(0), text(0, '\n\nNext paragraph.'), stop(0)]);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'text', text: 'Intro.\n\n' },
      { type: 'text', text: 'Next paragraph.' },
    ]);
  });

  it('removes what the continuation restates of the closed block', () => {
    const splicer = afterClosed('The report is ready.');
    feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'The report is ready. Next, the summary of findings.'),
      stop(0),
    ]);
    expect(splicer.view().blocks.map((b) => (b as { text?: string }).text)).toStrictEqual([
      'The report is ready.',
      ' Next, the summary of findings.',
    ]);
    expect(splicer.seams[0]).toMatchObject({ blockIndex: 1, trimmed: 20 });
  });

  it('removes a restatement of a closed block that ends with whitespace, whitespace and all', () => {
    const splicer = afterClosed('The report is ready.\n\n');
    feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'The report is ready.\n\nNext, the summary of findings.'),
      stop(0),
    ]);
    expect(splicer.view().blocks.map((b) => (b as { text?: string }).text)).toStrictEqual([
      'The report is ready.\n\n',
      'Next, the summary of findings.',
    ]);
  });

  it("keeps the continuation's own spaces when the closed block ends with whitespace", () => {
    const splicer = afterClosed('Intro. ');
    feed(splicer, [messageStart(), textStart(0), text(0, 'More text here.'), stop(0)]);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'text', text: 'Intro. ' },
      { type: 'text', text: 'More text here.' },
    ]);
  });

  it('opens the new block for text still undecided when the continuation block stops', () => {
    const splicer = afterClosed('The report is ready.');
    const waiting = feed(splicer, [messageStart(), textStart(0), text(0, 'The report')]);
    expect(waiting.sent).toStrictEqual([]);
    expect(splicer.seamPending).toBe(true);
    const { sent } = feed(splicer, [stop(0)]);
    expect(types(sent)).toStrictEqual([
      'content_block_start@1',
      'content_block_delta@1',
      'content_block_stop@1',
    ]);
    expect(splicer.view().blocks[1]).toStrictEqual({ type: 'text', text: 'The report' });
  });

  it('gives the blocks after the new one the indices after it', () => {
    const splicer = afterClosed('Intro.');
    const { sent } = feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, ' More.'),
      stop(0),
      toolStart(1, 'toolu_1'),
      json(1, '{}'),
      stop(1),
    ]);
    expect(types(sent)).toStrictEqual([
      'content_block_start@1',
      'content_block_delta@1',
      'content_block_stop@1',
      'content_block_start@2',
      'content_block_delta@2',
      'content_block_stop@2',
    ]);
  });

  it('answers continue to every event of a whitespace-only continuation it drops', () => {
    const splicer = afterClosed('Intro.');
    const { results } = feed(splicer, [messageStart(), textStart(0), text(0, ' '), stop(0)]);
    expect(results).toStrictEqual(Array(4).fill('continue'));
  });
});

describe('a seam still undecided', () => {
  function pending(splicer = new Splicer()): Splicer {
    feed(splicer, [messageStart(), textStart(0), text(0, 'The quick brown ')]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    // "quick bro" may still be restating "quick brown": the seam waits.
    feed(splicer, [messageStart(), textStart(0), text(0, 'quick bro')]);
    expect(splicer.seamPending).toBe(true);
    return splicer;
  }

  it('is decided when the block stops, with the text it has', () => {
    const splicer = pending();
    const { sent, results } = feed(splicer, [stop(0)]);
    expect(results).toStrictEqual(['continue']);
    expect(types(sent)).toStrictEqual(['content_block_delta@0', 'content_block_stop@0']);
    expect(splicer.seamPending).toBe(false);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'text', text: 'The quick brown quick bro' },
    ]);
  });

  it('never takes a delta of another type that carries a text field as text', () => {
    const splicer = pending();
    const future = up('content_block_delta', {
      index: 0,
      delta: { type: 'future_delta', text: '!' },
    });
    const { sent } = feed(splicer, [future]);
    expect(sent.at(-1)).toStrictEqual(['content_block_delta', future.data]);
    expect(splicer.view().openText).toBe('The quick brown quick bro');
  });

  it('passes on a text_delta without text as it came, never as text', () => {
    const splicer = pending();
    const bare = up('content_block_delta', { index: 0, delta: { type: 'text_delta' } });
    const { sent } = feed(splicer, [bare]);
    expect(sent.at(-1)).toStrictEqual(['content_block_delta', bare.data]);
    expect(splicer.view().openText).toBe('The quick brown quick bro');
  });
});

describe('the edges of one attempt', () => {
  it('names its protocol error SpliceProtocolError', () => {
    const error = (() => {
      try {
        new Splicer().push(textStart(0), []);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SpliceProtocolError);
    expect((error as Error).name).toBe('SpliceProtocolError');
  });

  it('sends a text block start as its own bytes when its index stays', () => {
    const splicer = new Splicer();
    const start = textStart(0);
    const out: Uint8Array[] = [];
    for (const ev of [messageStart(), start, text(0, 'Hi')]) splicer.push(ev, out);
    expect(out[1]).toBe(start.raw);
  });

  it('sends an unknown delta of a text block after the block start, as its own bytes', () => {
    const splicer = new Splicer();
    const future = up('content_block_delta', { index: 0, delta: { type: 'future_delta', x: 1 } });
    const out: Uint8Array[] = [];
    for (const ev of [messageStart(), textStart(0), future]) splicer.push(ev, out);
    expect(types(decoded(out))).toStrictEqual([
      'message_start',
      'content_block_start@0',
      'content_block_delta@0',
    ]);
    expect(out[2]).toBe(future.raw);
  });

  it('passes on a delta of another type that carries a text field as it came, not as text', () => {
    const splicer = new Splicer();
    const future = up('content_block_delta', {
      index: 0,
      delta: { type: 'future_delta', text: '!' },
    });
    const bare = up('content_block_delta', { index: 0, delta: { type: 'text_delta' } });
    const { sent } = feed(splicer, [messageStart(), textStart(0), text(0, 'Hi'), future, bare]);
    expect(sent.slice(-2)).toStrictEqual([
      ['content_block_delta', future.data],
      ['content_block_delta', bare.data],
    ]);
    expect(splicer.view().openText).toBe('Hi');
  });

  it('answers continue to citations it holds and to the stop that sends them', () => {
    const splicer = new Splicer();
    const cite = up('content_block_delta', {
      index: 0,
      delta: { type: 'citations_delta', citation: { type: 'char_location', cited_text: 'x' } },
    });
    const { results } = feed(splicer, [messageStart(), textStart(0), text(0, 'A'), cite, stop(0)]);
    expect(results).toStrictEqual(Array(5).fill('continue'));
  });

  it('gives a text block after live thinking (thinking: "stream") the next index', () => {
    const splicer = new Splicer({ thinking: 'stream' });
    const { sent } = feed(splicer, [
      messageStart(),
      thinkingStart(0),
      thinking(0, 'hmm'),
      stop(0),
      textStart(1),
      text(1, 'Hi'),
    ]);
    expect(types(sent).slice(-2)).toStrictEqual(['content_block_start@1', 'content_block_delta@1']);
  });

  it('gives the partial message and the delivered characters when every block is closed', () => {
    const splicer = new Splicer();
    feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'Hi'),
      stop(0),
      toolStart(1, 'toolu_1'),
      json(1, '{"a":1}'),
      stop(1),
    ]);
    expect(splicer.partialMessage()?.content).toStrictEqual([
      { type: 'text', text: 'Hi' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { a: 1 } },
    ]);
    expect(splicer.deliveredChars()).toBe(2 + 7);
  });

  it('ends a stream without a message_delta with one carrying the message_start usage', () => {
    const splicer = new Splicer();
    const { sent } = feed(splicer, [
      messageStart(),
      textStart(0),
      text(0, 'Hi'),
      stop(0),
      messageStop(),
    ]);
    expect(sent.slice(-2)).toStrictEqual([
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_sequence: null },
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ]);
  });

  it('keeps the output count of message_start when a message_delta has none', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart({ input_tokens: 10, output_tokens: 1 })]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    const { sent } = feed(splicer, [
      messageStart({ input_tokens: 12, output_tokens: 1 }),
      up('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 13 } }),
      messageStop(),
    ]);
    expect(sent.at(-2)?.[1].usage).toStrictEqual({ input_tokens: 23, output_tokens: 2 });
  });

  it('takes no container id from a message_delta whose container has no string id', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), messageDelta(undefined, { container: { id: 7 } })]);
    expect(splicer.containerId).toBeUndefined();
  });
});

describe('a new attempt', () => {
  it('is not finished until its own message_delta', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), messageDelta()]);
    expect(splicer.view().finished).toBe(true);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    expect(splicer.view().finished).toBe(false);
  });

  it('ends at the client tool use already sent when a continuation thinks before regenerating it, sending none of the new thinking', () => {
    const splicer = new Splicer();
    feed(splicer, [
      messageStart(),
      thinkingStart(0),
      thinking(0, 'plan'),
      signature(0),
      stop(0),
      toolStart(1, 'toolu_1'),
      json(1, '{"city":"Paris"}'),
      stop(1),
    ]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', splicer.view().blocks.slice(1));
    const { sent, results } = feed(splicer, [
      messageStart(),
      thinkingStart(0),
      thinking(0, 'plan again'),
      signature(0),
      stop(0),
    ]);
    expect(sent).toStrictEqual([]);
    expect(results).toStrictEqual(['continue', 'continue', 'continue', 'continue', 'end-at-tool']);
  });

  it('with prefill, keeps a continuation that repeats the last word as written (a word written twice)', () => {
    const splicer = new Splicer();
    feed(splicer, [messageStart(), textStart(0), text(0, 'She said that ')]);
    splicer.failAttempt([]);
    splicer.beginAttempt('prefill', []);
    feed(splicer, [messageStart(), textStart(0), text(0, 'that was fine.'), stop(0)]);
    expect(splicer.view().blocks).toStrictEqual([
      { type: 'text', text: 'She said that that was fine.' },
    ]);
  });

  it('keeps 60 characters on each side of the seam in its excerpt', () => {
    const splicer = new Splicer({ seamExcerpts: true });
    const before = `${'a'.repeat(30)} ${'b'.repeat(40)} `;
    const after = `${'c'.repeat(50)} ${'d'.repeat(50)}`;
    feed(splicer, [messageStart(), textStart(0), text(0, before)]);
    splicer.failAttempt([]);
    splicer.beginAttempt('continue', []);
    feed(splicer, [messageStart(), textStart(0), text(0, after), stop(0)]);
    expect(splicer.seams[0]?.excerpt).toStrictEqual({
      before: before.trimEnd().slice(-60),
      removed: '',
      after: ` ${after}`.slice(0, 60),
    });
  });
});
