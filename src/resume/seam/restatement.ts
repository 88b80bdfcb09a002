/**
 * Finding the restatement: the longest suffix of the delivered text, starting at a boundary,
 * that the continuation starts with and that the rules take (rules.ts).
 *
 * Linear in the delivered text per look: the suffixes that could match are found with
 * `indexOf` on the continuation's first characters (native, no per-position work), and only
 * those positions are classified and compared.
 */
import type { SeamRecord, SeamRule } from '../report.js';
import { leadingWsLength } from './chars.js';
import { type Boundary, boundaryAt, couldTake, judge } from './rules.js';

/** Characters of the continuation used to find where a restatement could start. */
const KEY = 24;

export type Restatement =
  | { kind: 'wait' }
  | {
      kind: 'none';
      /**
       * The continuation ended while it could still have been restating a longer candidate
       * ("The quick brown fox" + a final "The quick"): kept as written, but unsure.
       */
      unfinished?: boolean;
    }
  | {
      kind: 'found';
      /** Characters of the continuation taken by the restatement (leading whitespace included). */
      length: number;
      rule: SeamRule;
      boundary: Boundary;
      confidence: SeamRecord['confidence'];
    };

const WAIT: Restatement = { kind: 'wait' };
const NONE: Restatement = { kind: 'none' };
const UNFINISHED: Restatement = { kind: 'none', unfinished: true };

/**
 * What one look found on an earlier, shorter continuation, so a longer one only compares the
 * characters that arrived since (a model restating 100 KB sends thousands of deltas; without it
 * every delta would compare the whole restatement again).
 */
interface LookCache {
  probeLength: number;
  starts: number[];
  /** `couldTake` per start: fixed for a start, and costly on a long suffix. */
  could: Map<number, boolean>;
}

/** Per seam: looks keyed by where their probe starts in the continuation. */
export type RestatementCache = Map<string, LookCache>;

/** Narrows `starts` that agreed on `from` characters of a probe to those agreeing on all of it. */
function refine(text: string, starts: number[], from: number, probe: string): number[] {
  const out: number[] = [];
  for (const i of starts) {
    const common = Math.min(text.length - i, probe.length);
    if (common <= from || text.startsWith(probe.slice(from, common), i + from)) out.push(i);
  }
  return out;
}

/**
 * Positions i of `text` where `text.slice(i)` and `probe` agree on their common length,
 * ascending (longest suffix first).
 */
function agreeingStarts(text: string, probe: string): number[] {
  // The probe is never empty (findRestatement returns before an empty look).
  const k = Math.min(probe.length, KEY);
  const key = probe.slice(0, k);
  const out: number[] = [];
  for (let i = text.indexOf(key); i !== -1; i = text.indexOf(key, i + 1)) {
    const common = Math.min(text.length - i, probe.length);
    if (common <= k || text.startsWith(probe.slice(k, common), i + k)) out.push(i);
  }
  // Suffixes shorter than the key.
  for (let i = Math.max(0, text.length - k + 1); i < text.length; i++) {
    if (key.startsWith(text.slice(i))) out.push(i);
  }
  return out;
}

/**
 * @param previous the delivered text (held whitespace excluded)
 * @param held whitespace held back after it
 * @param continuation the continuation's text so far (after any preamble or fence removed)
 * @param final no more continuation text will come
 */
export function findRestatement(
  previous: string,
  held: string,
  continuation: string,
  final: boolean,
  cache?: { looks: RestatementCache; key: string },
  afterFence = false,
): Restatement {
  if (continuation === '') return final ? NONE : WAIT;
  const lead = leadingWsLength(continuation);
  if (lead === continuation.length && !final) return WAIT;

  // Direct: the continuation starts with the candidate. Led: whitespace, then the candidate.
  const looks: Array<{ leadingWs: string; probe: string }> = [
    { leadingWs: '', probe: continuation },
  ];
  if (lead > 0 && lead < continuation.length) {
    // Its probe starts with a visible character, so every candidate it finds does too.
    looks.push({ leadingWs: continuation.slice(0, lead), probe: continuation.slice(lead) });
  }
  let best: { length: number; offset: number; result: Restatement } | undefined;
  let unfinished = false;
  for (const { leadingWs, probe } of looks) {
    const key = `${cache?.key ?? ''}|${leadingWs.length}`;
    const cached = cache?.looks.get(key);
    const starts =
      // Refining the cached starts or finding them again gives the same starts (the continuation
      // only grows): a speed-only choice.
      // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only, the same starts either way
      cached !== undefined && probe.length >= cached.probeLength
        ? refine(previous, cached.starts, cached.probeLength, probe)
        : agreeingStarts(previous, probe);
    const could = cached?.could ?? new Map<number, boolean>();
    cache?.looks.set(key, { probeLength: probe.length, starts, could });
    for (const i of starts) {
      const boundary = boundaryAt(previous, i);
      if (boundary === undefined) continue;
      const text = previous.slice(i);
      if (text.length > probe.length) {
        // The continuation so far is a prefix of this candidate: it may still be restating it.
        let possible = could.get(i);
        if (possible === undefined) {
          possible = couldTake({ boundary, text, leadingWs, held, afterFence });
          could.set(i, possible);
        }
        if (possible && !final) return WAIT;
        // At the end: it stopped while it may have been restating (kept as written, unsure).
        if (possible) unfinished = true;
        continue;
      }
      const next = probe.length > text.length ? (probe[text.length] ?? '') : final ? '' : undefined;
      const following = probe.slice(text.length, text.length + 4);
      const verdict = judge({
        boundary,
        text,
        next,
        following,
        leadingWs,
        held,
        afterFence,
        final,
      });
      if (verdict.take === 'need-next') return WAIT; // only when not final
      if (verdict.take === false) continue;
      const length = leadingWs.length + text.length;
      if (best === undefined || text.length > best.offset) {
        best = {
          length,
          offset: text.length,
          result: {
            kind: 'found',
            length,
            rule: verdict.rule,
            boundary,
            confidence: verdict.confidence,
          },
        };
      }
      break; // ascending starts: the first taken candidate of a look is its longest
    }
  }
  return best?.result ?? (unfinished ? UNFINISHED : NONE);
}
