/**
 * Blocks a continuation regenerates: blocks already sent downstream that could not be sent back
 * to the API (client tool uses, unpaired server tool uses) come again at the start of the
 * continuation, and must be recognised to be dropped rather than sent twice.
 */
import { MessageAccumulator } from '../message/index.js';
import type { ContentBlock, StreamEvent } from '../protocol/index.js';

type Json = Record<string, unknown>;

/** A held block's events, as the splicer keeps them. */
export interface HeldEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Whether a regenerated block repeats one already sent (same kind, name and input; ids differ). */
export function sameBlock(a: ContentBlock, b: ContentBlock): boolean {
  const x = a as unknown as Json;
  const y = b as unknown as Json;
  if (x.type !== y.type) return false;
  // Only `x` decides the comparison: when one block has an input and the other has none, both
  // comparisons tell them apart (the blocks are parsed JSON: an input is never `undefined`).
  if ('input' in x) {
    return x.name === y.name && JSON.stringify(x.input) === JSON.stringify(y.input);
  }
  const { id: _a, tool_use_id: _b, ...restX } = x;
  const { id: _c, tool_use_id: _d, ...restY } = y;
  return JSON.stringify(restX) === JSON.stringify(restY);
}

/**
 * Assembles a held block's events into the block (tool input parsed). No `message_start` is
 * needed: the accumulator applies block events before one (and only notes the anomaly).
 */
export function assemble(events: readonly HeldEvent[]): ContentBlock | undefined {
  const acc = new MessageAccumulator();
  for (const ev of events) acc.push({ ...ev.data, type: ev.type } as StreamEvent);
  return acc.snapshot().blocks[0];
}
