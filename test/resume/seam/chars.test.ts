/**
 * The character classes the seam rules reason with, at the edges of their ASCII ranges and
 * beyond ASCII, and the whitespace join at the seam, case by case.
 */
import { describe, expect, it } from 'vitest';
import {
  charAt,
  charBefore,
  clusterStart,
  hasTwoWords,
  isLetter,
  isUnspaced,
  isWord,
  isWs,
  leadingWsLength,
  shape,
} from '../../../src/resume/seam/chars.js';
import { joinWhitespace } from '../../../src/resume/seam/index.js';

describe('character classes', () => {
  it('whitespace: space, tab to carriage return, and Unicode spaces; nothing else', () => {
    for (const ch of [' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u2003', '\u3000']) {
      expect(isWs(ch), JSON.stringify(ch)).toBe(true);
    }
    for (const ch of ['', '\b', '\u000e', '!', 'a', '\u200b', 'é']) {
      expect(isWs(ch), JSON.stringify(ch)).toBe(false);
    }
  });

  it('word characters: ASCII letters, digits and underscore at the range edges, and Unicode', () => {
    for (const ch of ['0', '9', 'A', 'Z', 'a', 'z', '_', 'é', 'ß', '日', '٣', '\u0301']) {
      expect(isWord(ch), ch).toBe(true);
    }
    for (const ch of ['', '/', ':', '@', '[', '`', '{', '-', ' ', '€', '😀']) {
      expect(isWord(ch), ch).toBe(false);
    }
  });

  it('letters: ASCII letters at the range edges and Unicode letters; no digits or marks', () => {
    for (const ch of ['A', 'Z', 'a', 'z', 'é', 'Ж', '日']) expect(isLetter(ch), ch).toBe(true);
    for (const ch of ['', '@', '[', '`', '{', '0', '_', '\u0301', '٣']) {
      expect(isLetter(ch), ch).toBe(false);
    }
  });

  it('scripts without spaces: Han, kana, Thai, the long vowel mark; not Latin or Hangul', () => {
    for (const ch of ['日', 'ひ', 'カ', 'ไ', 'ー', '々']) expect(isUnspaced(ch), ch).toBe(true);
    for (const ch of ['', 'a', 'é', 'ʃ', '한']) {
      expect(isUnspaced(ch), ch).toBe(false);
    }
  });

  it('code points at and before a position, whole across surrogate pairs', () => {
    expect(charAt('a😀', 1)).toBe('😀');
    expect(charAt('ab', 2)).toBe('');
    expect(charBefore('a😀', 3)).toBe('😀');
    expect(charBefore('a😀', 1)).toBe('a');
    expect(charBefore('ab', 0)).toBe('');
    // A lone low surrogate at the start has no pair before it.
    expect(charBefore('\udc00b', 1)).toBe('\udc00');
  });

  it('the code point before a position, at the text start and at the edges of the low surrogates', () => {
    expect(charBefore('😀x', 2)).toBe('😀');
    expect(charBefore('\u{10000}', 2)).toBe('\u{10000}'); // low half U+DC00
    expect(charBefore('\u{10FFFF}', 2)).toBe('\u{10FFFF}'); // low half U+DFFF
    // Just outside the low surrogates: one UTF-16 unit.
    expect(charBefore('\ud800\udbff', 2)).toBe('\udbff');
    expect(charBefore('a\ue000', 2)).toBe('\ue000');
  });

  it('a restatement starts only where a grapheme cluster starts', () => {
    expect(clusterStart('a😀', 1)).toBe(true);
    expect(clusterStart('a😀', 2)).toBe(false); // the low half
    expect(clusterStart('e\u0301', 1)).toBe(false); // a combining mark
    expect(clusterStart('👍🏽', 2)).toBe(false); // an emoji modifier
    expect(clusterStart('a\u200db', 1)).toBe(false); // a zero-width joiner
    expect(clusterStart('❤\ufe0f', 1)).toBe(false); // a variation selector
    expect(clusterStart('a b', 1)).toBe(true);
    expect(clusterStart('aé', 1)).toBe(true);
    expect(clusterStart('a日', 1)).toBe(true);
  });

  it('cluster starts at the edges of the ranges: combining marks from U+0300, low surrogates', () => {
    expect(clusterStart('a\u0300', 1)).toBe(false); // the first combining mark
    expect(clusterStart('a\u02ff', 1)).toBe(true); // a modifier letter, not a mark
    expect(clusterStart('\udc00', 0)).toBe(false);
    expect(clusterStart('\udfff', 0)).toBe(false);
    expect(clusterStart('\udbff', 0)).toBe(true); // a high surrogate starts its pair
    expect(clusterStart('\ue000', 0)).toBe(true);
  });
});

describe('text measures', () => {
  it('shape counts words, letters, letters of unspaced scripts and visible code points', () => {
    expect(shape('')).toStrictEqual({ words: 0, letters: 0, unspaced: 0, visible: 0 });
    expect(shape(' Hi, 日本 42\n')).toStrictEqual({
      words: 3,
      letters: 4,
      unspaced: 2,
      visible: 7,
    });
    expect(shape('😀😀')).toStrictEqual({ words: 1, letters: 0, unspaced: 0, visible: 2 });
  });

  it('leading whitespace length stops at the first visible character', () => {
    expect(leadingWsLength('')).toBe(0);
    expect(leadingWsLength('ab')).toBe(0);
    expect(leadingWsLength(' \n\tab ')).toBe(3);
    expect(leadingWsLength('   ')).toBe(3);
  });

  it('two words need whitespace between two visible characters', () => {
    expect(hasTwoWords('a b')).toBe(true);
    expect(hasTwoWords('a\n\nb')).toBe(true);
    expect(hasTwoWords('a  b')).toBe(true);
    expect(hasTwoWords('a\tb')).toBe(true);
    expect(hasTwoWords(' ab ')).toBe(false);
    expect(hasTwoWords('ab')).toBe(false);
  });
});

describe('joinWhitespace', () => {
  it('waits while the continuation is only whitespace, unless it is final', () => {
    expect(joinWhitespace(' ', '  ', false)).toBeUndefined();
    expect(joinWhitespace(' ', '', false)).toBeUndefined();
    expect(joinWhitespace('', '  ', true)).toStrictEqual({
      text: '  ',
      whitespace: 'continuation',
    });
  });

  it('puts the held whitespace back before a visible start', () => {
    expect(joinWhitespace(' ', 'brown', false)).toStrictEqual({
      text: ' brown',
      whitespace: 'held',
    });
    expect(joinWhitespace('', 'brown', false)).toStrictEqual({ text: 'brown', whitespace: 'none' });
  });

  it('keeps the held whitespace when the continuation restarts a shorter part of it', () => {
    expect(joinWhitespace('\n\n', '\nNext', false)).toStrictEqual({
      text: '\n\nNext',
      whitespace: 'held',
    });
    expect(joinWhitespace('\n    ', '    x = 1', false)).toStrictEqual({
      text: '\n    x = 1',
      whitespace: 'held',
    });
  });

  it('uses the continuation whitespace when it is longer, or the same', () => {
    expect(joinWhitespace('\n', '\n\nNext', false)).toStrictEqual({
      text: '\n\nNext',
      whitespace: 'continuation',
    });
    expect(joinWhitespace(' ', ' x', false)).toStrictEqual({
      text: ' x',
      whitespace: 'continuation',
    });
    expect(joinWhitespace('  ', '\tx', false)).toStrictEqual({
      text: '\tx',
      whitespace: 'continuation',
    });
  });

  it('keeps a held line break before the continuation indentation, not before a lone space', () => {
    expect(joinWhitespace('\n', '    code', false)).toStrictEqual({
      text: '\n    code',
      whitespace: 'held',
    });
    expect(joinWhitespace('\n', ' word', false)).toStrictEqual({
      text: '\nword',
      whitespace: 'held',
    });
    expect(joinWhitespace('\n  ', '\tx', false)).toStrictEqual({
      text: '\n\tx',
      whitespace: 'held',
    });
  });

  it('keeps the held whitespace when it starts with the continuation whitespace and has more', () => {
    expect(joinWhitespace('  ', ' x', false)).toStrictEqual({ text: '  x', whitespace: 'held' });
    expect(joinWhitespace(' \t', ' x', false)).toStrictEqual({ text: ' \tx', whitespace: 'held' });
  });

  it('keeps the held line break and indentation when the continuation brings part of that indentation', () => {
    expect(joinWhitespace('\n    ', '  x', false)).toStrictEqual({
      text: '\n    x',
      whitespace: 'held',
    });
    expect(joinWhitespace('\n\t  ', '  x', false)).toStrictEqual({
      text: '\n\t  x',
      whitespace: 'held',
    });
  });

  it('does not count a held tail that only ends like the continuation, without a line break', () => {
    expect(joinWhitespace('\t ', ' x', false)).toStrictEqual({
      text: ' x',
      whitespace: 'continuation',
    });
  });
});
