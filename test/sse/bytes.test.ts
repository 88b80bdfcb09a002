/** Byte helpers: the Node fast view and the portable view must give the same answers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bomLength,
  decodeUtf8,
  joinBytes,
  nextNonAscii,
  plainViewOf,
  viewOf,
} from '../../src/sse/bytes.js';

describe('byte views', () => {
  it('search, decode and classify bytes the same way on Node and portable views', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(70), fc.nat(70), (bytes, a, b) => {
        const [from, to] = [Math.min(a, b, bytes.length), Math.min(Math.max(a, b), bytes.length)];
        const node = viewOf(bytes);
        const plain = plainViewOf(bytes);
        const answers = (v: typeof node) => [
          v.indexOf(0x0a, from),
          v.indexOfWithin(0x0d, from, to),
          v.lastIndexOf(0x0a),
          v.utf8(from, to),
          v.utf8Long(from, to) === v.utf8(from, to) ||
            bytes[to - 1] === undefined ||
            bytes[to - 1]! >= 0x80,
          // latin1 and windows-1252 differ above 0x7f; only lengths and ASCII must agree.
          v.latin1(from, to).length,
          v.latin1(from, to).replace(/[^\x00-\x7f]/g, '?'),
        ];
        expect(answers(plain)).toStrictEqual(answers(node));
      }),
      { numRuns: 500 },
    );
  });

  it('find the last byte at or before a position, and none before the start', () => {
    const chunk = new Uint8Array([0x0a, 0x61, 0x0a, 0x61]);
    for (const view of [viewOf(chunk), plainViewOf(chunk)]) {
      expect([
        view.lastIndexOf(0x0a),
        view.lastIndexOf(0x0a, 1),
        view.lastIndexOf(0x0a, 0),
        view.lastIndexOf(0x0a, -1),
        view.lastIndexOf(0x62),
      ]).toStrictEqual([2, 0, 0, -1, -1]);
    }
  });

  it('find a byte only within [from, to), as an offset in the whole chunk', () => {
    const chunk = new Uint8Array([0x0d, 0x61, 0x0d, 0x61, 0x0d]);
    for (const view of [viewOf(chunk), plainViewOf(chunk)]) {
      expect([
        view.indexOfWithin(0x0d, 1, 5),
        view.indexOfWithin(0x0d, 3, 4),
        view.indexOfWithin(0x0d, 0, 0),
      ]).toStrictEqual([2, -1, -1]);
    }
  });

  it('decode a range ending inside a character the same as utf8, leaving nothing for the next range', () => {
    // "é" is C3 A9; the first range ends after C3.
    const chunk = new Uint8Array([0x61, 0xc3, 0xa9, 0x0a, 0xc3, 0xa9, 0x62, 0x0a]);
    for (const view of [viewOf(chunk), plainViewOf(chunk)]) {
      expect([view.utf8Long(0, 2), view.utf8Long(4, 8), view.utf8Long(0, 4)]).toStrictEqual([
        'a\uFFFD',
        'éb\n',
        'aé\n',
      ]);
    }
  });

  it('decode a range ending inside a character whose last byte is 0x80, leaving nothing behind', () => {
    // "€" is E2 82 AC; E2 80 is the start of a 3-byte character too.
    const chunk = new Uint8Array([0x61, 0xe2, 0x80, 0xe2, 0x82, 0xac, 0x0a]);
    for (const view of [viewOf(chunk), plainViewOf(chunk)]) {
      expect([view.utf8Long(0, 3), view.utf8Long(3, 7)]).toStrictEqual(['a\uFFFD', '€\n']);
    }
  });

  it('keep a byte-order mark when decoding UTF-8', () => {
    const chunk = new Uint8Array([0xef, 0xbb, 0xbf, 0x61]);
    expect([
      viewOf(chunk).utf8(0, 4),
      plainViewOf(chunk).utf8(0, 4),
      decodeUtf8(chunk),
    ]).toStrictEqual(['\uFEFFa', '\uFEFFa', '\uFEFFa']);
  });

  it('view a plain Uint8Array and a Buffer alike, without copying', () => {
    const backing = new Uint8Array([0x78, 0x61, 0x62, 0x0a]);
    const plain = backing.subarray(1);
    const buffer = Buffer.from(backing.buffer, 1, 3);
    expect([viewOf(plain).latin1(0, 3), viewOf(buffer).latin1(0, 3)]).toStrictEqual([
      'ab\n',
      'ab\n',
    ]);
    expect(viewOf(plain).bytes.buffer).toBe(backing.buffer);
  });

  it('has no fast ASCII check on the portable view', () => {
    expect(plainViewOf(new Uint8Array([0x61])).isAscii()).toBeUndefined();
  });

  it('reports ASCII-only chunks from the Node view', () => {
    expect([
      viewOf(new Uint8Array([0x61, 0x7f])).isAscii(),
      viewOf(new Uint8Array([0x80])).isAscii(),
    ]).toStrictEqual([true, false]);
  });
});

describe('nextNonAscii', () => {
  it('finds the first byte >= 0x80 at any alignment and offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(8), fc.nat(45), (raw, shift, from) => {
        // Shift the view inside a larger buffer to vary its byte offset modulo 4.
        const backing = new Uint8Array(raw.length + shift);
        backing.set(raw, shift);
        const bytes = backing.subarray(shift);
        let expected = bytes.length;
        for (let i = Math.min(from, bytes.length); i < bytes.length; i++) {
          if (bytes[i]! >= 0x80) {
            expected = i;
            break;
          }
        }
        expect(nextNonAscii(bytes, Math.min(from, bytes.length))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('nextNonAscii at the boundary', () => {
  it('finds 0x80, the smallest non-ASCII byte, at every position and alignment', () => {
    for (let shift = 0; shift < 4; shift++) {
      for (let at = 0; at < 12; at++) {
        const backing = new Uint8Array(12 + shift).fill(0x7f);
        backing[shift + at] = 0x80;
        expect(nextNonAscii(backing.subarray(shift), 0)).toBe(at);
      }
    }
  });

  it('ignores non-ASCII bytes before the start', () => {
    const bytes = new Uint8Array(16).fill(0x61);
    bytes[0] = 0xff;
    bytes[3] = 0xff;
    expect([nextNonAscii(bytes, 4), nextNonAscii(bytes, 1)]).toStrictEqual([16, 3]);
  });
});

describe('joinBytes', () => {
  it('joins parts in order into one array of the total length', () => {
    const parts = [new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3])];
    expect([...joinBytes(parts, 3)]).toStrictEqual([1, 2, 3]);
  });

  it('returns a lone part itself, without a copy', () => {
    const part = new Uint8Array([1, 2]);
    expect(joinBytes([part], 2)).toBe(part);
  });

  it('gives an empty array for no parts', () => {
    expect(joinBytes([], 0)).toStrictEqual(new Uint8Array(0));
  });
});

describe('bomLength', () => {
  it('finds the 3-byte UTF-8 byte-order mark at the start of a line, even alone on it', () => {
    const latin1 = (b: number[]) => String.fromCharCode(...b);
    expect([
      bomLength(latin1([0xef, 0xbb, 0xbf]), 0, 3),
      bomLength(latin1([0x61, 0xef, 0xbb, 0xbf, 0x62]), 1, 5),
      bomLength(latin1([0xef, 0xbb, 0xbf]), 0, 2),
      bomLength(latin1([0xef, 0xbb, 0xbe]), 0, 3),
      bomLength(latin1([0xef, 0xba, 0xbf]), 0, 3),
      bomLength(latin1([0xee, 0xbb, 0xbf]), 0, 3),
      bomLength(latin1([0x61, 0xef, 0xbb, 0xbf]), 0, 4),
      // A line of two bytes cannot hold one, whatever follows it.
      bomLength(latin1([0x61, 0xef, 0xbb, 0xbf]), 1, 3),
    ]).toStrictEqual([3, 3, 0, 0, 0, 0, 0, 0]);
  });
});
