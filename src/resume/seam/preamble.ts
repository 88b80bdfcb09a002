/**
 * Preambles a model may write despite the instruction ("Continuing from where I left off:").
 * One is removed only when it is unmistakable: it names continuing AND the interruption (left
 * off, stopped, interrupted, cut off), or it is a bare "(continued)" tag, and it ends its own
 * line or ends with a colon. "Continuing the loop, we..." is text, not a preamble.
 */

const PREAMBLES: Array<{ name: string; pattern: RegExp }> = [
  {
    name: 'continuing from where I left off',
    pattern:
      /^\s*(?:(?:sure|okay|ok|certainly|of course|alright|got it)[,!.]?\s+)?(?:(?:i(?:'|’)ll|i will|let me|i(?:'|’)m|i am)\s+)?(?:continu(?:e|ing)|resum(?:e|ing)|pick(?:ing)? up|carry(?:ing)? on)\b[^\n]{0,80}?\b(?:left off|stopped|interrupt(?:ed|ion)|cut off|broke off|was cut|got cut)\b[^\n]{0,40}?(?:[:.…]+[ \t]*(?:\r?\n)+|:[ \t]+|[ \t]*(?:\r?\n)+)/iu,
  },
  {
    name: '(continued)',
    pattern: /^\s*[([]?(?:continued|continuing|cont\.)[)\]]?[:.…]*[ \t]*(?:\r?\n)+/iu,
  },
  {
    name: 'here is the rest',
    pattern:
      /^\s*here(?:'s| is) the (?:rest|remainder|continuation)\b[^\n]{0,60}?(?:[:.…]+[ \t]*(?:\r?\n)+|:[ \t]+)/iu,
  },
];

/** Words a preamble opens with ("Sure, I'll continue"): a first, a second, or both. */
const FIRST_OPENERS = ['sure', 'okay', 'ok', 'certainly', 'of course', 'alright', 'got it'];
const SECOND_OPENERS = ["i'll", 'i’ll', 'i will', 'let me', "i'm", 'i’m', 'i am'];
const OPENERS = [...FIRST_OPENERS, ...SECOND_OPENERS];
const OPENER =
  /^(?:(?:sure|okay|ok|certainly|of course|alright|got it)[,!.]?\s*)?(?:(?:i'll|i’ll|i will|let me|i'm|i’m|i am)\s*)?/u;
/** The verbs that must follow the openers. */
const VERBS = [
  'continu',
  'resum',
  'pick',
  'carry',
  '(continu',
  '[continu',
  '(cont',
  'cont.',
  "here's the",
  'here is the',
];

/** Longest line a preamble may take before the seam stops waiting for its end. */
const MAX_PREAMBLE = 200;

export type Preamble = { kind: 'wait' } | { kind: 'none' } | { kind: 'preamble'; length: number };

export function findPreamble(text: string, final: boolean): Preamble {
  // A preamble is one line: only the continuation's head matters (it may be 100 KB long).
  const continuation = text.slice(0, MAX_PREAMBLE + 2);
  for (const { pattern } of PREAMBLES) {
    const m = pattern.exec(continuation);
    if (m !== null) return { kind: 'preamble', length: m[0].length };
  }
  if (final || text.length >= MAX_PREAMBLE) return { kind: 'none' };
  const head = continuation.trimStart().toLowerCase();
  if (head === '') return { kind: 'wait' };
  const after = head.slice(OPENER.exec(head)?.[0].length ?? 0);
  // The head may still grow into a preamble: an opener being written ("Certainly. I w" is the
  // second opener, "I will", cut), or the verb after the openers.
  const undecided =
    OPENERS.some((o) => o.startsWith(head)) ||
    SECOND_OPENERS.some((o) => o.startsWith(after)) ||
    VERBS.some((v) => v.startsWith(after) || after.startsWith(v));
  if (!undecided) return { kind: 'none' };
  // Once the line has ended (or a colon and more text came) and no pattern matched, it is text.
  // The head, not the continuation: a preamble may come after a blank line ("\n\nContinuing").
  return /[\n]|:\s+\S/u.test(head) ? { kind: 'none' } : { kind: 'wait' };
}
