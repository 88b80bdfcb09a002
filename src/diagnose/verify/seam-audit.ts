/**
 * The seam audit's suspicion detectors: given the final text on each side of a seam (where a
 * continuation turn's text was joined to text already delivered), flag what a bad join leaves
 * behind. They read only the final text, so they judge any seam rule, lifeline's or another.
 *
 * Each detector is a heuristic with a stated false-positive boundary; a flag is a reason to
 * look, not a verdict. Windows: `DETECT_WINDOW` characters on each side are examined.
 *
 * - `repeat`: text repeated across the seam.
 *   (a) adjacent: the text before the seam (trailing whitespace aside) ends with X and the
 *       text after it (leading whitespace aside) starts with X, where X holds at least 3 words
 *       (runs of letters/digits) or at least 4 characters of a script written without spaces
 *       (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar);
 *   (b) near: the last 3 words before the seam, as written (the last one may be a word cut
 *       mid-way), at least `MIN_PHRASE` characters long, appear within the first `NEAR_WINDOW`
 *       characters after it (a restatement after a preamble); for a script without spaces,
 *       its last 4 characters;
 *   (c) shingle: a run of 3 words (single-spaced, case kept) of at least `MIN_PHRASE`
 *       characters in the last `NEAR_WINDOW` characters before the seam found again in the
 *       first `NEAR_WINDOW` after it (a restatement from further back: "...A B C D E" +
 *       " B C DF").
 *   Not flagged: one or two words repeated ("had had", "that that", "very very"), 2-3
 *   characters of CJK ("まあまあ", "谢谢"), common short phrases recurring within a sentence or
 *   two ("one of the", "in the middle"): real text repeats that much. A longer phrase really
 *   repeated right across a seam ("step by step, step by step") is a false positive.
 * - `glued`: a word glued across the seam: a letter on each side (scripts with spaces), and the
 *   word spanning the seam either
 *   (a) has an adjacent repeated chunk of 3+ letters split by the seam: the part before ends
 *       with C and the part after starts with C ("synchronis|synchronisation", "synchron|chronous"),
 *   (b) or changes from lower to upper case at the seam, after 2+ lowercase letters, with a
 *       lowercase letter after the capital ("quick|Brown"). Not in code (inside a fenced block
 *       or inline code), where camelCase is normal ("use|State").
 *   A real word cut exactly at its own reduplication ("cous|cous", "mur|mur") is a false
 *   positive; cut anywhere else it is not ("Mis|sissippi", "book|keeper").
 * - `fence`: an unbalanced code fence:
 *   (a) a fence marker (``` or ~~~) that starts or ends within `NEAR_WINDOW` characters after the
 *       seam but not at a line start (only spaces, tabs and `>` before it on its line), e.g.
 *       "re```python";
 *   (b) the final text has an odd number of fence lines where the uncut text has an even one
 *       (the caller decides the reference; see `fenceParity`).
 *   Triple backticks used inline right after a seam are a false positive of (a).
 * - `space`: a doubled space at the seam: the whitespace where the two sides meet is two or
 *   more spaces (U+0020, no newline), between a word and a word, in prose. Not flagged after
 *   a sentence end ("end.  Next", an old typing habit), in code (alignment) or as indentation
 *   (nothing but whitespace before it on its line). A lost space cannot be told from the text
 *   alone; it can when the text on either side is known as sent (`detectLostSpace`): the text
 *   delivered before a cut ended with whitespace, or a continuation appended as written began
 *   with it, and the final text has a letter or digit on each side of the seam.
 */

/** Characters examined on each side of a seam. */
export const DETECT_WINDOW = 200;
/** How far after the seam a restated tail or a misplaced fence marker is looked for. */
export const NEAR_WINDOW = 60;
/** Characters a repeated 3-word phrase needs for rules (b) and (c) of `repeat`. */
export const MIN_PHRASE = 16;
/** Characters shown on each side of a seam. */
export const SHOW_WINDOW = 60;

export type SeamFlagKind = 'repeat' | 'glued' | 'fence' | 'space';

export interface SeamFlag {
  kind: SeamFlagKind;
  /** One line: what was found, quoted with escapes. */
  detail: string;
}

const SPACELESS =
  /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const SPACELESS_ALL = new RegExp(`^${SPACELESS.source}+$`, 'u');
const WORD = /[\p{L}\p{M}\p{N}_]+/gu;
const LETTERS_END = /[\p{L}\p{M}]+$/u;
const LETTERS_START = /^[\p{L}\p{M}]+/u;
const LETTER = /^[\p{L}]$/u;
const FENCE_MARKER = /`{3,}|~{3,}/g;
const FENCE_LINE = /^[ \t>]*(?:`{3,}|~{3,})/;

/** Text shown with its whitespace and control characters escaped (JSON style), unquoted. */
export function escapeVisible(text: string): string {
  let out = '';
  for (const ch of text) {
    if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[^\S ]/u.test(ch)) {
      // Control and format characters, and every space but U+0020 (NBSP, thin space...).
      out += `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out;
}

/** The last `n` code points of `text` (a surrogate pair is never split). */
export function tailChars(text: string, n: number): string {
  const chars = Array.from(text.slice(-2 * n));
  return chars.slice(-n).join('');
}

/** The first `n` code points of `text`. */
export function headChars(text: string, n: number): string {
  const chars = Array.from(text.slice(0, 2 * n));
  return chars.slice(0, n).join('');
}

function words(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

function spacelessCount(text: string): number {
  let n = 0;
  for (const ch of text) if (SPACELESS.test(ch)) n++;
  return n;
}

function quote(text: string): string {
  return `"${escapeVisible(text)}"`;
}

/** Each run of 3 whitespace-separated words, single-spaced (an end cut mid-word included). */
function shingles(text: string): string[] {
  const tokens = text.split(/\s+/u).filter((t) => t !== '');
  const out: string[] = [];
  for (let i = 0; i + 3 <= tokens.length; i++) {
    const phrase = tokens.slice(i, i + 3);
    if (phrase.every((t) => words(t) > 0)) out.push(phrase.join(' '));
  }
  return out;
}

/** Whether a repeated span is long enough that a coincidence is implausible. */
function significant(span: string): boolean {
  return words(span) >= 3 || spacelessCount(span) >= 4;
}

/** `repeat`: see the module comment. */
export function detectRepeat(before: string, after: string): SeamFlag | undefined {
  const left = before.slice(-DETECT_WINDOW).trimEnd();
  const right = after.slice(0, DETECT_WINDOW).trimStart();
  // (a) adjacent: the longest X that ends `left` and starts `right`.
  for (let k = Math.min(left.length, right.length); k > 0; k--) {
    const x = right.slice(0, k);
    if (left.endsWith(x) && significant(x)) {
      return { kind: 'repeat', detail: `${quote(x)} on both sides of the seam` };
    }
  }
  // (b) near: the last 3 words before the seam, as written, soon after it.
  const near = right.slice(0, NEAR_WINDOW);
  const starts = [...left.matchAll(WORD)].map((m) => m.index);
  if (starts.length >= 3) {
    const tail = left.slice(starts[starts.length - 3]);
    if (tail.length >= MIN_PHRASE && words(tail) >= 3 && near.includes(tail)) {
      return {
        kind: 'repeat',
        detail: `the last words before the seam, ${quote(tail)}, again ${near.indexOf(tail)} chars after it`,
      };
    }
  }
  // (c) shingle: 3 words before the seam found again after it, near it (as a substring: a
  // restated phrase may be glued to what follows it).
  const nearSpaced = near.replace(/\s+/gu, ' ');
  const shared = shingles(left.slice(-NEAR_WINDOW)).find(
    (phrase) => phrase.length >= MIN_PHRASE && nearSpaced.includes(phrase),
  );
  if (shared !== undefined) {
    return { kind: 'repeat', detail: `${quote(shared)} both before and after the seam` };
  }
  const chars = Array.from(left);
  const last4 = chars.slice(-4).join('');
  if (chars.length >= 4 && SPACELESS_ALL.test(last4) && near.includes(last4)) {
    return {
      kind: 'repeat',
      detail: `the last characters before the seam, ${quote(last4)}, again ${near.indexOf(last4)} chars after it`,
    };
  }
  return undefined;
}

/** Whether the end of `before` is inside code: a fenced block, or inline code on its line. */
export function inCode(before: string): boolean {
  if (fenceLines(before) % 2 === 1) return true;
  const line = before.slice(before.lastIndexOf('\n') + 1);
  return (line.match(/`/g)?.length ?? 0) % 2 === 1;
}

/** `glued`: see the module comment. `code`: the seam is inside code (default: judged from `before`). */
export function detectGlued(
  before: string,
  after: string,
  code: boolean = inCode(before),
): SeamFlag | undefined {
  const a = Array.from(before.slice(-2)).at(-1) ?? '';
  const b = Array.from(after.slice(0, 2))[0] ?? '';
  if (!LETTER.test(a) || !LETTER.test(b) || SPACELESS.test(a) || SPACELESS.test(b)) {
    return undefined;
  }
  const lw = before.slice(-DETECT_WINDOW).match(LETTERS_END)?.[0] ?? '';
  const rw = after.slice(0, DETECT_WINDOW).match(LETTERS_START)?.[0] ?? '';
  const word = `${lw}|${rw}`;
  for (let k = Math.min(lw.length, rw.length); k >= 3; k--) {
    const chunk = rw.slice(0, k);
    if (lw.endsWith(chunk)) {
      return {
        kind: 'glued',
        detail: `${quote(chunk)} twice in a row in the word across the seam, ${quote(word)}`,
      };
    }
  }
  if (
    !code &&
    lw.length >= 2 &&
    lw === lw.toLowerCase() &&
    lw !== lw.toUpperCase() &&
    /^\p{Lu}\p{Ll}/u.test(rw)
  ) {
    return {
      kind: 'glued',
      detail: `lower to upper case inside a word at the seam, ${quote(word)}`,
    };
  }
  return undefined;
}

/** Lines of `text` that open or close a code fence (``` or ~~~ after spaces, tabs or `>`). */
export function fenceLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (FENCE_LINE.test(line)) n++;
  return n;
}

/** `fence` (a): a fence marker just after the seam that is not at a line start. */
export function detectFence(before: string, after: string): SeamFlag | undefined {
  const lineStart = before.slice(before.lastIndexOf('\n') + 1);
  const text = lineStart + after.slice(0, NEAR_WINDOW);
  const seam = lineStart.length;
  for (const m of text.matchAll(FENCE_MARKER)) {
    if (m.index + m[0].length <= seam) continue; // wholly before the seam: not the join's doing
    const lineHead = text.slice(text.lastIndexOf('\n', m.index - 1) + 1, m.index);
    if (/^[ \t>]*$/.test(lineHead)) continue;
    const from = Math.max(0, m.index - 20);
    return {
      kind: 'fence',
      detail: `a fence marker not at a line start: ${quote(text.slice(from, m.index + m[0].length + 12))}`,
    };
  }
  return undefined;
}

/**
 * `fence` (b): the final text has an odd number of fence lines where the uncut text (the
 * reference) has an even one. `reference`: the uncut text, or `undefined` when unknown, in which
 * case an even count is assumed unless `mayEndInCode` (e.g. the message hit max_tokens).
 */
export function fenceParity(
  final: string,
  reference: string | undefined,
  mayEndInCode = false,
): SeamFlag | undefined {
  const got = fenceLines(final);
  if (got % 2 === 0) return undefined;
  if (reference === undefined) {
    if (mayEndInCode) return undefined;
    return {
      kind: 'fence',
      detail: `the final text has ${got} fence lines (odd: a fence is left open or opened twice)`,
    };
  }
  const want = fenceLines(reference);
  if (want % 2 === 1) return undefined;
  return {
    kind: 'fence',
    detail: `the final text has ${got} fence lines (odd), the uncut text ${want}`,
  };
}

/** `space`: see the module comment. `code`: the seam is inside code (default: judged from `before`). */
export function detectSpace(
  before: string,
  after: string,
  code: boolean = inCode(before),
): SeamFlag | undefined {
  const l = before.match(/[ \t\r\n]*$/u)?.[0] ?? '';
  const r = after.match(/^[ \t\r\n]*/u)?.[0] ?? '';
  const ws = l + r;
  if (code || !/^ {2,}$/.test(ws)) return undefined;
  const head = before.slice(0, before.length - l.length);
  const line = head.slice(head.lastIndexOf('\n') + 1);
  if (line.trim() === '' || /[.!?:]$/u.test(line) || after.length === r.length) return undefined;
  const shown = `${tailChars(head, 12)}${ws}${headChars(after.slice(r.length), 12)}`;
  return { kind: 'space', detail: `${ws.length} spaces where the sides meet: ${quote(shown)}` };
}

/**
 * `space`, lost: whitespace known to belong at the seam, the end of the text delivered before
 * it (`delivered`) or the start of a continuation appended as written (`continuation`), is
 * gone: the final text has a letter or digit right on each side ("token " + "would" ->
 * "tokenwould").
 */
export function detectLostSpace(
  before: string,
  after: string,
  known: { delivered?: string | undefined; continuation?: string | undefined },
): SeamFlag | undefined {
  const ends = known.delivered?.match(/\s+$/u)?.[0];
  const starts = known.continuation?.match(/^\s+/u)?.[0];
  if (ends === undefined && starts === undefined) return undefined;
  const a = Array.from(before.slice(-2)).at(-1) ?? '';
  const b = Array.from(after.slice(0, 2))[0] ?? '';
  if (!/^[\p{L}\p{N}]$/u.test(a) || !/^[\p{L}\p{N}]$/u.test(b)) return undefined;
  const which =
    ends !== undefined
      ? `the text before the seam ended with ${quote(ends)}`
      : `the continuation began with ${quote(starts ?? '')}`;
  return {
    kind: 'space',
    detail: `${which}; none is left where the sides meet: ${quote(`${tailChars(before, 12)}|${headChars(after, 12)}`)}`,
  };
}

/** Every seam-local flag for one seam: repeat, glued, fence (a), space. */
export function seamFlags(before: string, after: string): SeamFlag[] {
  const code = inCode(before);
  return [
    detectRepeat(before, after),
    detectGlued(before, after, code),
    detectFence(before, after),
    detectSpace(before, after, code),
  ].filter((f): f is SeamFlag => f !== undefined);
}
