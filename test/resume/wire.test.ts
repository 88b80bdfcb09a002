/**
 * The bytes the splicer writes for an event it re-encodes: the API's layout, `event: T` and
 * one `data:` line of JSON, and the text-delta shortcut that must give the same bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEventBytes, textDeltaBytes } from '../../src/resume/wire.js';

/** Text with what JSON must escape, multi-byte characters and lone surrogates. */
const textArb = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', '\\', '\n', '\u0000', '\u2028', '\ud800', 'é', '🦀'),
    fc.string({ unit: 'binary', maxLength: 1 }),
  ),
});

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('encodeEventBytes', () => {
  it('writes an event line, one data line of JSON and a blank line, in UTF-8', () => {
    const bytes = encodeEventBytes('content_block_stop', { type: 'content_block_stop', index: 2 });
    expect(text(bytes)).toBe(
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":2}\n\n',
    );
    expect(encodeEventBytes('ping', { t: 'é' })).toStrictEqual(
      new Uint8Array(Buffer.from('event: ping\ndata: {"t":"é"}\n\n', 'utf8')),
    );
  });

  it('keeps a newline inside the data on the one data line (JSON escapes it)', () => {
    expect(text(encodeEventBytes('x', { text: 'a\nb' }))).toBe(
      'event: x\ndata: {"text":"a\\nb"}\n\n',
    );
  });
});

describe('textDeltaBytes', () => {
  it('writes a text delta exactly as the API lays it out', () => {
    expect(text(textDeltaBytes(1, 'Hi "there"'))).toBe(
      'event: content_block_delta\n' +
        'data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hi \\"there\\""}}\n\n',
    );
  });

  it('property: gives the same bytes as encodeEventBytes of the delta, any index and text', () => {
    fc.assert(
      fc.property(fc.nat(), textArb, (index, t) => {
        const expected = encodeEventBytes('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'text_delta', text: t },
        });
        expect(Buffer.from(textDeltaBytes(index, t)).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
