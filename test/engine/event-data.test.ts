/**
 * The engine's fast path for event data must be exactly JSON.parse and the SSE decoder,
 * only faster: any input it cannot take apart safely goes the slow way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
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
    ]) {
      expect(simpleDataText(bytes(frame)), frame).toBeUndefined();
    }
  });
});
