/**
 * The seam: joining a continuation's text to the text already delivered, so a resumed message
 * reads exactly like an unbroken one.
 *
 * A decision takes three steps, each in its own module:
 * 1. preamble.ts: an unmistakable preamble ("Continuing from where I left off:") is removed;
 * 2. fence.ts: a code fence the continuation reopens inside an open code block is removed;
 * 3. restatement.ts + rules.ts: the longest restatement of the delivered text's end is removed
 *    (words, a restarted word, lines, characters of scripts without spaces, all of it);
 * then whitespace.ts joins the whitespace held back from the delivered text with the
 * continuation's own, so no space or newline is doubled or lost.
 *
 * Prefill continues the assistant message itself, so only the whitespace step applies; `append`
 * (a deliberately naive seam, for audits) applies only that step too.
 */
import type { SeamRecord, SeamRemoval, SeamRule } from '../report.js';
import { isUnspaced, isWord } from './chars.js';
import { fenceReopen, type OpenFence, openFence } from './fence.js';
import { findPreamble } from './preamble.js';
import { findRestatement, type RestatementCache } from './restatement.js';
import { joinWhitespace } from './whitespace.js';

export { fenceReopen, openFence } from './fence.js';
export { findPreamble } from './preamble.js';
export { findRestatement } from './restatement.js';
export { boundaryAt, judge } from './rules.js';
export { joinWhitespace } from './whitespace.js';

export type SeamMode = 'continuation' | 'prefill' | 'append';

export interface SeamContext {
  /** The delivered text the continuation follows (held whitespace excluded). */
  previous: string;
  /** Whitespace the stream had after it, held back from the client. */
  held: string;
  mode: SeamMode;
  /** The code fence the delivered text stops inside, if any. */
  fence: OpenFence | undefined;
  /** What earlier decisions on a shorter continuation found (decisions are repeated per delta). */
  cache: RestatementCache;
}

export function seamContext(previous: string, held: string, mode: SeamMode): SeamContext {
  return {
    previous,
    held,
    mode,
    fence: mode === 'continuation' ? openFence(previous) : undefined,
    cache: new Map(),
  };
}

export interface SeamDecision {
  /** The text to deliver after the delivered text (joined whitespace included). */
  text: string;
  /** Characters removed from the continuation's start. */
  trimmed: number;
  rule: SeamRule;
  removed: SeamRemoval[];
  whitespace: SeamRecord['whitespace'];
  confidence: SeamRecord['confidence'];
}

/**
 * Decides the seam from the continuation's text so far, or returns `undefined` to wait for more
 * (a longer restatement could still match, a preamble's line has not ended, the whitespace at
 * the seam is not complete). With `final` (the continuation's block ended) it always decides.
 */
export function decideSeam(
  ctx: SeamContext,
  continuation: string,
  final: boolean,
): SeamDecision | undefined {
  const { previous, held } = ctx;
  let rest = continuation;
  let trimmed = 0;
  let rule: SeamRule = 'append';
  let confidence: SeamRecord['confidence'] = 'high';
  const removed: SeamRemoval[] = [];

  if (ctx.mode === 'continuation') {
    const preamble = findPreamble(rest, final);
    if (preamble.kind === 'wait') return undefined;
    if (preamble.kind === 'preamble') {
      rest = rest.slice(preamble.length);
      trimmed += preamble.length;
      removed.push('preamble');
    }
    let restatement: ReturnType<typeof findRestatement> | undefined;
    if (ctx.fence !== undefined) {
      const fence = fenceReopen(ctx.fence, held, rest, final);
      if (fence.kind === 'wait') return undefined;
      if (fence.kind === 'fence') {
        const after = rest.slice(fence.length);
        const inner = findRestatement(
          previous,
          held,
          after,
          final,
          { looks: ctx.cache, key: `fence@${trimmed + fence.length}` },
          true,
        );
        if (inner.kind === 'wait') return undefined;
        if (fence.certain || inner.kind === 'found') {
          rest = after;
          trimmed += fence.length;
          removed.push('fence');
          restatement = inner;
        }
      }
    }
    restatement ??= findRestatement(previous, held, rest, final, {
      looks: ctx.cache,
      key: `@${trimmed}`,
    });
    if (restatement.kind === 'wait') return undefined;
    // A continuation that ended while it may have been restating: kept as written, but a
    // reader may see a repeat or a fragment at the seam, so it cannot be vouched for.
    if (restatement.kind === 'none' && restatement.unfinished === true) confidence = 'low';
    if (restatement.kind === 'found') {
      const restated = rest.slice(0, restatement.length);
      rest = rest.slice(restatement.length);
      trimmed += restatement.length;
      rule = restatement.rule;
      confidence = restatement.confidence;
      // Text that repeats itself at the seam ("stream stream stream", a row of a table written
      // again) reads the same whether the model restated it or the text goes on repeating:
      // the trim may be one repetition too many or too few, so it cannot be high confidence.
      if (repeatsAtSeam(previous, rest, restated)) confidence = 'low';
    }
  }

  const joined = joinWhitespace(held, rest, final);
  if (joined === undefined) return undefined;
  let { text, whitespace } = joined;
  if (
    rule !== 'append' &&
    whitespace === 'held' &&
    !held.includes('\n') &&
    /^[^\s\p{L}\p{N}]/u.test(rest)
  ) {
    // The model restated the last words and went straight on with a mark ("said no" + ", never"):
    // its own text has no space there, so the held one (never delivered) is left out, else the
    // client reads "I said no , never.". A line break held is kept: it is layout, not spacing.
    text = rest;
    whitespace = 'none';
  }
  if (removed.includes('preamble') && !removed.includes('fence') && rule === 'append') {
    // After a preamble the model started afresh: its first word is a new word, not the rest of
    // a cut one. Unsure either way, so say so.
    confidence = 'low';
    const last = previous.slice(-1);
    const first = text.slice(0, 1);
    if (whitespace === 'none' && isWord(last) && isWord(first) && !isUnspaced(last)) {
      text = ` ${text}`;
      whitespace = 'continuation';
    }
  }
  return { text, trimmed, rule, removed, whitespace, confidence };
}

/**
 * Whether the text at the seam repeats itself, so that a model that restated and a text that
 * goes on repeating give the same characters and the number of repetitions cannot be told:
 * the restated text (whitespace aside) is itself a repetition ("stream stream"), or it comes
 * again right after it in the continuation, or the delivered text already holds it twice in a
 * row (a table's rows, a list that repeats an item).
 */
function repeatsAtSeam(previous: string, after: string, restated: string): boolean {
  const s = restated.trim();
  if (s === '') return false;
  // Its smallest period p: "haha" is "ha" twice. Words repeated with whitespace between them
  // ("stream stream", rows "| 0 |\r\n| 0 |") have a period that ends with the separator, which
  // the last repetition lacks: p = "stream ".length, so the text is two of it less one space.
  const p = smallestPeriod(s);
  const separator = p - s.slice(0, p).trimEnd().length;
  if (p * 2 <= s.length + separator) return true;
  if (after.trimStart().startsWith(s)) return true;
  return repeatsIn(previous.slice(-REPEAT_LOOKBACK), s);
}

/** How far back the delivered text is searched for a repetition of the restated text. */
const REPEAT_LOOKBACK = 8_000;

/** Whether `text` holds `s` twice in a row (whitespace between them aside). */
function repeatsIn(text: string, s: string): boolean {
  for (let i = text.indexOf(s); i >= 0; i = text.indexOf(s, i + 1)) {
    let j = i + s.length;
    while (j < text.length && isSpace(text[j] ?? '')) j++;
    if (text.startsWith(s, j)) return true;
  }
  return false;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

/** The smallest p such that s[i] === s[i + p] for every i (s.length when s does not repeat). */
function smallestPeriod(s: string): number {
  // Knuth-Morris-Pratt: the longest proper border of s gives its smallest period.
  const border = new Array<number>(s.length).fill(0);
  for (let i = 1, k = 0; i < s.length; i++) {
    while (k > 0 && s[i] !== s[k]) k = border[k - 1] ?? 0;
    if (s[i] === s[k]) k++;
    border[i] = k;
  }
  return s.length - (border[s.length - 1] ?? 0);
}
