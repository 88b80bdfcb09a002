/**
 * The engine's contract with its adapters: what `send` receives and returns, the options, the
 * trace hook, and the result.
 */
import type {
  MessageRequestBody,
  ModelTable,
  RecoveryReport,
  RetryPolicy,
  SplicerOptions,
} from '../resume/index.js';

/** One attempt's request, as the engine hands it to `send`. */
export interface SendRequest {
  body: MessageRequestBody;
  /** 1-based attempt number. */
  attempt: number;
  /** Aborted on stall, on client abort, and when the engine is done with the attempt. */
  signal: AbortSignal;
}

/** What `send` returns: the upstream response, body not yet read. */
export interface UpstreamResponse {
  status: number;
  headers: Headers;
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null;
}

export type Send = (request: SendRequest) => Promise<UpstreamResponse>;

export interface EngineOptions extends SplicerOptions {
  policy?: Partial<RetryPolicy>;
  /** No byte for this long is a stall (default 90 s). */
  stallTimeoutMs?: number;
  models?: ModelTable;
  /** The user message of a continuation turn. */
  instruction?: string;
  /**
   * Characters of the partial text's end quoted in the continuation turn's instruction, so the
   * model knows exactly where it stopped (default 100; 0 quotes nothing).
   */
  instructionTail?: number;
  /** While recovering, send an SSE comment downstream this often (default 5 s; 0 disables). */
  keepAliveMs?: number;
  /** Called once per request with the report (also for clean requests). */
  onReport?: (report: RecoveryReport) => void;
  /** The caller's abort signal: respected at every await. */
  signal?: AbortSignal | undefined;
  /** Largest SSE event accepted from upstream, bytes (default 64 MiB). */
  maxEventSize?: number;
  /** Records the request's attempts, events and failures (see src/engine/trace.ts). */
  trace?: TraceSink | undefined;
}

/**
 * Receives what happens to one request, as it happens (trace recording, diagnostics). Every
 * call is synchronous and must not throw; `data` is the parsed event, to be redacted or
 * summarised by the sink (it may hold user content).
 */
export interface TraceSink {
  attempt(info: {
    attempt: number;
    strategy: string;
    t: number;
    status?: number | undefined;
  }): void;
  event(info: {
    attempt: number;
    t: number;
    type: string;
    bytes: number;
    data: Record<string, unknown>;
  }): void;
  failure(info: { attempt: number; t: number; kind: string; message: string }): void;
  /**
   * An attempt ended inside an event: `bytes` are the event's bytes that arrived (the SSE
   * framer's incomplete frame). Called before that attempt's `failure`. Optional.
   */
  cut?(info: { attempt: number; t: number; bytes: Uint8Array }): void;
  end(report: RecoveryReport): void;
}

export type EngineResult =
  /** Not a stream we can protect (non-retryable status, non-SSE body): pass it through as is. */
  | { kind: 'passthrough'; response: UpstreamResponse; report: RecoveryReport }
  /** The spliced stream. `report` settles when the body has been read to its end. */
  | {
      kind: 'stream';
      status: number;
      headers: Headers;
      body: AsyncIterable<Uint8Array>;
      report: Promise<RecoveryReport>;
    };
