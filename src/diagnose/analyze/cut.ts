/**
 * The event a stream died inside, as an incident fact: what its visible bytes name (see
 * `describeCutEvent` in src/protocol), completed by what the open block says when the bytes
 * stop before the delta type (the API streams one block at a time, and a block's deltas are
 * all of one kind), and the phrase the note and the HTML report use for it.
 */
import { type CutEvent, DELTA_PAYLOAD_FIELDS } from '../../protocol/index.js';
import type { CutFacts, OpenBlockFacts } from './incident.js';

function isToolInputBlock(type: string): boolean {
  return type.endsWith('tool_use');
}

/** The cut event's facts, with the delta type inferred from the open block when not visible. */
export function cutFacts(cut: CutEvent, open: OpenBlockFacts | undefined): CutFacts {
  const facts: CutFacts = {
    ...cut,
    deltaTypeFrom: cut.deltaType === undefined ? undefined : 'event',
  };
  const sameBlock = open !== undefined && (cut.index === undefined || cut.index === open.index);
  if (cut.event === 'content_block_delta' && cut.deltaType === undefined && sameBlock) {
    const inferred =
      open.deltaType ?? (isToolInputBlock(open.blockType) ? 'input_json_delta' : undefined);
    if (inferred !== undefined) {
      facts.deltaType = inferred;
      facts.deltaTypeFrom = 'block';
    }
  }
  return facts;
}

/**
 * "block 38's input_json_delta cut 20 bytes into its partial_json", or as close to it as the
 * visible bytes allow. `open` supplies the block index when the bytes stop before it.
 */
export function cutPhrase(cut: CutFacts, open: OpenBlockFacts | undefined): string {
  const index = cut.index ?? (cut.event === 'content_block_delta' ? open?.index : undefined);
  const block = index === undefined ? 'a block' : `block ${index}`;
  if (cut.event === 'content_block_delta') {
    if (cut.deltaType !== undefined && cut.deltaTypeFrom === 'event') {
      const field = cut.payloadField ?? DELTA_PAYLOAD_FIELDS[cut.deltaType] ?? 'payload';
      if (cut.payloadField !== undefined && cut.payloadBytes !== undefined) {
        return cut.payloadComplete === true
          ? `${block}'s ${cut.deltaType} cut after its whole ${field} (${cut.payloadBytes} bytes), before the event's end`
          : `${block}'s ${cut.deltaType} cut ${cut.payloadBytes} bytes into its ${field}`;
      }
      return `${block}'s ${cut.deltaType} cut ${cut.bytes} bytes into the event, before its ${field}`;
    }
    if (cut.deltaType !== undefined) {
      const why =
        open?.deltaType !== undefined ? 'as its earlier deltas' : `for a ${open?.blockType} block`;
      return `${block}'s next delta (${cut.deltaType}, ${why}) cut ${cut.bytes} bytes into the event, before its delta type`;
    }
    return `${block}'s next delta cut ${cut.bytes} bytes into the event, before its delta type`;
  }
  if (cut.event === undefined) return `an event cut ${cut.bytes} bytes in, before its type`;
  const of =
    cut.index === undefined
      ? ''
      : ` of block ${cut.index}${cut.blockType !== undefined ? ` (${cut.blockType})` : ''}`;
  return `a ${cut.event}${of} cut ${cut.bytes} bytes into the event`;
}
