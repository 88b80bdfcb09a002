import { describe, expect, it } from 'vitest';
import { joinAtSeam, trimSeam } from '../../src/resume/index.js';

describe('seam rule: trimming a restated overlap', () => {
  it('trims the restated last words of the partial text', () => {
    expect(trimSeam('The quick brown fo', 'brown fox jumps')).toEqual({
      trimmed: 8,
      text: 'x jumps',
    });
  });

  it('trims the longest restatement', () => {
    expect(trimSeam('a b a b', 'a b a b c').text).toBe(' c');
  });

  it('keeps a continuation that restates nothing', () => {
    expect(trimSeam('The quick brown fo', 'x jumps')).toEqual({ trimmed: 0, text: 'x jumps' });
  });

  it('does not trim a one-word coincidence (below the minimum words)', () => {
    expect(trimSeam('I said no', 'no more').text).toBe('no more');
  });

  it('trims a one-word restatement when the minimum is one word', () => {
    expect(trimSeam('I said no', 'no more', 1).text).toBe(' more');
  });

  it('only trims overlaps that start at a word boundary of the emitted text', () => {
    // "own fox" is a suffix of "brown fox" but starts mid-word: not a restatement.
    expect(trimSeam('the brown fox', 'own fox said').text).toBe('own fox said');
  });

  it('handles an empty emitted text', () => {
    expect(trimSeam('', 'hello world').text).toBe('hello world');
  });
});

describe('seam rule: the space at the seam', () => {
  it('drops held whitespace when the continuation brings its own', () => {
    expect(joinAtSeam(' ', ' world')).toBe(' world');
  });

  it('puts held whitespace back before a continuation that starts with a word', () => {
    expect(joinAtSeam(' ', 'world')).toBe(' world');
  });

  it('joins a word cut in the middle without adding space', () => {
    expect(joinAtSeam('', 'ld')).toBe('ld');
  });
});

describe('seam rule: a continuation that restates everything written so far', () => {
  it('trims a restatement of the whole emitted text even when it is one word', () => {
    expect(trimSeam('Message', 'Message résumé event')).toEqual({
      trimmed: 7,
      text: ' résumé event',
    });
  });
});
