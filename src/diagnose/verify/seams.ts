/**
 * The seam audit of one verify run: where each seam is in the final message, the text on each
 * side of it, and the suspicion flags of src/diagnose/verify/seam-audit.ts.
 *
 * Seams come from the recovery report (`report.seams`: block, offset, rule, characters
 * trimmed, confidence). When the report has none for a resume after a cut inside a text block
 * (a prefill resume, or an engine that does not report seams), the seam is placed where
 * lifeline cut: after the block's text delivered before the cut, trailing whitespace aside
 * (the engine holds it back until it knows what follows). Such a seam says `source: 'cut'`.
 */
import type { SeamRecord } from '../../resume/index.js';
import type { CutInfo } from './cut.js';
import {
  DETECT_WINDOW,
  detectLostSpace,
  fenceParity,
  headChars,
  type SeamFlag,
  SHOW_WINDOW,
  seamFlags,
  tailChars,
} from './seam-audit.js';

export interface SeamAudit {
  /** The attempt whose text was joined (2 for the first resume). */
  attempt: number;
  blockIndex: number;
  /** Characters of the block before the seam (0: the seam opens a new block after another). */
  offset: number;
  /** `report`: from the recovery report; `cut`: the report has none, placed at the cut. */
  source: 'report' | 'cut';
  rule?: SeamRecord['rule'] | undefined;
  trimmed?: number | undefined;
  confidence?: SeamRecord['confidence'] | undefined;
  removed?: SeamRecord['removed'] | undefined;
  whitespace?: SeamRecord['whitespace'] | undefined;
  /** Up to SHOW_WINDOW characters of the final text before and after the seam. */
  before: string;
  after: string;
  flags: SeamFlag[];
  /** When the seam could not be placed in the final text, why. */
  note?: string | undefined;
}

/** The part of a content block the audit reads. */
export interface AuditBlock {
  type: string;
  text?: unknown;
}

export interface SeamAuditInput {
  /** The final message's content blocks. */
  content: readonly AuditBlock[];
  stopReason: string | null;
  seams: readonly SeamRecord[];
  /** Attempts the run took. */
  attempts: number;
  cut: CutInfo | undefined;
  /**
   * The uncut text (text blocks joined by newlines) when known: the scenario's, or the whole
   * first attempt's for a random cut. The fence-parity check compares with it.
   */
  reference: string | undefined;
  /** The first text of the attempt after the cut, as the model wrote it (before the seam). */
  continuationText?: string | undefined;
}

function textOf(block: AuditBlock | undefined): string | undefined {
  return block?.type === 'text' && typeof block.text === 'string' ? block.text : undefined;
}

/** The seam for a cut the report has no seam for, or undefined when there is none to place. */
function cutSeam(input: SeamAuditInput): SeamRecord | undefined {
  const { cut } = input;
  if (cut?.cut !== true || cut.where !== 'text' || cut.blockIndex === undefined) return undefined;
  if (input.attempts < 2 || input.seams.length > 0) return undefined;
  return {
    attempt: cut.attempt + 1,
    blockIndex: cut.blockIndex,
    offset: (cut.partialText ?? '').trimEnd().length,
    trimmed: 0,
    rule: 'append',
    removed: [],
    whitespace: 'none',
    confidence: 'low',
  };
}

export function auditSeams(input: SeamAuditInput): SeamAudit[] {
  const fromCut = cutSeam(input);
  const seams = fromCut === undefined ? input.seams : [fromCut];
  const allText = input.content
    .map(textOf)
    .filter((t): t is string => t !== undefined)
    .join('\n');
  const parity = fenceParity(allText, input.reference, input.stopReason === 'max_tokens');
  return seams.map((seam) => {
    const base = {
      attempt: seam.attempt,
      blockIndex: seam.blockIndex,
      offset: seam.offset,
      source: fromCut === undefined ? ('report' as const) : ('cut' as const),
      ...(fromCut === undefined
        ? {
            rule: seam.rule,
            trimmed: seam.trimmed,
            confidence: seam.confidence,
            removed: seam.removed,
            whitespace: seam.whitespace,
          }
        : {}),
    };
    const text = textOf(input.content[seam.blockIndex]);
    if (text === undefined) {
      return {
        ...base,
        before: '',
        after: '',
        flags: [],
        note: `block ${seam.blockIndex} of the final message is not a text block`,
      };
    }
    let left: string;
    let right: string;
    let note: string | undefined;
    if (seam.offset > 0) {
      if (seam.offset > text.length) note = `the block has only ${text.length} chars`;
      left = text.slice(0, seam.offset);
      right = text.slice(seam.offset);
      if (right.trim() === '') {
        // Nothing but held whitespace joined into this block: the continuation's text opened a
        // later one, which is what the reader sees next.
        right +=
          input.content
            .slice(seam.blockIndex + 1)
            .map(textOf)
            .find((t) => t !== undefined) ?? '';
      }
    } else {
      // A new block after a closed one: the previous text block is the left side.
      left = '';
      for (let i = seam.blockIndex - 1; i >= 0; i--) {
        const previous = textOf(input.content[i]);
        if (previous !== undefined) {
          left = previous;
          break;
        }
      }
      right = text;
    }
    const flags = seamFlags(left, right.slice(0, DETECT_WINDOW));
    // The seam that joins the cut text: what was delivered before the cut is known.
    const cut = input.cut;
    if (cut?.cut === true && cut.partialText !== undefined && seam.attempt === cut.attempt + 1) {
      // The continuation's own text counts only when it was appended as written: a trimmed
      // restatement takes its leading whitespace with it.
      const asWritten = seam.trimmed === 0 && seam.removed.length === 0;
      const lost = detectLostSpace(left, right, {
        delivered: cut.partialText,
        continuation: asWritten ? input.continuationText : undefined,
      });
      if (lost !== undefined && !flags.some((f) => f.kind === 'space')) flags.push(lost);
    }
    if (parity !== undefined && !flags.some((f) => f.kind === 'fence')) flags.push(parity);
    return {
      ...base,
      before: tailChars(left, SHOW_WINDOW),
      after: headChars(right, SHOW_WINDOW),
      flags,
      ...(note !== undefined ? { note } : {}),
    };
  });
}
