/**
 * The timeline of a request, for the HTML report: every attempt with its content blocks (bytes,
 * and times when the source is a trace), how it ended, what was held back, and the seams. The
 * incident note is the verdict; the timeline is the evidence drawn out. Both come from the
 * same pass over the capture or trace (see capture.ts and trace.ts).
 */
import type { EndKind, OpenBlockFacts, StreamFacts } from './incident.js';
import type { BlockSpan } from './tally.js';
import type { TraceSeam } from './trace-read.js';

export type { BlockSpan } from './tally.js';

export interface AttemptTimeline {
  attempt: number;
  /** `first`, or how lifeline planned it (`continue`, `prefill`, `restart`...). */
  strategy: string;
  /** HTTP status of its response, when one came (traces). */
  status: number | undefined;
  /** ms since the request started: when it was sent and when it ended (traces). */
  startT: number | undefined;
  endT: number | undefined;
  /** Bytes and events received. */
  bytes: number;
  events: number;
  blocks: BlockSpan[];
  end: EndKind;
  /** The failure kind and message (traces: as recorded; captures: as inferred). */
  failure: { kind: string; message: string | undefined } | undefined;
  /** The block open when it ended, and the event it ended inside. */
  open: OpenBlockFacts | undefined;
  tail: StreamFacts['tail'];
}

/** One join of a continuation's text to delivered text: a trace's seam record. */
export type SeamFacts = TraceSeam;

export interface Timeline {
  /** Whether the attempts carry times (a trace) or only bytes (a capture). */
  hasTimes: boolean;
  /** Whether block content was kept (`--content`, and the source had it). */
  hasContent: boolean;
  attempts: AttemptTimeline[];
  seams: SeamFacts[];
  /** The request's total time (traces with a report). */
  totalMs: number | undefined;
}
