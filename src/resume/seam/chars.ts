/**
 * Character classes the seam rules reason with. Positions are UTF-16 indices; a restatement
 * never starts inside a surrogate pair or a grapheme cluster (a combining mark, a variation
 * selector, a zero-width joiner, an emoji modifier).
 */

const WS = /\s/u;
const WORD = /[\p{L}\p{N}\p{M}_]/u;
const LETTER = /\p{L}/u;
/** Scripts written without spaces between words: restatement is judged by characters. */
const UNSPACED =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\u30fc\u3005]/u;
const CLUSTER_CONTINUES = /\p{M}|\u200d|[\ufe00-\ufe0f]|\p{Emoji_Modifier}/u;

/** The code point at `i` as a string ('' past the end). */
export function charAt(s: string, i: number): string {
  const cp = s.codePointAt(i);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

/** The code point that ends just before `i` ('' at the start). */
export function charBefore(s: string, i: number): string {
  if (i <= 0) return '';
  const low = s.charCodeAt(i - 1);
  if (low >= 0xdc00 && low <= 0xdfff && i >= 2) return s.slice(i - 2, i);
  return s[i - 1] ?? '';
}

export function isWs(ch: string): boolean {
  if (ch === '') return false;
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return WS.test(ch);
}

export function isWord(ch: string): boolean {
  if (ch === '') return false;
  const c = ch.charCodeAt(0);
  if (c < 0x80) {
    return (
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f
    );
  }
  return WORD.test(ch);
}

export function isLetter(ch: string): boolean {
  if (ch === '') return false;
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return LETTER.test(ch);
}

export function isUnspaced(ch: string): boolean {
  return ch !== '' && ch.charCodeAt(0) >= 0x0e00 && UNSPACED.test(ch);
}

/** Whether a restatement may start at `i`: not inside a surrogate pair or grapheme cluster. */
export function clusterStart(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c >= 0xdc00 && c <= 0xdfff) return false;
  if (c < 0x300) return true;
  return !CLUSTER_CONTINUES.test(charAt(s, i));
}

/** What a stretch of text holds, as far as the acceptance rules care. */
export interface TextShape {
  /** Whitespace-separated words. */
  words: number;
  /** Code points that are letters. */
  letters: number;
  /** Letters of scripts without spaces. */
  unspaced: number;
  /** Code points that are not whitespace. */
  visible: number;
}

export function shape(s: string): TextShape {
  let words = 0;
  let letters = 0;
  let unspaced = 0;
  let visible = 0;
  let inWord = false;
  for (const ch of s) {
    if (isWs(ch)) {
      inWord = false;
      continue;
    }
    visible++;
    if (!inWord) words++;
    inWord = true;
    if (isLetter(ch)) {
      letters++;
      if (isUnspaced(ch)) unspaced++;
    }
  }
  return { words, letters, unspaced, visible };
}

/** Length of the whitespace `s` starts with. */
export function leadingWsLength(s: string): number {
  let lead = 0;
  while (lead < s.length && isWs(s[lead] ?? '')) lead++;
  return lead;
}

/** Whether `s` spans two or more words, without walking all of a long text. */
export function hasTwoWords(s: string): boolean {
  return /\S\s+\S/u.test(s);
}
