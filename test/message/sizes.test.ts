/** Byte sizes for diagnostics, and the one-parse rule for tool inputs. */
import { partialParse } from '@anthropic-ai/sdk/_vendor/partial-json-parser/parser';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import {
  blockBytes,
  formatByteSize,
  parseToolInput,
  toolInputBytes,
  utf8ByteLength,
} from '../../src/message/index.js';
import { partialParse as vendoredPartialParse } from '../../src/message/vendor/partial-json.js';
import { clientToolLargeInput } from '../fixtures/streams.js';

/** Runs per property (fewer under mutation testing: vitest.mutate.config.ts). */
const PROPERTY_RUNS = Number(process.env.PROPERTY_RUNS ?? 500);

test('property: utf8ByteLength equals what TextEncoder writes, lone surrogates included', () => {
  const encoder = new TextEncoder();
  fc.assert(
    fc.property(
      fc.string({
        unit: fc.oneof(
          fc.constant('\ud800'),
          fc.constant('\udc00'),
          fc.string({ unit: 'binary', maxLength: 1 }),
        ),
      }),
      (s) => {
        expect(utf8ByteLength(s)).toBe(encoder.encode(s).length);
      },
    ),
    { numRuns: PROPERTY_RUNS },
  );
});

test('utf8ByteLength counts 1, 2, 3 and 4 bytes on each side of the UTF-8 boundaries', () => {
  const encoder = new TextEncoder();
  for (const s of [
    '\u007f',
    '\u0080',
    '\u07ff',
    '\u0800',
    '\ud7ff',
    '\ud7ff\udc00',
    '\ud800\udc00',
    '\udbff\udfff',
    '\udbff\udc00',
    '\ud800\udfff',
    '\ud800\udbff',
    '\ud800\ue000',
    '\udbff',
    '\udc00',
    '\udfff',
    '\ue000',
    '\uffff',
  ]) {
    expect([s, utf8ByteLength(s)]).toStrictEqual([s, encoder.encode(s).length]);
  }
});

test('toolInputBytes counts a tool block whose input is missing as {}', () => {
  const block = { type: 'tool_use', id: 't', name: 'f', input: undefined };
  expect(toolInputBytes(block as unknown as Parameters<typeof toolInputBytes>[0])).toBe(2);
});

test('toolInputBytes gives the size of the large sample input (~42 KB)', () => {
  const tool = clientToolLargeInput.content[1]!;
  const bytes = toolInputBytes(tool)!;
  expect(bytes).toBe(Buffer.byteLength(JSON.stringify((tool as { input: unknown }).input)));
  expect(formatByteSize(bytes)).toBe('42 KB');
  expect(blockBytes(tool)).toBeGreaterThan(bytes);
});

test('toolInputBytes is undefined for a block without an input', () => {
  expect(toolInputBytes({ type: 'text', text: 'hi', citations: null })).toBeUndefined();
});

test('formatByteSize rounds to B, KB, MB', () => {
  expect(formatByteSize(0)).toBe('0 B');
  expect(formatByteSize(1023)).toBe('1023 B');
  expect(formatByteSize(1536)).toBe('1.5 KB');
  expect(formatByteSize(43_008)).toBe('42 KB');
  expect(formatByteSize(5 * 1024 * 1024)).toBe('5 MB');
});

test('property: the SDK partial parser agrees with JSON.parse on valid JSON (why one strict parse suffices)', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
      const json = JSON.stringify(value);
      expect(partialParse(json)).toStrictEqual(JSON.parse(json));
      expect(parseToolInput(json)).toStrictEqual({ input: JSON.parse(json) });
    }),
    { numRuns: PROPERTY_RUNS },
  );
});

test('parseToolInput: empty text is {} with no issue', () => {
  expect(parseToolInput('')).toStrictEqual({ input: {} });
});

test('property: the vendored partial-JSON parser agrees with the installed SDK on truncated JSON', () => {
  const outcome = (parse: (text: string) => unknown, text: string) => {
    try {
      return { value: parse(text) };
    } catch {
      return { threw: true };
    }
  };
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.jsonValue()),
      fc.nat(),
      fc.constantFrom('', 'x', ']', '\\', ' nul', '}'),
      (value, cut, tail) => {
        const json = JSON.stringify(value);
        const text = json.slice(0, cut % (json.length + 1)) + tail;
        expect(outcome(vendoredPartialParse, text)).toStrictEqual(outcome(partialParse, text));
      },
    ),
    { numRuns: PROPERTY_RUNS },
  );
});
