/**
 * The whitespace at the seam. The splicer holds back a text's trailing whitespace (it may turn
 * out to end the block) and the continuation request leaves it out, so the model writes its own.
 * - the continuation starts with a visible character: the held whitespace is put back
 *   ("the quick" + held " " + "brown");
 * - the continuation starts with whitespace: its own is used, except when the held whitespace
 *   already holds it and more: a shorter prefix ("\n" against a held "\n\n": the stream had
 *   the paragraph break, the model only began it again), or the same indentation without the
 *   line break the stream had before it ("    " against a held "\n    ").
 * - the stream had a line break and the continuation's whitespace has none: the line break is
 *   kept, followed by the continuation's indentation (two or more spaces, or a tab: "    " after
 *   a held "\n" gives "\n    "); a single space is a word separator, dropped after the break.
 */
import type { SeamRecord } from '../report.js';
import { leadingWsLength } from './chars.js';

export function joinWhitespace(
  held: string,
  continuation: string,
  final: boolean,
): { text: string; whitespace: SeamRecord['whitespace'] } | undefined {
  const lead = leadingWsLength(continuation);
  if (lead === continuation.length && !final) return undefined; // the whitespace may go on
  if (lead === 0) {
    return { text: held + continuation, whitespace: held === '' ? 'none' : 'held' };
  }
  const own = continuation.slice(0, lead);
  const heldHasMore =
    held.length > own.length &&
    (held.startsWith(own) || (held.endsWith(own) && held.includes('\n') && !own.includes('\n')));
  if (heldHasMore) {
    return { text: held + continuation.slice(lead), whitespace: 'held' };
  }
  if (held.includes('\n') && !own.includes('\n')) {
    const lineBreak = held.slice(0, held.lastIndexOf('\n') + 1);
    const indentation = own === ' ' ? '' : own;
    return { text: lineBreak + indentation + continuation.slice(lead), whitespace: 'held' };
  }
  return { text: continuation, whitespace: 'continuation' };
}
