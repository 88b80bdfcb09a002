/**
 * Trace recording: one JSONL file per request, written by a `TraceSink` as the engine runs.
 * `lifeline analyze` reads these files, so the format is small, stable and versioned.
 *
 * Format `lifeline.trace/1` (one JSON object per line, UTF-8, LF line ends):
 *
 *   line 1  {"type":"request","schema":"lifeline.trace/1","id","time" (ISO 8601),"method","path",
 *            "model","stream","betas":[...],"upstream":"<origin>","headers":{name: value}}
 *   then, in the order they happen (`t` = ms since the request started, `attempt` 1-based):
 *           {"type":"attempt","attempt","strategy","t","status"?}   an attempt got its response
 *                                                                   (no status: it never did)
 *           {"type":"event","attempt","t","event","bytes", ...}     one upstream SSE event
 *               bytes         raw bytes of the event as received (SSE framing included)
 *               index         content block index, on content_block_* events
 *               blockType     on content_block_start: the block's type
 *               name          on content_block_start of a tool block: the tool's name
 *               deltaType     on content_block_delta: the delta's type
 *               payloadBytes  on content_block_delta: UTF-8 bytes of the delta's text,
 *                             partial_json, thinking or signature
 *               stopReason    on message_delta
 *               errorType     on error events
 *               content       only when recorded with content: the delta's payload string,
 *                             or the started block (JSON) on content_block_start
 *           {"type":"cut","attempt","t","bytes", ...}               the attempt ended inside an
 *                                                                   event (before its failure line)
 *               bytes         bytes of the cut event that arrived
 *               event, index, blockType, deltaType   as far as its visible bytes name them
 *               payloadField  the payload string the bytes reached (partial_json, text, ...)
 *               payloadBytes  UTF-8 bytes of that payload received; payloadComplete: its
 *                             closing quote arrived
 *           {"type":"failure","attempt","t","kind","message"}       an attempt failed
 *           {"type":"report", ...RecoveryReport}                    last line
 *
 * Readers skip record types and fields they do not know, so a record added later (such as
 * `cut`) keeps the schema at /1: older readers ignore it, newer ones read traces without it.
 *
 * Credentials never reach the file: `x-api-key`, `authorization`, `proxy-authorization` and
 * `cookie` headers are written as "[redacted]", and message content is left out unless the
 * caller asks for it. Files are created with mode 0600 and never overwritten.
 *
 * Writes are batched (a sync write per ~64 KiB, and at every attempt, failure and the end) so
 * recording stays cheap on long streams yet a failure is on disk as soon as it happens.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describeCutEvent } from '../protocol/index.js';
import type { RecoveryReport } from '../resume/index.js';
import type { TraceSink } from './engine.js';

export const TRACE_SCHEMA = 'lifeline.trace/1';
export const REDACTED = '[redacted]';

/** Header names whose values are credentials. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'x-api-key',
  'authorization',
  'proxy-authorization',
  'cookie',
]);

const FLUSH_BYTES = 64 * 1024;

export interface TraceRequestInfo {
  /** Unique per request; also the file name's tail. Generated when absent. */
  id?: string;
  method: string;
  path: string;
  model: string | undefined;
  stream: boolean;
  betas: string[];
  /** The upstream origin the attempts went to. */
  upstream: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface TraceWriterOptions {
  /** Record delta payloads and started blocks (user content). Default false. */
  content?: boolean;
  /** Clock for the `time` field (tests). */
  now?: () => Date;
}

/** Header values as written to a trace or a log: credentials replaced, arrays joined. */
export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    out[lower] = CREDENTIAL_HEADERS.has(lower)
      ? REDACTED
      : Array.isArray(value)
        ? value.join(', ')
        : value;
  }
  return out;
}

/** The betas named in `anthropic-beta` (comma-separated, possibly repeated). */
export function betasOf(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text);
}

/** The string a delta carries, whatever its type. */
function deltaPayload(delta: Record<string, unknown>): string | undefined {
  for (const field of ['text', 'partial_json', 'thinking', 'signature'] as const) {
    const value = delta[field];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** A `TraceSink` writing `lifeline.trace/1` JSONL to one file. */
export class JsonlTraceWriter implements TraceSink {
  readonly path: string;
  readonly id: string;
  readonly #content: boolean;
  #fd: number | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;

  private constructor(path: string, id: string, fd: number, content: boolean) {
    this.path = path;
    this.id = id;
    this.#fd = fd;
    this.#content = content;
  }

  /**
   * Creates `<dir>/<time>-<id>.jsonl` (mode 0600; fails rather than overwrite) and writes the
   * request line. Creates `dir` (mode 0700) when missing. Throws when the file cannot be made.
   */
  static create(
    dir: string,
    request: TraceRequestInfo,
    options: TraceWriterOptions = {},
  ): JsonlTraceWriter {
    const time = (options.now ?? (() => new Date()))();
    const id = request.id ?? `req_${randomBytes(9).toString('base64url')}`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stamp = time.toISOString().replace(/[:.]/g, '-');
    const safeId = id.replace(/[^A-Za-z0-9_-]/g, '_');
    const path = join(dir, `${stamp}-${safeId}.jsonl`);
    const fd = openSync(path, 'wx', 0o600);
    const writer = new JsonlTraceWriter(path, id, fd, options.content === true);
    writer.#line({
      type: 'request',
      schema: TRACE_SCHEMA,
      id,
      time: time.toISOString(),
      method: request.method,
      path: request.path,
      model: request.model,
      stream: request.stream,
      betas: request.betas,
      upstream: request.upstream,
      headers: redactHeaders(request.headers),
    });
    writer.#flush();
    return writer;
  }

  #line(value: Record<string, unknown>): void {
    // Stryker disable next-line ConditionalExpression: memory only: a closed trace writes nothing either way; this keeps its lines from piling up
    if (this.#fd === undefined) return;
    const line = `${JSON.stringify(value)}\n`;
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pendingBytes >= FLUSH_BYTES) this.#flush();
  }

  #flush(): void {
    // Stryker disable next-line ConditionalExpression,LogicalOperator: speed only: an empty write, or a write to a closed trace (which throws and is caught)
    if (this.#fd === undefined || this.#pending.length === 0) return;
    const text = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      writeSync(this.#fd, text);
    } catch {
      // A full disk loses the trace, never the stream it records.
      this.close();
    }
  }

  attempt(info: { attempt: number; strategy: string; t: number; status?: number | undefined }) {
    this.#line({
      type: 'attempt',
      attempt: info.attempt,
      strategy: info.strategy,
      t: round(info.t),
      // No status (no response): JSON leaves the field out.
      status: info.status,
    });
    this.#flush();
  }

  event(info: {
    attempt: number;
    t: number;
    type: string;
    bytes: number;
    data: Record<string, unknown>;
  }): void {
    const line: Record<string, unknown> = {
      type: 'event',
      attempt: info.attempt,
      t: round(info.t),
      event: info.type,
      bytes: info.bytes,
    };
    const data = info.data;
    if (typeof data.index === 'number') line.index = data.index;
    switch (info.type) {
      case 'content_block_start': {
        const block = data.content_block as Record<string, unknown> | undefined;
        if (typeof block?.type === 'string') line.blockType = block.type;
        if (typeof block?.name === 'string') line.name = block.name;
        // Stryker disable next-line ConditionalExpression: JSON.stringify(undefined) is undefined, a field JSON leaves out
        if (this.#content && block !== undefined) line.content = JSON.stringify(block);
        break;
      }
      case 'content_block_delta': {
        const delta = (data.delta ?? {}) as Record<string, unknown>;
        if (typeof delta.type === 'string') line.deltaType = delta.type;
        const payload = deltaPayload(delta);
        if (payload !== undefined) {
          line.payloadBytes = utf8Length(payload);
          if (this.#content) line.content = payload;
        }
        break;
      }
      case 'message_delta': {
        const delta = (data.delta ?? {}) as Record<string, unknown>;
        if (typeof delta.stop_reason === 'string') line.stopReason = delta.stop_reason;
        break;
      }
      case 'error': {
        const error = (data.error ?? {}) as Record<string, unknown>;
        if (typeof error.type === 'string') line.errorType = error.type;
        break;
      }
    }
    this.#line(line);
  }

  failure(info: { attempt: number; t: number; kind: string; message: string }): void {
    this.#line({
      type: 'failure',
      attempt: info.attempt,
      t: round(info.t),
      kind: info.kind,
      message: info.message,
    });
    this.#flush();
  }

  cut(info: { attempt: number; t: number; bytes: Uint8Array }): void {
    const cut = describeCutEvent(info.bytes);
    if (cut === undefined) return;
    // Structure only (types, index, sizes): the visible payload is content and stays out of a
    // CutEvent. Its fields not found are undefined, which JSON leaves out.
    this.#line({ type: 'cut', attempt: info.attempt, t: round(info.t), ...cut });
  }

  end(report: RecoveryReport): void {
    this.#line({ type: 'report', ...report });
    this.close();
  }

  /** Flushes and closes the file (idempotent). Call it when a request ends without a report. */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    const text = this.#pending.join('');
    // Stryker disable next-line ArrayDeclaration: memory only: a closed trace takes no more lines
    this.#pending = [];
    this.#fd = undefined;
    try {
      writeSync(fd, text);
    } catch {
      // see #flush
    }
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
