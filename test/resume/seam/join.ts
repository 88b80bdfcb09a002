/**
 * Test helper: joins a continuation to a partial text the way the splicer does. The partial
 * text is as the stream delivered it; its trailing whitespace is held back (never sent), the
 * rest is what the client has. `chunk` feeds the continuation in deltas of that many characters,
 * deciding as soon as the seam can (as the splicer does), then appends the rest as it arrives.
 */
import {
  decideSeam,
  type SeamDecision,
  type SeamMode,
  seamContext,
} from '../../../src/resume/index.js';

export function split(partial: string): { delivered: string; held: string } {
  const held = /\s*$/u.exec(partial)?.[0] ?? '';
  return { delivered: partial.slice(0, partial.length - held.length), held };
}

export function join(
  partial: string,
  continuation: string,
  options: { chunk?: number; mode?: SeamMode } = {},
): { text: string; decision: SeamDecision } {
  const { delivered, held } = split(partial);
  const ctx = seamContext(delivered, held, options.mode ?? 'continuation');
  const size = options.chunk ?? continuation.length;
  let buffer = '';
  let i = 0;
  while (i < continuation.length) {
    buffer += continuation.slice(i, i + Math.max(1, size));
    i += Math.max(1, size);
    const decision = decideSeam(ctx, buffer, false);
    if (decision !== undefined) {
      return { text: delivered + decision.text + continuation.slice(i), decision };
    }
  }
  const decision = decideSeam(ctx, buffer, true) as SeamDecision;
  return { text: delivered + decision.text, decision };
}
