/**
 * What `lifeline analyze` finds out about one request, as data: the shape of `--json` and
 * the input of the text note. A capture and a trace both end up here, so the note reads the
 * same whichever was recorded; fields a source cannot know (timings in a capture, tool names
 * in a trace without content) are left out rather than guessed.
 */

import type { CutEvent } from '../../protocol/index.js';

export const ANALYZE_SCHEMA = 'lifeline.analyze/1';

/** Who has to act on a failure: the categories of `lifeline explain` (docs/diagnostics.md, "explain"). */
export type IncidentCategory =
  | 'account/auth'
  | 'quota/rate'
  | 'model/provider'
  | 'local runtime'
  | 'network/transport'
  | 'deployment config';

/** A complete tool input seen before the failure. */
export interface ToolInputFacts {
  index: number;
  blockType: string;
  /** The tool's name (`text_editor_code_execution`, ...), when the source has it. */
  toolName: string | undefined;
  /** UTF-8 bytes of the input as streamed (`input_json_delta` payloads). */
  bytes: number;
}

/** The block that was streaming when the attempt ended. */
export interface OpenBlockFacts {
  index: number;
  blockType: string;
  toolName: string | undefined;
  /** The last delta type received in it (`undefined`: it died before its first delta). */
  deltaType: string | undefined;
  /** UTF-8 bytes of its delta payloads received (its input so far, for a tool block). */
  receivedBytes: number;
  deltaCount: number;
}

/** One attempt's stream, as far as it got. */
export interface StreamFacts {
  attempt: number;
  /** SSE events received (pings included) and their bytes. */
  events: number;
  bytes: number;
  messageStart: boolean;
  messageDelta: boolean;
  messageStop: boolean;
  stopReason: string | undefined;
  /** Content blocks that reached `content_block_stop`. */
  completedBlocks: number;
  /** Completed blocks by type, e.g. `{text: 13, server_tool_use: 13, ...}`. */
  blockTypes: Record<string, number>;
  open: OpenBlockFacts | undefined;
  /** Complete tool inputs, in stream order. */
  toolInputs: ToolInputFacts[];
  lastEvent: string | undefined;
  /** An SSE `error` event, when one arrived. */
  errorEvent: { type: string; message: string | undefined } | undefined;
  /**
   * Bytes after the last complete event (an event cut off before its blank line), and that
   * event's type when its `event:` line made it. `undefined` when unknown (trace without a
   * report); `bytes: 0` when the body ended on an event boundary. `cut`: what the cut event's
   * visible bytes name (a capture, or a trace with a `cut` record).
   */
  tail: { bytes: number; event: string | undefined; cut?: CutFacts | undefined } | undefined;
}

/** The event the stream died inside (see cut.ts). */
export interface CutFacts extends CutEvent {
  /**
   * Where `deltaType` comes from: the cut event's own bytes (`event`), or the open block's
   * earlier deltas or type when the bytes stop before the delta type (`block`).
   */
  deltaTypeFrom: 'event' | 'block' | undefined;
}

/**
 * How the attempt ended:
 * - `complete`: `message_stop` arrived;
 * - `mid-event`: the connection closed while an event was being written (active transfer);
 * - `between-events`: the body ended after a complete event without `message_stop`;
 * - `stall`: no byte for the stall timeout; `idle-close`: closed after a long silence;
 * - `error-event`: the upstream sent an SSE `error` event;
 * - `http-status`, `connect`: it failed before a stream started;
 * - `protocol`: the body was not a usable event stream.
 */
export type EndKind =
  | 'complete'
  | 'mid-event'
  | 'between-events'
  | 'stall'
  | 'idle-close'
  | 'error-event'
  | 'http-status'
  | 'connect'
  | 'protocol';

export interface FailureFacts {
  attempt: number;
  end: EndKind;
  /** The engine's failure kind (`socket`, `eof`, `stall`, ...), recorded or inferred. */
  kind: string;
  category: IncidentCategory;
  /** Whether lifeline resumes this kind of failure. */
  recoverable: boolean;
  /** One sentence: who closed the connection, or what stopped the stream. */
  closedBy: string;
  /**
   * The connection was closed while bytes were flowing (mid-event, or within
   * ACTIVE_TRANSFER_MS of the last event), not after a silence; `undefined` when the source
   * cannot tell or the failure was not a close.
   */
  duringActiveTransfer: boolean | undefined;
  /** ms between the attempt's last event and the failure (traces only). */
  silenceMs: number | undefined;
  /** The failure message the engine recorded (traces only). */
  message: string | undefined;
}

/** What lifeline did with the request (from a trace's report). */
export interface LifelineDid {
  outcome: string;
  attempts: number;
  strategies: string[];
  failures: string[];
  discardedBytes: number;
  discardedBlocks: number;
  addedLatencyMs: number;
  extraInputTokens: number;
  extraOutputTokens: number;
  containerId: string | undefined;
  totalMs: number | undefined;
}

/** What lifeline would do with this partial message (planned from a capture). */
export interface LifelineWould {
  strategy: string;
  reason: string;
  /** Blocks sent back to the model as the partial assistant turn. */
  blocksSentBack: number;
  /** Blocks left out of the next request and regenerated (unpaired tool uses and after). */
  blocksRegenerated: number;
  /** Received but never shown to the client (held back), then regenerated. */
  discardedBytes: number;
  discardedBlocks: number;
  /** The continuation form the model accepts. */
  form: 'prefill' | 'continue' | undefined;
  containerId: string | undefined;
}

export interface Incident {
  source: 'capture' | 'trace';
  model: string | undefined;
  messageId: string | undefined;
  containerId: string | undefined;
  betas: string[];
  /**
   * `complete`: nothing failed; `interrupted`: a capture that failed (lifeline was not in the
   * path); `recovered`, `failed`, `passthrough`: a trace's outcome; `unfinished`: a trace
   * without its report.
   */
  outcome: 'complete' | 'interrupted' | 'recovered' | 'failed' | 'passthrough' | 'unfinished';
  /** The first attempt's stream (the one that carried the incident). */
  stream: StreamFacts | undefined;
  /** The first failure; `undefined` when nothing failed. */
  failure: FailureFacts | undefined;
  /** The largest complete tool input before the failure (the "previous tool input"). */
  largestToolInput: ToolInputFacts | undefined;
  /** Every attempt after the first (traces), with how each ended. */
  laterAttempts: Array<{ attempt: number; strategy: string; stream: StreamFacts; end: EndKind }>;
  did: LifelineDid | undefined;
  would: LifelineWould | undefined;
  /** Things the reader should know about the evidence (missing report, no content...). */
  notes: string[];
}

export interface AnalyzeResult {
  schema: typeof ANALYZE_SCHEMA;
  file: string | undefined;
  kind: 'capture' | 'trace';
  /** Bytes of the file. */
  bytes: number;
  /** The note's opening paragraph: the incident in one sentence. */
  summary: string;
  incident: Incident;
}

/** The category and recoverability of an engine failure kind. */
export function categorize(
  kind: string,
  detail: { status?: number | undefined; errorType?: string | undefined } = {},
): { category: IncidentCategory; recoverable: boolean } {
  switch (kind) {
    case 'socket':
    case 'eof':
    case 'stall':
    case 'connect':
      return { category: 'network/transport', recoverable: true };
    case 'error-event': {
      const t = detail.errorType;
      if (t === 'rate_limit_error') return { category: 'quota/rate', recoverable: true };
      const retryable = t === undefined || t === 'overloaded_error' || t === 'api_error';
      return { category: 'model/provider', recoverable: retryable };
    }
    case 'http-status': {
      const s = detail.status;
      if (s === 401 || s === 403) return { category: 'account/auth', recoverable: false };
      if (s === 429) return { category: 'quota/rate', recoverable: true };
      if (s !== undefined && s >= 500) return { category: 'model/provider', recoverable: true };
      return { category: 'deployment config', recoverable: false };
    }
    case 'protocol':
      // A cut or corrupted event mid-stream: the engine drops the attempt and resumes.
      return { category: 'network/transport', recoverable: true };
    default:
      return { category: 'network/transport', recoverable: false };
  }
}
