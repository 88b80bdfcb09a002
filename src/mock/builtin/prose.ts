/**
 * Deterministic filler for built-in scenarios: prose with multi-byte characters (accents, CJK,
 * Greek, Cyrillic, emoji, a ZWJ sequence, a combining mark) so that decoders meet code points
 * of 2, 3 and 4 bytes cut at every position; ids shaped like the API's.
 */
import { seededRandom } from '../faults.js';

export type Rng = () => number;

export function rng(seed: number): Rng {
  return seededRandom(seed);
}

export function pick<T>(next: Rng, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `prefix` + `length` base62 characters drawn from `next`: stable ids for fixtures. */
export function fixtureId(next: Rng, prefix: string, length = 22): string {
  let out = prefix;
  for (let i = 0; i < length; i++) out += BASE62[Math.floor(next() * 62)];
  return out;
}

const WORDS = (
  'the a an of to and in on for with as by at from that this these those it its is are was were be ' +
  'been has have had will would can could should may might stream message block event delta token ' +
  'server client request response network socket buffer chunk byte connection proxy retry resume ' +
  'partial complete model text tool input output result container file report value state time ' +
  'first last next every each other same different small large quick careful steady clear simple ' +
  'engineer system design test measure check explain build write read run keep send receive close ' +
  'open wait start finish continue repeat recover preserve discard order sequence boundary seam'
).split(' ');

/** Words of 2, 3 and 4 bytes a code point, and clusters of several code points. */
const MULTIBYTE = [
  'café',
  'naïve',
  'über',
  'Straße',
  'façade',
  'jalapeño',
  'résumé',
  'São Paulo',
  'München',
  '東京',
  'データ',
  '流式传输',
  'Ελλάδα',
  'Москва',
  '🚀',
  '✨',
  '—',
  '€42',
  '½',
  '👩‍💻',
  'cafe\u0301',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
];

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** One sentence of `length` words; about one word in twelve is multi-byte. */
export function sentence(next: Rng, length: number, multibyte = true): string {
  const words: string[] = [];
  for (let i = 0; i < length; i++) {
    words.push(multibyte && next() < 0.08 ? pick(next, MULTIBYTE) : pick(next, WORDS));
  }
  const end = pick(next, ['.', '.', '.', '!', '?', ';']);
  return `${capitalize(words.join(' '))}${end === ';' ? '.' : end}`;
}

/** Paragraphs (separated by a blank line) totalling about `wordCount` words. */
export function prose(
  next: Rng,
  wordCount: number,
  options: { multibyte?: boolean; headings?: boolean } = {},
): string {
  const paragraphs: string[] = [];
  let words = 0;
  let section = 1;
  while (words < wordCount) {
    if (options.headings && paragraphs.length % 4 === 0) {
      paragraphs.push(
        `## ${section++}. ${capitalize(pick(next, WORDS))} ${pick(next, WORDS)} ${pick(next, MULTIBYTE)}`,
      );
    }
    const sentences: string[] = [];
    const count = 3 + Math.floor(next() * 4);
    for (let s = 0; s < count && words < wordCount; s++) {
      const length = Math.min(wordCount - words, 6 + Math.floor(next() * 14));
      sentences.push(sentence(next, length, options.multibyte ?? true));
      words += length;
    }
    paragraphs.push(sentences.join(' '));
  }
  return paragraphs.join('\n\n');
}

/** Counts whitespace-separated words. */
export function wordCount(text: string): number {
  return text.split(/\s+/u).filter((w) => w !== '').length;
}
