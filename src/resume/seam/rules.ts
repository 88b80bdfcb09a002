/**
 * The restatement rules: where in the delivered text a restatement may start, and when a
 * continuation that repeats the text from there is taken as a restatement rather than as real
 * text that happens to repeat it.
 *
 * A continuation turn writes new text after the partial message; a model may restate the end of
 * what it had written before going on. A suffix S of the delivered text is a candidate when the
 * continuation starts with S and S starts at a boundary:
 *
 * | boundary   | S starts...                                        | example (delivered | continuation)          |
 * |------------|----------------------------------------------------|-------------------------------------------|
 * | `all`      | at the start of the delivered text                 | "Migration" / "Migration plan: ..."        |
 * | `line`     | at a line start (indentation included)             | "- item tw" / "- item two"                 |
 * | `word`     | after whitespace                                   | "incremental synchronis" / "synchronisation" |
 * | `fragment` | at a word inside a token (after ` . ( / ...)        | "call `getUs" / "getUserById()`"           |
 * | `chars`    | anywhere in a script without spaces                | "日本語のテキス" / "テキストです"          |
 *
 * Whether a candidate is taken (the ambiguity policy; see the README, "How the seam works"):
 *
 * 1. Two or more words: taken. Real text that repeats its last two words at once ("the cat the
 *    cat") is far rarer than a model restating them.
 * 2. One word, the continuation starting with it directly (no whitespace first): taken.
 *    Appending it would glue the word to itself without a space ("synchronissynchronisation",
 *    "nono", "sshared"); a model that merely continued would have started with a space or with
 *    the rest of the word. Known ambiguities, decided for restatement (a real stream rarely
 *    stops inside a common word: it arrives as one token): a word whose first letters repeat,
 *    cut at the repeat ("a" + "ardvark" reads "ardvark"; "mur" + "mur of" reads "mur of").
 * 3. Digits and punctuation alone ("1", "}", "#"): taken when the stream had whitespace after
 *    them (held back, so the token was complete: "- " then "- item"), when four or more
 *    characters long, or for digits when the continuation's number is longer ("80" + "804");
 *    "80" + "80 is open" may be 8080 and "=" + "= b" is "==": kept as written. A numbered list
 *    item restated at a line start ("3" + "3. Next") is taken. At a line start,
 *    markdown marks followed by a space ("##" then "## Title", "-" then "- item") restate the
 *    line (gluing would make "####" or "--"), and a code fence cut short ("``" then
 *    "```python") is restated: five backticks are rarer.
 * 4. Scripts without spaces: inside a run of such characters, three or more. Reduplication of
 *    one or two characters is ordinary running Chinese and Japanese (看看, いろいろ, 研究研究);
 *    of three, rare. From a line start or after whitespace (a list item or phrase restated from
 *    its beginning: "一、" + "一、记录"), any length.
 * 5. A continuation that starts with whitespace and then repeats the text (" had had"): only
 *    two or more words are taken, since a model that writes a leading space is appending, and
 *    "had had" is real text. After a newline, the repeat must also span a line break or end
 *    mid-word: a complete line written twice ("x += 1" on two lines) is real code.
 * 6. A line restated with its indentation ("    re" / "    return x"): taken whenever the line
 *    holds something visible; the indentation makes a coincidence implausible.
 * 7. After a reopened code fence, the current line restated from its start: taken however
 *    short ("d" then "def f():"); reopening the fence already says the model went back.
 *
 * The longest taken candidate wins; while a longer candidate could still match, the seam waits
 * for more of the continuation.
 */
import type { SeamRecord, SeamRule } from '../report.js';
import {
  charAt,
  charBefore,
  clusterStart,
  hasTwoWords,
  isUnspaced,
  isWord,
  isWs,
  shape,
} from './chars.js';

export type Boundary = 'all' | 'line' | 'word' | 'fragment' | 'chars';

const OPENERS = new Set(['"', "'", '(', '[', '{', '`', '“', '‘', '「', '『', '（', '【', '《']);

/** The boundary a restatement starting at `i` of `text` would start at, if any. */
export function boundaryAt(text: string, i: number): Boundary | undefined {
  if (i === 0) return 'all';
  if (!clusterStart(text, i)) return undefined;
  const prev = charBefore(text, i);
  if (prev === '\n') return 'line';
  const cur = charAt(text, i);
  if (isWs(cur)) return undefined;
  if (isWs(prev)) return 'word';
  if (isWord(cur) && !isWord(prev)) return 'fragment';
  // An opening quote or bracket inside a token ('truncate("ab'): a restatement may start there.
  if (OPENERS.has(cur) && isWord(charAt(text, i + cur.length))) return 'fragment';
  if (isUnspaced(cur) || isUnspaced(prev)) return 'chars';
  return undefined;
}

export type Verdict =
  | { take: true; rule: SeamRule; confidence: SeamRecord['confidence'] }
  | { take: false }
  /** The answer depends on the continuation's next character, not there yet. */
  | { take: 'need-next' };

const NO: Verdict = { take: false };

export interface Judged {
  boundary: Boundary;
  /** The candidate restatement (a suffix of the delivered text). */
  text: string;
  /** The continuation's character after the candidate ('' at its end, when final). */
  next: string | undefined;
  /** A few of the continuation's characters after the candidate, as far as they arrived. */
  following?: string;
  /** The continuation started with whitespace before the candidate. */
  leadingWs: string;
  /** Whitespace held back after the delivered text (the stream had it; the client has not). */
  held: string;
  /** The continuation reopened the code fence first: it is restating the current line. */
  afterFence?: boolean;
  /** No more of the continuation will come. */
  final?: boolean;
}

function ruleFor(boundary: Boundary, multiWord: boolean): SeamRule {
  if (boundary === 'all' || boundary === 'line') return boundary;
  if (boundary === 'chars') return 'chars';
  return multiWord ? 'words' : boundary === 'fragment' ? 'fragment' : 'word';
}

/** Whether the candidate is a restatement (the policy in the module comment). */
export function judge(c: Judged): Verdict {
  const s = c.text;
  const multi = hasTwoWords(s);
  if (c.leadingWs !== '') {
    // Rule 5: the continuation wrote whitespace first.
    if (!multi) return NO;
    if (c.leadingWs.includes('\n') && !s.includes('\n')) {
      if (c.next === undefined) return { take: 'need-next' };
      const endsMidWord = isWord(s.slice(-1)) && isWord(c.next);
      if (!endsMidWord) return NO;
    }
    return { take: true, rule: ruleFor(c.boundary, true), confidence: 'high' };
  }
  if (c.afterFence && c.boundary === 'line' && s.trim() !== '') {
    // Rule 7: after a reopened fence the model restates the current line, however short.
    return { take: true, rule: 'line', confidence: s.trim().length >= 3 ? 'high' : 'medium' };
  }
  if (c.boundary === 'line' && isWs(s[0] ?? '')) {
    // Rule 6: a line restated with its indentation.
    const visible = s.trim();
    if (visible === '') return NO;
    return { take: true, rule: 'line', confidence: visible.length >= 3 ? 'high' : 'medium' };
  }
  if (multi) return { take: true, rule: ruleFor(c.boundary, true), confidence: 'high' };
  // One "word" may be a whole paragraph of a script without spaces: its first 64 characters
  // decide every threshold below (all of them are under 8), so the rest is not scanned.
  const sh = shape(s.length > 64 ? s.slice(0, 64) : s);
  if (sh.unspaced > 0 && sh.unspaced === sh.letters) {
    // Rule 4: inside a run of such characters three; from a line start, after whitespace or
    // at the text's start (a phrase or list item restated from its beginning), any.
    const min = c.boundary === 'chars' || c.boundary === 'fragment' ? 3 : 1;
    if (sh.unspaced < min) return NO;
    return {
      take: true,
      rule: c.boundary === 'all' ? 'all' : 'chars',
      confidence: sh.unspaced >= 6 ? 'high' : sh.unspaced >= 3 ? 'medium' : 'low',
    };
  }
  if (sh.letters >= 2) {
    // Rule 2.
    return {
      take: true,
      rule: ruleFor(c.boundary, false),
      confidence: sh.visible >= 6 ? 'high' : sh.visible >= 3 ? 'medium' : 'low',
    };
  }
  if (sh.letters === 1) {
    if (sh.visible >= 4)
      return { take: true, rule: ruleFor(c.boundary, false), confidence: 'medium' };
    // One letter, then the word restarted ("s" + "shared") or the word restated ("a" + "a few").
    return { take: true, rule: ruleFor(c.boundary, false), confidence: 'low' };
  }
  // Rule 3: digits and punctuation. A fence opener cut short at a line start ("``" then
  // "```python") is restated: a fence of five backticks is far rarer.
  if (c.boundary === 'line' && /^(?:`{1,3}|~{1,3})$/u.test(s)) {
    // Restated only if what follows still makes a fence on its own: "`" + "```python" is the
    // opener restated, "`" + "``python" its rest.
    const following = c.following ?? '';
    let run = 0;
    while (run < following.length && following[run] === s[0]) run++;
    if (run === following.length && s.length + run < 3 && !c.final) return { take: 'need-next' };
    if (s.length + run >= 3) return { take: true, rule: 'line', confidence: 'medium' };
  }
  // Markdown marks at a line start ("##", "-", ">", "|") followed by a space in the continuation:
  // the line restated. Gluing would change the structure ("####", "--").
  if (c.boundary === 'line' && /^[#>*+|-]{1,6}$/u.test(s)) {
    const following = c.following ?? '';
    if (following === '' && c.next === undefined) return { take: 'need-next' };
    if (following[0] === ' ' || following[0] === '\t') {
      return { take: true, rule: 'line', confidence: 'medium' };
    }
  }
  if (/^\d{1,3}$/u.test(s)) {
    const following = c.following ?? '';
    if (following === '' && c.next === undefined) return { take: 'need-next' };
    // A number restarted: the continuation's number is longer ("80" + "804 ms"). The same
    // number again ("80" + "80 is open") may be 8080: kept as written.
    if (/^\d/u.test(following))
      return { take: true, rule: ruleFor(c.boundary, false), confidence: 'low' };
    // A numbered list item restated at a line start ("3" + "3. Next").
    if (c.boundary === 'line' && /^[.)]$/u.test(following) && !c.final) {
      return { take: 'need-next' };
    }
    if (c.boundary === 'line' && /^[.)][ \t]/u.test(following)) {
      return { take: true, rule: 'line', confidence: 'medium' };
    }
  }
  if (sh.visible >= 4)
    return { take: true, rule: ruleFor(c.boundary, false), confidence: 'medium' };
  if (c.held !== '') return { take: true, rule: ruleFor(c.boundary, false), confidence: 'low' };
  return NO;
}

/** Whether a candidate could be taken once complete (the seam waits for it). */
export function couldTake(c: Omit<Judged, 'next'>): boolean {
  // Any continuation: a space, a letter, a newline, or more of the candidate's own first
  // character (a fence opener "`" may be followed by "``python").
  for (const next of [' ', 'x', '\n', c.text[0] ?? ' ']) {
    if (judge({ ...c, next, following: next.repeat(3) }).take === true) return true;
  }
  return false;
}
