/** Byte helpers: the Node fast view and the portable view must give the same answers. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextNonAscii, plainViewOf, viewOf } from '../../src/sse/bytes.js';

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
