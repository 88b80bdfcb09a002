/**
 * The seam rule: joining the text of a continuation turn to the text already emitted.
 *
 * A continuation turn is a new turn, so the model may restate the end of what it had written
 * ("...the quick brown fo" -> "brown fox jumps"). We trim the longest suffix of the emitted text
 * that the continuation starts with, but only when that suffix starts at a word boundary of the
 * emitted text and spans at least `minWords` words: a one-word coincidence ("...said no" ->
 * "no more") is more likely real text than a restatement.
 */
export interface SeamTrim {
  /** Characters removed from the start of the continuation text. */
  trimmed: number;
  /** The continuation text to emit. */
  text: string;
}

const WS = /\s/;
const MAX_SEAM_WINDOW = 2_000;

/**
 * Suffixes of `previous` that a continuation may restate: each starts at a word boundary and
 * spans at least `minWords` words, longest first. The whole of `previous` is always a candidate
 * (a continuation that repeats everything written so far restarted the text; it did not
 * coincide with it).
 */
export function restatementCandidates(previous: string, minWords: number): string[] {
  const window = previous.slice(-MAX_SEAM_WINDOW);
  const offset = previous.length - window.length;
  // wordsFrom[i]: words in previous.slice(offset + i), counted in one backward pass, so the
  // candidate scan stays linear in the window (counting per suffix was quadratic).
  const wordsFrom = new Int32Array(window.length + 1);
  for (let i = window.length - 1; i >= 0; i--) {
    const at = offset + i;
    const startsWord =
      !WS.test(previous[at] ?? '') && (at === 0 || WS.test(previous[at - 1] ?? ''));
    wordsFrom[i] = (wordsFrom[i + 1] ?? 0) + (startsWord ? 1 : 0);
  }
  const out: string[] = [];
  for (let i = 0; i < window.length; i++) {
    const at = offset + i;
    if (WS.test(previous[at] ?? '')) continue; // a restatement starts with a word
    if (at > 0 && !WS.test(previous[at - 1] ?? '')) continue; // ... at a word boundary
    if (at > 0 && (wordsFrom[i] ?? 0) < minWords) break; // shorter suffixes have fewer words
    out.push(previous.slice(at));
  }
  return out;
}

/**
 * @param emitted the text of the open block already sent downstream (trailing whitespace held back
 *   is NOT part of it)
 * @param continuation the first text of the continuation's first text block
 */
export function trimSeam(emitted: string, continuation: string, minWords = 2): SeamTrim {
  const overlap = restatementCandidates(emitted, minWords).find((c) => continuation.startsWith(c));
  return overlap === undefined
    ? { trimmed: 0, text: continuation }
    : { trimmed: overlap.length, text: continuation.slice(overlap.length) };
}

/**
 * The space at the seam. `held` is trailing whitespace we held back from the emitted text (and
 * stripped from the request). A continuation that starts with whitespace brings its own; one
 * that starts with a word after held whitespace needs the held whitespace put back.
 */
export function joinAtSeam(held: string, continuation: string): string {
  if (held === '' || continuation === '') return held + continuation;
  return WS.test(continuation[0] ?? '') ? continuation : held + continuation;
}
