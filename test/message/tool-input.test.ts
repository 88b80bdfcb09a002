/**
 * A tool input at `content_block_stop`: strict JSON, the SDK's repair of a truncated input,
 * an input nothing parses, and the excerpts and sizes quoted when one goes wrong.
 */
import { describe, expect, it } from 'vitest';
import {
  EXCERPT_CHARS,
  excerptOf,
  formatByteSize,
  parseToolInput,
} from '../../src/message/index.js';

/** The message of JSON.parse's own error for `raw`. */
function strictError(raw: string): string {
  try {
    JSON.parse(raw);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected JSON.parse to fail');
}

describe('parseToolInput', () => {
  it('parses strict JSON with no issue', () => {
    expect(parseToolInput('{"city":"Paris"}')).toStrictEqual({ input: { city: 'Paris' } });
  });

  it('repairs a truncated input as the SDK does, and says why strict parsing failed', () => {
    const raw = '{"city":"Paris","days":[1,2';
    const parsed = parseToolInput(raw);
    expect(parsed.input).toStrictEqual({ city: 'Paris', days: [1] });
    expect(parsed.issue).toMatchObject({ kind: 'repaired', length: raw.length, excerpt: raw });
    expect(parsed.issue?.reason).toBe(strictError(raw));
  });

  it('gives {} for an input nothing parses, keeping the reason, length and excerpt', () => {
    const raw = `{"a": nope ${'x'.repeat(200)}`;
    const parsed = parseToolInput(raw);
    expect(parsed.input).toStrictEqual({});
    expect(parsed.issue).toMatchObject({
      kind: 'invalid',
      length: raw.length,
      excerpt: `${raw.slice(0, EXCERPT_CHARS)}…`,
    });
    expect(parsed.issue?.reason).toBe(strictError(raw));
  });
});

describe('excerptOf', () => {
  it('keeps text up to the limit whole, and cuts longer text with an ellipsis', () => {
    expect(EXCERPT_CHARS).toBe(120);
    expect(excerptOf('a'.repeat(120))).toBe('a'.repeat(120));
    expect(excerptOf('a'.repeat(121))).toBe(`${'a'.repeat(120)}…`);
    expect(excerptOf('abcdef', 3)).toBe('abc…');
    expect(excerptOf('abc', 3)).toBe('abc');
  });

  it('never cuts between the two halves of a surrogate pair', () => {
    // "😀" is two UTF-16 units: a cut after its first would leave a lone surrogate.
    expect(excerptOf('ab😀cd', 3)).toBe('ab…');
    expect(excerptOf('abc😀d', 3)).toBe('abc…');
    expect(excerptOf('a😀cd', 3)).toBe('a😀…');
  });

  it('cuts before a lone high surrogate at the limit, but keeps a low one', () => {
    expect(excerptOf('ab\udbffxyz', 3)).toBe('ab…');
    expect(excerptOf('ab\ud800xyz', 3)).toBe('ab…');
    expect(excerptOf('ab\udc00xyz', 3)).toBe('ab\udc00…');
    expect(excerptOf('ab\ud7ffxyz', 3)).toBe('ab\ud7ff…');
  });
});

describe('formatByteSize', () => {
  it('switches unit at 1024 and keeps one decimal below 10', () => {
    expect(formatByteSize(1024)).toBe('1 KB');
    expect(formatByteSize(10 * 1024 - 52)).toBe('9.9 KB');
    expect(formatByteSize(10 * 1024)).toBe('10 KB');
    expect(formatByteSize(1024 * 1024 - 1)).toBe('1024 KB');
    expect(formatByteSize(1024 * 1024)).toBe('1 MB');
    expect(formatByteSize(3 * 1024 ** 3)).toBe('3 GB');
    expect(formatByteSize(2048 * 1024 ** 3)).toBe('2048 GB');
  });
});
