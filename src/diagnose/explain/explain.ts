/**
 * `explain`: names the failure behind a pasted error message, traceback or log excerpt by
 * scoring it against the signature knowledge base.
 *
 * Scoring is additive and explainable: each signature pattern found adds its weight (the
 * evidence list says which), and a signature is recognised at RECOGNISED_AT points. Stack
 * frames, log prefixes and chained exceptions around the error add nothing and take nothing
 * away, because only the patterns count. A small similarity bonus (shared words) orders the
 * near misses shown for text nothing recognises.
 */
import { compactPhrase, normaliseErrorText } from './normalize.js';
import { RECOGNISED_AT, type Signature, type SignaturePattern } from './signature.js';
import { SIGNATURES } from './signatures.js';

/** Text longer than this is cut to its last part: the error is usually at the end of a log. */
export const MAX_EXPLAIN_CHARS = 1_000_000;
/** How many near misses to show for text that is not recognised. */
const CLOSEST_COUNT = 3;
/** Points the word-overlap similarity can add (at 100% overlap). */
const SIMILARITY_POINTS = 6;
/** Points at which a match counts as fully certain. */
const CERTAIN_AT = 20;

export type ConfidenceLevel = 'high' | 'medium' | 'low';

export interface SignatureMatch {
  readonly signature: Signature;
  /** Points from patterns found in the text. */
  readonly points: number;
  /** Share (0..1) of the signature's key words present in the text. */
  readonly similarity: number;
  /** points + similarity bonus; what the matches are ordered by. */
  readonly score: number;
  readonly recognised: boolean;
  /** 0..1: strength of the evidence, lowered when another signature is about as strong. */
  readonly confidence: number;
  readonly level: ConfidenceLevel;
  /** The text each matched pattern found, in pattern order. */
  readonly evidence: readonly string[];
}

export interface ExplainResult {
  readonly recognised: boolean;
  /** Recognised signatures, best first (specific before generic, then by score). */
  readonly matches: readonly SignatureMatch[];
  /** When nothing is recognised: the closest signatures, best first. Empty otherwise. */
  readonly closest: readonly SignatureMatch[];
  /** True when the input was longer than MAX_EXPLAIN_CHARS and only its end was read. */
  readonly truncated: boolean;
}

export interface ExplainOptions {
  /** Signatures to match against; defaults to the built-in knowledge base. */
  readonly signatures?: readonly Signature[];
}

/** Explains an error text. Empty or whitespace-only text is a caller error (TypeError). */
export function explain(text: string, options: ExplainOptions = {}): ExplainResult {
  if (text.trim() === '') {
    throw new TypeError(
      'explain: the error text is empty; pass the message or traceback to explain.',
    );
  }
  const truncated = text.length > MAX_EXPLAIN_CHARS;
  const input = truncated ? text.slice(-MAX_EXPLAIN_CHARS) : text;
  const normalised = normaliseErrorText(input);
  const words = wordSet(normalised.spaced);
  const signatures = options.signatures ?? SIGNATURES;

  const raw = signatures.map((signature) => {
    const evidence: string[] = [];
    let points = 0;
    for (const pattern of signature.patterns) {
      const found = findPattern(pattern, normalised);
      if (found !== undefined) {
        points += pattern.weight;
        evidence.push(found);
      }
    }
    const similarity = overlap(signatureWords(signature), words);
    return { signature, points, similarity, evidence };
  });

  const recognised = raw.filter((m) => m.points >= RECOGNISED_AT).sort((a, b) => rankOrder(a, b));
  const matches = recognised.map((m, i) => withConfidence(m, true, recognised, i));
  const closest =
    matches.length > 0
      ? []
      : raw
          .sort((a, b) => score(b) - score(a) || a.signature.id.localeCompare(b.signature.id))
          .slice(0, CLOSEST_COUNT)
          .map((m) => withConfidence(m, false, [], 0));
  return { recognised: matches.length > 0, matches, closest, truncated };
}

interface RawMatch {
  readonly signature: Signature;
  readonly points: number;
  readonly similarity: number;
  readonly evidence: readonly string[];
}

function score(m: RawMatch): number {
  return m.points + Math.round(m.similarity * SIMILARITY_POINTS);
}

/** Specific before generic (the cause before its wrapper), then by score, then by id. */
function rankOrder(a: RawMatch, b: RawMatch): number {
  const generic = Number(a.signature.generic === true) - Number(b.signature.generic === true);
  return generic || score(b) - score(a) || a.signature.id.localeCompare(b.signature.id);
}

function withConfidence(
  m: RawMatch,
  recognised: boolean,
  ranked: readonly RawMatch[],
  index: number,
): SignatureMatch {
  let confidence = recognised ? Math.min(1, 0.5 + m.points / (2 * CERTAIN_AT)) : 0;
  if (!recognised) {
    // A near miss: how far it got towards being recognised, never above "low".
    confidence = Math.min(0.45, (m.points / RECOGNISED_AT) * 0.45);
  } else if (index === 0) {
    // Another specific signature with nearly as much evidence makes the winner less certain.
    const rival = ranked.find(
      (r, i) => i > 0 && r.signature.generic !== true && r.points >= 0.85 * m.points,
    );
    if (rival !== undefined && m.signature.generic !== true) confidence *= 0.8;
  } else {
    confidence *= 0.9;
  }
  confidence = Math.round(confidence * 100) / 100;
  const level: ConfidenceLevel = confidence >= 0.8 ? 'high' : confidence >= 0.6 ? 'medium' : 'low';
  return {
    signature: m.signature,
    points: m.points,
    similarity: Math.round(m.similarity * 100) / 100,
    score: score(m),
    recognised,
    confidence,
    level,
    evidence: m.evidence,
  };
}

function findPattern(
  pattern: SignaturePattern,
  text: { readonly spaced: string; readonly compact: string },
): string | undefined {
  if ('phrase' in pattern) {
    return text.compact.includes(compactPhrase(pattern.phrase)) ? pattern.phrase : undefined;
  }
  const found = pattern.regex.exec(text.spaced);
  return found === null ? undefined : clip(found[0]);
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

// Words too common in tracebacks and error text to say anything about which error it is.
const STOP_WORDS = new Set([
  'error',
  'errors',
  'exception',
  'the',
  'and',
  'for',
  'with',
  'without',
  'from',
  'file',
  'line',
  'node',
  'internal',
  'async',
  'process',
  'python',
  'site',
  'packages',
  'dist',
  'lib',
  'usr',
  'local',
  'type',
  'message',
  'api',
]);

const wordCache = new WeakMap<Signature, ReadonlySet<string>>();

/** The words that describe a signature: its title and the words of its phrases. */
function signatureWords(signature: Signature): ReadonlySet<string> {
  const cached = wordCache.get(signature);
  if (cached !== undefined) return cached;
  const parts = [signature.title];
  for (const p of signature.patterns) parts.push('phrase' in p ? p.phrase : regexWords(p.regex));
  const words = wordSet(parts.join(' '));
  wordCache.set(signature, words);
  return words;
}

/** The literal words of a regex source (escapes and syntax dropped). */
function regexWords(re: RegExp): string {
  return re.source.replace(/\\[a-zA-Z]/g, ' ').replace(/[^A-Za-z0-9_]+/g, ' ');
}

function wordSet(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().split(/[^a-z0-9_]+/)) {
    if (w.length >= 3 && !STOP_WORDS.has(w) && !/^\d+$/.test(w)) out.add(w);
  }
  return out;
}

function overlap(wanted: ReadonlySet<string>, present: ReadonlySet<string>): number {
  if (wanted.size === 0) return 0;
  let hits = 0;
  for (const w of wanted) if (present.has(w)) hits += 1;
  return hits / wanted.size;
}
