/**
 * The engine's fast path for event data must be exactly JSON.parse and the SSE decoder,
 * only faster: any input it cannot take apart safely goes the slow way.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseEventData, simpleDataText } from '../../src/engine/event-data.js';
import { SseDecoder } from '../../src/sse/index.js';

const bytes = (text: string) => new TextEncoder().encode(text);

function decoderData(raw: Uint8Array): string | undefined {
  return new SseDecoder().push(raw)[0]?.data;
}

function outcome(fn: () => unknown): { value: unknown } | { error: true } {
  try {
    return { value: fn() };
  } catch {
    return { error: true };
  }
}

/** Strings with what makes JSON strings hard: quotes, backslashes, controls, non-ASCII. */
const trickyText = fc.string({
  unit: fc.constantFrom(
    'a',
    ' ',
    '"',
    '\\',
    '\n',
    '\t',
    '\u0000',
    'é',
    '中',
    '😀',
    '\u2028',
    '/',
    'u',
  ),
  maxLength: 24,
});

describe('parseEventData', () => {
  it('equals JSON.parse for every delta the API could send', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          ['text_delta', 'text'],
          ['input_json_delta', 'partial_json'],
          ['thinking_delta', 'thinking'],
        ),
        fc.nat({ max: 1_000 }),
        trickyText,
        ([type, field], index, value) => {
          const json = JSON.stringify({
            type: 'content_block_delta',
            index,
            delta: { type, [field]: value },
          });
          expect(parseEventData(json)).toEqual(JSON.parse(json));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('equals JSON.parse (or throws with it) for altered delta text', () => {
    const base =
      '{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"hi there"}}';
    fc.assert(
      fc.property(
        fc.nat({ max: base.length }),
        fc.nat({ max: 3 }),
        trickyText,
        (at, cut, insert) => {
          const text = base.slice(0, at) + insert + base.slice(at + cut);
          expect(outcome(() => parseEventData(text))).toEqual(outcome(() => JSON.parse(text)));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('keeps the delta string exact when it ends with an escape', () => {
    const json =
      '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\\\"}}';
    expect(parseEventData(json)).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: 'a\\' },
    });
  });

  it('rejects an index with a leading zero as JSON.parse does', () => {
    const json =
      '{"type":"content_block_delta","index":01,"delta":{"type":"text_delta","text":"a"}}';
    expect(() => parseEventData(json)).toThrow(SyntaxError);
  });
});

/** The calls `parseEventData(text)` makes to JSON.parse, and its result. */
function parseCalls(text: string): { result: unknown; calls: unknown[] } {
  const spy = vi.spyOn(JSON, 'parse');
  try {
    const result = parseEventData(text);
    return { result, calls: spy.mock.calls.map((c) => c[0]) };
  } finally {
    spy.mockRestore();
  }
}

const delta = (index: string, mid: string, literal: string) =>
  `{"type":"content_block_delta","index":${index},"delta":{"type":"${mid}":"${literal}"}}`;

describe('parseEventData’s fast path (the fault-free stream’s cost)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('takes an API-laid-out delta apart without JSON.parse when its string has no escapes', () => {
    for (const [mid, type, field] of [
      ['text_delta","text', 'text_delta', 'text'],
      ['input_json_delta","partial_json', 'input_json_delta', 'partial_json'],
      ['thinking_delta","thinking', 'thinking_delta', 'thinking'],
    ] as const) {
      const { result, calls } = parseCalls(delta('12', mid, 'héllo wörld'));
      expect(result).toEqual({
        type: 'content_block_delta',
        index: 12,
        delta: { type, [field]: 'héllo wörld' },
      });
      expect(calls).toEqual([]);
    }
  });

  it('decodes only the delta’s string when it holds escapes', () => {
    const { result, calls } = parseCalls(
      delta('0', 'input_json_delta","partial_json', '{\\"a\\": 1}\\n'),
    );
    expect(result).toEqual({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json: '{"a": 1}\n' },
    });
    expect(calls).toEqual(['"{\\"a\\": 1}\\n"']);
  });

  it('reads an empty delta string and indexes of up to eight digits by position', () => {
    expect(parseCalls(delta('0', 'text_delta","text', ''))).toEqual({
      result: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '' } },
      calls: [],
    });
    expect(parseCalls(delta('98765432', 'text_delta","text', 'a'))).toEqual({
      result: {
        type: 'content_block_delta',
        index: 98_765_432,
        delta: { type: 'text_delta', text: 'a' },
      },
      calls: [],
    });
  });

  it('leaves a longer index, another layout or another delta type to JSON.parse', () => {
    for (const text of [
      delta('123456789', 'text_delta","text', 'a'),
      delta('1234567890', 'text_delta","text', 'a'),
      delta('1', 'signature_delta","signature', 'a'),
      '{"type":"content_block_delta","index":1,"delta":{"text":"a","type":"text_delta"}}',
      '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"a"},"x":1}',
      '{"type":"content_block_delta", "index":1,"delta":{"type":"text_delta","text":"a"}}',
      '{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}',
    ]) {
      const { result, calls } = parseCalls(text);
      expect(calls, text).toEqual([text]);
      expect(result).toEqual(JSON.parse(text));
    }
  });

  it('leaves a delta whose string is not a valid literal to JSON.parse, which throws', () => {
    for (const text of [
      delta('1', 'text_delta","text', 'a"b'),
      delta('1', 'text_delta","text', 'a\\'),
      delta('1', 'text_delta","text', 'a\\x'),
      delta('1', 'text_delta","text', '\t'),
      delta('01', 'text_delta","text', 'a'),
      delta('', 'text_delta","text', 'a'),
      '{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"}}',
    ]) {
      expect(() => parseEventData(text), text).toThrow(SyntaxError);
    }
  });
});

describe('simpleDataText', () => {
  it('reads the data of an API-shaped frame as the decoder does', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('ping', 'content_block_delta', 'x'),
        trickyText,
        (name, value) => {
          const data = JSON.stringify({ v: value });
          const raw = bytes(`event: ${name}\ndata: ${data}\n\n`);
          expect(simpleDataText(raw)).toBe(decoderData(raw));
        },
      ),
    );
  });

  it('declines any other frame shape', () => {
    for (const frame of [
      'data: {}\n\n', // no event line
      'event: a\r\ndata: {}\r\n\r\n', // CRLF line ends
      'event: a\ndata: {}\ndata: {}\n\n', // two data lines
      'event: a\nid: 1\ndata: {}\n\n', // another field first
      'event: a\ndata:{}\n\n', // no space after the colon
      '\uFEFFevent: a\ndata: {}\n\n', // BOM
      ': comment\n\n',
      'event: a\ndata: {}\r\n\n', // CR LF after the data line
      'event: a\ndata: {}\nx', // no blank line at the end
      'event: a\ndata: {}\n', // one line end only
      'event: abcdefgh\n\n', // no data line
    ]) {
      expect(simpleDataText(bytes(frame)), frame).toBeUndefined();
    }
  });
});
