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

function wordCount(s: string): number {
  const words = s.trim().split(/\s+/);
  return words[0] === '' ? 0 : words.length;
}

/**
 * @param emitted the text of the open block already sent downstream (trailing whitespace held back
 *   is NOT part of it)
 * @param continuation the first text of the continuation's first text block
 */
export function trimSeam(emitted: string, continuation: string, minWords = 2): SeamTrim {
  // A restatement is a few words; bounding the window keeps this O(window) on huge texts.
  const max = Math.min(emitted.length, continuation.length, MAX_SEAM_WINDOW);
  // Longest first: scan candidate suffix starts from the left of the window.
  for (let start = emitted.length - max; start < emitted.length; start++) {
    if (start > 0 && !WS.test(emitted[start - 1] ?? '')) continue; // not at a word boundary
    if (WS.test(emitted[start] ?? '')) continue; // suffix must start with a word
    const suffix = emitted.slice(start);
    if (wordCount(suffix) < minWords) break; // shorter suffixes have fewer words
    if (continuation.startsWith(suffix)) {
      return { trimmed: suffix.length, text: continuation.slice(suffix.length) };
    }
  }
  return { trimmed: 0, text: continuation };
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
