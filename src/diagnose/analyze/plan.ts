/**
 * "What lifeline would do" for a captured stream: the engine's own decision, replayed.
 *
 * The capture's events go through a `Splicer`, exactly as they would through the engine, so
 * the hold-back rules decide what the client would already have (a partial tool input is
 * held, then discarded); then the planner picks the strategy for that partial message. The
 * original request is not in a capture: a minimal one with the capture's model stands in
 * (extended thinking on when the stream has thinking blocks), which is all the planner reads
 * to choose, apart from `container`, whose id it takes from the stream.
 */
import {
  type MessageRequestBody,
  ModelTable,
  planContinuation,
  Splicer,
} from '../../resume/index.js';
import type { LifelineWould } from './incident.js';

type Json = Record<string, unknown>;

/** Replays `events` (one attempt, in order) and plans the next attempt after it failed. */
export function planFromCapture(
  events: ReadonlyArray<{ type: string; data: Json; raw: Uint8Array }>,
  model: string | undefined,
): LifelineWould | undefined {
  if (model === undefined) return undefined;
  const splicer = new Splicer();
  const out: Uint8Array[] = [];
  let thinking = false;
  for (const event of events) {
    const block = event.data.content_block as Json | undefined;
    if (event.type === 'content_block_start' && block?.type === 'thinking') thinking = true;
    let result: string;
    try {
      result = splicer.push({ type: event.type, data: event.data, raw: event.raw }, out);
    } catch {
      // What the splicer rejects, the engine treats as a failure of the attempt right there.
      break;
    }
    out.length = 0;
    if (result !== 'continue') break;
  }
  if (splicer.ended) return undefined;
  const discarded = splicer.failAttempt(out);
  const original: MessageRequestBody = {
    model,
    max_tokens: 4096,
    stream: true,
    messages: [{ role: 'user', content: '(the original request)' }],
    ...(thinking ? { thinking: { type: 'enabled', budget_tokens: 1024 } } : {}),
  };
  // A fresh table: what this process learned about other requests must not colour the answer.
  const models = new ModelTable();
  const form = models.formFor(model, thinking);
  const view = splicer.view();
  const plan =
    splicer.unrecoverable !== undefined
      ? { strategy: 'fail' as const, reason: splicer.unrecoverable, skip: [], body: undefined }
      : !splicer.started
        ? {
            strategy: 'restart' as const,
            reason: 'nothing was emitted yet',
            skip: [],
            body: original,
          }
        : planContinuation({ original, view, models, budgetLeft: true });
  let sentBack = 0;
  const messages = plan.body?.messages ?? [];
  if (plan.strategy === 'prefill' || plan.strategy === 'continue') {
    const assistant = plan.strategy === 'prefill' ? messages.at(-1) : messages.at(-2);
    if (assistant !== undefined && Array.isArray(assistant.content)) {
      sentBack = assistant.content.length;
    }
  }
  return {
    strategy: plan.strategy,
    reason: plan.reason,
    blocksSentBack: sentBack,
    blocksRegenerated: plan.skip.length,
    discardedBytes: discarded.bytes,
    discardedBlocks: discarded.blocks,
    form,
    containerId: view.containerId,
  };
}
