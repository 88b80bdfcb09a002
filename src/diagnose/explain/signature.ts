/**
 * The shape of one entry in the error-signature knowledge base (`signatures.ts`), and the
 * vocabulary shared by `explain`: categories, whether lifeline recovers the failure, and the
 * patterns that recognise it.
 */

/** Who has to act on a failure: six categories (docs/diagnostics.md, "explain"). */
export const CATEGORIES = [
  'account/auth',
  'quota/rate',
  'model/provider',
  'local runtime',
  'network/transport',
  'deployment config',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Whether putting lifeline in the path makes this failure go away. */
export type Recovery = 'yes' | 'no' | 'partly';

/**
 * One piece of evidence for a signature.
 *
 * A `phrase` is matched case-insensitively against the text with all whitespace and quote
 * characters removed, so it survives terminal wrapping (even mid-word), JSON escaping and
 * Python-vs-JavaScript quoting. A `regex` runs on the normalised text (whitespace collapsed to
 * single spaces, quotes unified, original case), for evidence that needs structure such as a
 * status code next to its error type.
 *
 * `weight` is the points the evidence adds. A signature is recognised when its points reach
 * RECOGNISED_AT (10): give a distinctive phrase 12-20 points so it is enough on its own, and
 * supporting detail 1-6 points so it only ranks signatures that are already likely.
 */
export type SignaturePattern =
  | { readonly phrase: string; readonly weight: number }
  | { readonly regex: RegExp; readonly weight: number };

export interface Signature {
  /** Stable kebab-case id; fixtures and JSON output refer to it. */
  readonly id: string;
  readonly title: string;
  readonly patterns: readonly SignaturePattern[];
  /**
   * A broad signature: a wrapper error (`fetch failed`, `APIConnectionError`) or a status
   * class (400 `invalid_request_error`). When a specific signature is recognised too, the
   * specific one ranks first, whatever the points: the wrapper names the symptom, the
   * specific one the cause.
   */
  readonly generic?: boolean;
  /** What the error means, in two or three sentences. */
  readonly meaning: string;
  readonly category: Category;
  readonly likelyCauses: readonly string[];
  /** Fixes in the order to try them. */
  readonly fixes: readonly string[];
  readonly lifelineRecovers: Recovery;
  /** One sentence: why lifeline does or does not recover it. */
  readonly recoveryNote: string;
  /** Names of documentation pages to read, e.g. "Anthropic API docs: Errors". */
  readonly docs: readonly string[];
}

/** Points at which a signature counts as recognised. */
export const RECOGNISED_AT = 10;
