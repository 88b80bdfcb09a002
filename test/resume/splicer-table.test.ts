/**
 * The splicer as a table: the events of a first attempt up to where it fails, the events of the
 * continuation the engine would then read, and exactly what the client receives. One row per
 * rule of src/resume/splicer.ts (hold-back while streaming; one message_start, renumbered
 * indices, the seam, regenerated blocks dropped, summed usage when splicing), over text,
 * thinking, client tool input, server tool blocks and block types the splicer does not know.
 *
 * The driver does what the engine does between attempts: `failAttempt`, then `beginAttempt`
 * with the strategy of the row and, as the planner would, the already-sent blocks that cannot
 * be sent back (`splitSendable`) as the blocks the continuation regenerates. A row's expected
 * stream is written one event per line in the notation of `show()`; every row also checks the
 * bytes: each event framed exactly as `event: <type>\ndata: <compact JSON>\n\n`.
 */
import { describe, expect, it } from 'vitest';
import {
  type DiscardedContent,
  encodeEventBytes,
  type PushResult,
  Splicer,
  type SplicerOptions,
  splitSendable,
  type UpstreamEvent,
} from '../../src/resume/index.js';
import { SseDecoder } from '../../src/sse/index.js';

type Json = Record<string, unknown>;

/** An upstream event with `type` first and its bytes as the API would send them. */
function ev(type: string, fields: Json = {}): UpstreamEvent {
  const data = { type, ...fields };
  return { type, data, raw: encodeEventBytes(type, data) };
}

/** message_start of an attempt: usage as the API reports it at the start. */
const start = (id: string, input: number) =>
  ev('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-6',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: 1 },
    },
  });
const blockStart = (index: number, content_block: Json) =>
  ev('content_block_start', { index, content_block });
const delta = (index: number, d: Json) => ev('content_block_delta', { index, delta: d });
const stop = (index: number) => ev('content_block_stop', { index });

const text = (index: number) => blockStart(index, { type: 'text', text: '' });
const td = (index: number, t: string) => delta(index, { type: 'text_delta', text: t });
const thinking = (index: number) =>
  blockStart(index, { type: 'thinking', thinking: '', signature: '' });
const thd = (index: number, t: string) => delta(index, { type: 'thinking_delta', thinking: t });
const sig = (index: number, s: string) => delta(index, { type: 'signature_delta', signature: s });
const toolUse = (index: number, id: string, name: string) =>
  blockStart(index, { type: 'tool_use', id, name, input: {} });
const serverToolUse = (index: number, id: string) =>
  blockStart(index, { type: 'server_tool_use', id, name: 'web_search', input: {} });
const json = (index: number, partial: string) =>
  delta(index, { type: 'input_json_delta', partial_json: partial });
const searchResult = (index: number, toolUseId: string) =>
  blockStart(index, {
    type: 'web_search_tool_result',
    tool_use_id: toolUseId,
    content: [{ type: 'web_search_result', url: 'https://example.com/', title: 'Example' }],
  });
const end = (stopReason: string, output: number) => [
  ev('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: output },
  }),
  ev('message_stop'),
];
const overloaded = ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });

/**
 * One downstream event per line: `message_start <id>`, `start <i> <block JSON>`, `text <i>
 * "<text>"` (thinking, json and sig alike), `delta <i> <delta JSON>` for other deltas, `stop <i>`,
 * `message_delta <stop_reason> in=<input> out=<output>`, `message_stop`, or `<event> <data>`.
 */
function show(event: string, data: Json): string {
  const index = data.index as number;
  const d = (data.delta ?? {}) as Json;
  switch (event) {
    case 'message_start':
      return `message_start ${(data.message as Json).id}`;
    case 'content_block_start':
      return `start ${index} ${JSON.stringify(data.content_block)}`;
    case 'content_block_delta':
      if (d.type === 'text_delta') return `text ${index} ${JSON.stringify(d.text)}`;
      if (d.type === 'thinking_delta') return `thinking ${index} ${JSON.stringify(d.thinking)}`;
      if (d.type === 'input_json_delta') return `json ${index} ${JSON.stringify(d.partial_json)}`;
      if (d.type === 'signature_delta') return `sig ${index} ${JSON.stringify(d.signature)}`;
      return `delta ${index} ${JSON.stringify(d)}`;
    case 'content_block_stop':
      return `stop ${index}`;
    case 'message_delta': {
      const usage = data.usage as Json;
      const input = usage.input_tokens === undefined ? '' : ` in=${usage.input_tokens}`;
      return `message_delta ${d.stop_reason}${input} out=${usage.output_tokens}`;
    }
    case 'message_stop':
      return 'message_stop';
    default:
      return `${event} ${JSON.stringify(data)}`;
  }
}

interface Row {
  name: string;
  /** The first attempt's events; it fails after the last (or at a retryable `error` event). */
  first: UpstreamEvent[];
  /** The continuation's events; absent when the first attempt completes. */
  continuation?: UpstreamEvent[];
  /** How the continuation was asked for: prefill (the default) or a continuation turn. */
  strategy?: 'prefill' | 'continue';
  options?: SplicerOptions;
  /** What the client receives, in the notation of `show()`. */
  out: string[];
  /** What the failure discarded: content held back that never reached the client. */
  discarded?: Partial<DiscardedContent>;
}

interface Run {
  bytes: Buffer;
  discarded: DiscardedContent | undefined;
  results: PushResult[];
}

/** Feeds a row through a splicer the way the engine does. */
function run(row: Row): Run {
  const splicer = new Splicer(row.options);
  const out: Uint8Array[] = [];
  const results: PushResult[] = [];
  for (const e of row.first) {
    const result = splicer.push(e, out);
    results.push(result);
    if (result !== 'continue') break;
  }
  let discarded: DiscardedContent | undefined;
  if (row.continuation !== undefined) {
    discarded = splicer.failAttempt(out);
    splicer.beginAttempt(row.strategy ?? 'prefill', splitSendable(splicer.view().blocks).skip);
    for (const e of row.continuation) {
      const result = splicer.push(e, out);
      results.push(result);
      if (result === 'end-at-tool') splicer.finish(out, undefined, { stopReason: 'tool_use' });
      if (result !== 'continue') break;
    }
  }
  return { bytes: Buffer.concat(out), discarded, results };
}

function decode(bytes: Buffer): Array<{ event: string; data: string }> {
  const decoder = new SseDecoder();
  return [...decoder.push(bytes), ...decoder.end()].map((e) => ({
    event: e.event ?? 'message',
    data: e.data,
  }));
}

const ROWS: Row[] = [
  // Text
  {
    name: 'text without a failure: streamed live, trailing whitespace held until more text',
    first: [
      start('msg_1', 10),
      text(0),
      td(0, 'Hello '),
      td(0, 'world.'),
      stop(0),
      ...end('end_turn', 4),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "Hello"',
      'text 0 " world."',
      'stop 0',
      'message_delta end_turn out=4',
      'message_stop',
    ],
  },
  {
    name: 'text cut mid-word, prefill: the continuation extends the open block; usage is summed',
    first: [start('msg_1', 10), text(0), td(0, 'The quick bro')],
    continuation: [start('msg_2', 15), text(0), td(0, 'wn fox.'), stop(0), ...end('end_turn', 3)],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "The quick bro"',
      'text 0 "wn fox."',
      'stop 0',
      'message_delta end_turn in=25 out=4',
      'message_stop',
    ],
    discarded: { blocks: 0, bytes: 0 },
  },
  {
    name: 'text cut after a space: the held space joins the continuation',
    first: [start('msg_1', 10), text(0), td(0, 'The quick ')],
    continuation: [
      start('msg_2', 15),
      text(0),
      td(0, 'brown fox.'),
      stop(0),
      ...end('end_turn', 3),
    ],
    strategy: 'continue',
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "The quick"',
      'text 0 " brown fox."',
      'stop 0',
      'message_delta end_turn in=25 out=4',
      'message_stop',
    ],
  },
  {
    name: 'a continuation turn that restates the last words: the seam removes them',
    first: [start('msg_1', 10), text(0), td(0, 'The quick brown fox')],
    continuation: [
      start('msg_2', 15),
      text(0),
      td(0, 'quick brown fox jumps over the lazy dog.'),
      stop(0),
      ...end('end_turn', 9),
    ],
    strategy: 'continue',
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "The quick brown fox"',
      'text 0 " jumps over the lazy dog."',
      'stop 0',
      'message_delta end_turn in=25 out=10',
      'message_stop',
    ],
  },
  {
    name: 'a drop before a text block has text: its start was held, the continuation sends it',
    first: [start('msg_1', 10), text(0)],
    continuation: [start('msg_2', 15), text(0), td(0, 'Hi.'), stop(0), ...end('end_turn', 2)],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "Hi."',
      'stop 0',
      'message_delta end_turn in=25 out=3',
      'message_stop',
    ],
  },
  {
    name: 'an SSE overloaded_error mid-text fails the attempt like a drop',
    first: [start('msg_1', 10), text(0), td(0, 'One, two,'), overloaded],
    continuation: [start('msg_2', 15), text(0), td(0, ' three.'), stop(0), ...end('end_turn', 2)],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "One, two,"',
      'text 0 " three."',
      'stop 0',
      'message_delta end_turn in=25 out=3',
      'message_stop',
    ],
  },
  {
    name: 'a non-retryable error event is passed on and ends the stream',
    first: [
      start('msg_1', 10),
      text(0),
      td(0, 'One'),
      ev('error', { error: { type: 'invalid_request_error', message: 'bad' } }),
      td(0, ' more'),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "One"',
      'error {"type":"error","error":{"type":"invalid_request_error","message":"bad"}}',
    ],
  },

  // Thinking
  {
    name: 'thinking without a failure: held until its signature, then sent and streamed live',
    first: [
      start('msg_1', 10),
      thinking(0),
      thd(0, 'Let me'),
      thd(0, ' think.'),
      sig(0, 'EqQB'),
      stop(0),
      text(1),
      td(1, 'Done.'),
      stop(1),
      ...end('end_turn', 6),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"thinking","thinking":"","signature":""}',
      'thinking 0 "Let me"',
      'thinking 0 " think."',
      'sig 0 "EqQB"',
      'stop 0',
      'start 1 {"type":"text","text":""}',
      'text 1 "Done."',
      'stop 1',
      'message_delta end_turn out=6',
      'message_stop',
    ],
  },
  {
    name: 'a drop inside unsigned thinking: none of it was sent, the continuation thinks anew',
    first: [start('msg_1', 10), thinking(0), thd(0, 'Let me')],
    continuation: [
      start('msg_2', 10),
      thinking(0),
      thd(0, 'Again.'),
      sig(0, 'EqQC'),
      stop(0),
      text(1),
      td(1, 'Done.'),
      stop(1),
      ...end('end_turn', 5),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"thinking","thinking":"","signature":""}',
      'thinking 0 "Again."',
      'sig 0 "EqQC"',
      'stop 0',
      'start 1 {"type":"text","text":""}',
      'text 1 "Done."',
      'stop 1',
      'message_delta end_turn in=20 out=6',
      'message_stop',
    ],
    discarded: {
      blocks: 1,
      openBlock: { type: 'thinking', receivedBytes: 6, partial: 'Let me' },
    },
  },
  {
    name: 'a drop in text after signed thinking: the continuation turn extends the text block',
    first: [
      start('msg_1', 10),
      thinking(0),
      thd(0, 'Hmm.'),
      sig(0, 'EqQB'),
      stop(0),
      text(1),
      td(1, 'The answer is'),
    ],
    continuation: [start('msg_2', 20), text(0), td(0, ' 42.'), stop(0), ...end('end_turn', 2)],
    strategy: 'continue',
    out: [
      'message_start msg_1',
      'start 0 {"type":"thinking","thinking":"","signature":""}',
      'thinking 0 "Hmm."',
      'sig 0 "EqQB"',
      'stop 0',
      'start 1 {"type":"text","text":""}',
      'text 1 "The answer is"',
      'text 1 " 42."',
      'stop 1',
      'message_delta end_turn in=30 out=3',
      'message_stop',
    ],
  },
  {
    name: 'thinking: "stream" sends unsigned thinking live',
    options: { thinking: 'stream' },
    first: [start('msg_1', 10), thinking(0), thd(0, 'Let me'), sig(0, 'EqQB'), stop(0)],
    out: [
      'message_start msg_1',
      'start 0 {"type":"thinking","thinking":"","signature":""}',
      'thinking 0 "Let me"',
      'sig 0 "EqQB"',
      'stop 0',
    ],
  },

  // Client tool input
  {
    name: 'a client tool_use without a failure: its input held until content_block_stop, then sent whole',
    first: [
      start('msg_1', 10),
      text(0),
      td(0, 'Checking.'),
      stop(0),
      toolUse(1, 'toolu_1', 'get_weather'),
      json(1, '{"city":'),
      json(1, '"Paris"}'),
      stop(1),
      ...end('tool_use', 8),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "Checking."',
      'stop 0',
      'start 1 {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}',
      'json 1 "{\\"city\\":"',
      'json 1 "\\"Paris\\"}"',
      'stop 1',
      'message_delta tool_use out=8',
      'message_stop',
    ],
  },
  {
    name: 'a drop inside a tool input: nothing of it was sent, the continuation sends it whole',
    first: [
      start('msg_1', 10),
      text(0),
      td(0, 'Checking.'),
      stop(0),
      toolUse(1, 'toolu_1', 'get_weather'),
      json(1, '{"city":'),
    ],
    continuation: [
      start('msg_2', 15),
      toolUse(0, 'toolu_2', 'get_weather'),
      json(0, '{"city":"Paris"}'),
      stop(0),
      ...end('tool_use', 8),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "Checking."',
      'stop 0',
      'start 1 {"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}}',
      'json 1 "{\\"city\\":\\"Paris\\"}"',
      'stop 1',
      'message_delta tool_use in=25 out=9',
      'message_stop',
    ],
    discarded: {
      blocks: 1,
      openBlock: { type: 'tool_use', name: 'get_weather', receivedBytes: 8, partial: '{"city":' },
    },
  },
  {
    name: 'a drop after a complete client tool_use: the regenerated copy is dropped',
    first: [
      start('msg_1', 10),
      toolUse(0, 'toolu_1', 'get_weather'),
      json(0, '{"city":"Paris"}'),
      stop(0),
    ],
    continuation: [
      start('msg_2', 10),
      toolUse(0, 'toolu_2', 'get_weather'),
      json(0, '{"city":"Paris"}'),
      stop(0),
      ...end('tool_use', 8),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}',
      'json 0 "{\\"city\\":\\"Paris\\"}"',
      'stop 0',
      'message_delta tool_use in=20 out=9',
      'message_stop',
    ],
  },
  {
    name: 'a continuation that goes another way than a tool_use already sent: the message ends at the tool',
    first: [
      start('msg_1', 10),
      toolUse(0, 'toolu_1', 'get_weather'),
      json(0, '{"city":"Paris"}'),
      stop(0),
    ],
    continuation: [
      start('msg_2', 10),
      toolUse(0, 'toolu_2', 'get_weather'),
      json(0, '{"city":"Lyon"}'),
      stop(0),
      ...end('tool_use', 8),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}',
      'json 0 "{\\"city\\":\\"Paris\\"}"',
      'stop 0',
      'message_delta tool_use in=20 out=2',
      'message_stop',
    ],
  },

  // Server tool blocks
  {
    name: 'server tool use and its result: each held until its stop, sent whole',
    first: [
      start('msg_1', 10),
      serverToolUse(0, 'srvtoolu_1'),
      json(0, '{"query":"paris weather"}'),
      stop(0),
      searchResult(1, 'srvtoolu_1'),
      stop(1),
      text(2),
      td(2, 'Sunny.'),
      stop(2),
      ...end('end_turn', 12),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}',
      'json 0 "{\\"query\\":\\"paris weather\\"}"',
      'stop 0',
      'start 1 {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://example.com/","title":"Example"}]}',
      'stop 1',
      'start 2 {"type":"text","text":""}',
      'text 2 "Sunny."',
      'stop 2',
      'message_delta end_turn out=12',
      'message_stop',
    ],
  },
  {
    name: 'a drop between a server tool use and its result: the regenerated use is dropped, its result names the use already sent',
    first: [
      start('msg_1', 10),
      serverToolUse(0, 'srvtoolu_1'),
      json(0, '{"query":"paris weather"}'),
      stop(0),
      searchResult(1, 'srvtoolu_1'),
    ],
    continuation: [
      start('msg_2', 10),
      serverToolUse(0, 'srvtoolu_2'),
      json(0, '{"query":"paris weather"}'),
      stop(0),
      searchResult(1, 'srvtoolu_2'),
      stop(1),
      text(2),
      td(2, 'Sunny.'),
      stop(2),
      ...end('end_turn', 12),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}',
      'json 0 "{\\"query\\":\\"paris weather\\"}"',
      'stop 0',
      'start 1 {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://example.com/","title":"Example"}]}',
      'stop 1',
      'start 2 {"type":"text","text":""}',
      'text 2 "Sunny."',
      'stop 2',
      'message_delta end_turn in=20 out=13',
      'message_stop',
    ],
    discarded: {
      blocks: 1,
      openBlock: { type: 'web_search_tool_result', receivedBytes: 0, partial: '' },
    },
  },

  // Block types the splicer does not know
  {
    name: 'an unknown block type: held until its stop, then sent whole with its unknown deltas',
    first: [
      start('msg_1', 10),
      blockStart(0, { type: 'future_block', data: 1 }),
      delta(0, { type: 'future_delta', more: 'x' }),
      stop(0),
      text(1),
      td(1, 'After.'),
      stop(1),
      ...end('end_turn', 4),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"future_block","data":1}',
      'delta 0 {"type":"future_delta","more":"x"}',
      'stop 0',
      'start 1 {"type":"text","text":""}',
      'text 1 "After."',
      'stop 1',
      'message_delta end_turn out=4',
      'message_stop',
    ],
  },
  {
    name: 'a drop inside an unknown block: none of it was sent, the continuation regenerates it',
    first: [
      start('msg_1', 10),
      text(0),
      td(0, 'Before.'),
      stop(0),
      blockStart(1, { type: 'future_block', data: 1 }),
      delta(1, { type: 'future_delta', more: 'x' }),
    ],
    continuation: [
      start('msg_2', 10),
      blockStart(0, { type: 'future_block', data: 2 }),
      stop(0),
      ...end('end_turn', 3),
    ],
    out: [
      'message_start msg_1',
      'start 0 {"type":"text","text":""}',
      'text 0 "Before."',
      'stop 0',
      'start 1 {"type":"future_block","data":2}',
      'stop 1',
      'message_delta end_turn in=20 out=4',
      'message_stop',
    ],
    discarded: { blocks: 1, openBlock: { type: 'future_block', receivedBytes: 0, partial: '' } },
  },
  {
    name: 'an unknown event type passes through where it came',
    first: [start('msg_1', 10), ev('future_event', { x: 1 }), ev('ping'), text(0), td(0, 'A')],
    out: [
      'message_start msg_1',
      'future_event {"type":"future_event","x":1}',
      'ping {"type":"ping"}',
      'start 0 {"type":"text","text":""}',
      'text 0 "A"',
    ],
  },
];

describe('splicer table: (first attempt, failure, continuation) -> what the client receives', () => {
  it.each(ROWS)('$name', (row) => {
    const { bytes, discarded } = run(row);
    const events = decode(bytes);
    expect(events.map((e) => show(e.event, JSON.parse(e.data) as Json))).toEqual(row.out);
    // Byte for byte: every event framed as the API frames it, its data's type the event name.
    const canonical = Buffer.concat(
      events.map((e) => encodeEventBytes(e.event, JSON.parse(e.data))),
    );
    expect(bytes.toString('utf8')).toBe(canonical.toString('utf8'));
    for (const e of events)
      expect((JSON.parse(e.data) as Json).type, `${e.event} data names its type`).toBe(e.event);
    if (row.discarded !== undefined) expect(discarded).toMatchObject(row.discarded);
  });
});
