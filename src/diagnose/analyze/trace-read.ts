/**
 * Reading a `lifeline.trace/1` file (the JSONL the engine's trace writer records, format in
 * src/engine/trace.ts) back into typed records for `lifeline analyze`.
 *
 * The reader is strict about what it needs and lenient about the rest: a line must be a JSON
 * object, the first one the `request` line; line types and fields it does not know are
 * skipped, so a newer writer's additions do not break an older reader. A line that is not
 * JSON is either the end of a file whose writer died mid-line (truncated) or corruption; both
 * are reported with the line number, because guessing past them would misstate the incident.
 */

import { LifelineError } from '../../errors.js';
import type { CutEvent } from '../../protocol/index.js';

/** The schema name of the first line; the `/1` is the major version this reader accepts. */
export const TRACE_SCHEMA_PREFIX = 'lifeline.trace/';
export const TRACE_SCHEMA_VERSION = 1;

export type TraceReadErrorType = 'not-a-trace' | 'truncated' | 'malformed-line' | 'unsupported';

/** A trace that cannot be read, with the 1-based line at fault. */
export class TraceReadError extends LifelineError {
  readonly type: TraceReadErrorType;
  readonly line: number;
  constructor(type: TraceReadErrorType, line: number, message: string) {
    super(message);
    this.name = 'TraceReadError';
    this.type = type;
    this.line = line;
  }
}

export interface TraceAttempt {
  attempt: number;
  strategy: string;
  /** ms since the request started, when the attempt got its response (or gave up). */
  t: number;
  /** Absent when no response came (connect error, stall before headers). */
  status: number | undefined;
}

export interface TraceEvent {
  attempt: number;
  t: number;
  event: string;
  /** Raw bytes of the event as received, SSE framing included. */
  bytes: number;
  index: number | undefined;
  blockType: string | undefined;
  deltaType: string | undefined;
  payloadBytes: number | undefined;
  stopReason: string | undefined;
  errorType: string | undefined;
  /** The tool's name on `content_block_start`, when the writer recorded it (or the content). */
  toolName: string | undefined;
  /** The payload or started block, when the trace was recorded with content. */
  content: string | undefined;
}

/** A trace's `cut` line: the event an attempt died inside, as `describeCutEvent` saw it. */
export interface TraceCut extends CutEvent {
  attempt: number;
  t: number;
}

export interface TraceFailure {
  attempt: number;
  t: number;
  kind: string;
  message: string;
}

/** A seam of the report (SeamRecord in src/resume). */
export interface TraceSeam {
  attempt: number;
  blockIndex: number;
  offset: number;
  trimmed: number;
  rule: string;
  removed: string[];
  whitespace: string;
  confidence: string;
  excerpt: { before: string; removed: string; after: string } | undefined;
}

/** The recovery report line, as far as analyze reads it (RecoveryReport in src/resume). */
export interface TraceReport {
  model: string | undefined;
  outcome: string | undefined;
  attempts: Array<{
    attempt: number;
    strategy: string;
    status: number | undefined;
    bytes: number | undefined;
    events: number | undefined;
    startedAtMs: number | undefined;
    durationMs: number | undefined;
  }>;
  seams: TraceSeam[];
  failures: string[];
  strategies: string[];
  discardedBytes: number;
  discardedBlocks: number;
  addedLatencyMs: number;
  extraInputTokens: number;
  extraOutputTokens: number;
  containerId: string | undefined;
  totalMs: number | undefined;
}

export interface Trace {
  /** The request line as written (headers already redacted by the writer). */
  request: {
    id: string | undefined;
    time: string | undefined;
    method: string | undefined;
    path: string | undefined;
    model: string | undefined;
    stream: boolean | undefined;
    betas: string[];
    upstream: string | undefined;
  };
  attempts: TraceAttempt[];
  events: TraceEvent[];
  failures: TraceFailure[];
  /** Events an attempt ended inside (writers before `cut` records existed leave it empty). */
  cuts: TraceCut[];
  /** Absent when the process ended before the request did. */
  report: TraceReport | undefined;
  /** Whether `content` was recorded (delta payloads and started blocks). */
  hasContent: boolean;
  lines: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Whether the first line of a text looks like a trace's request line (cheap, for detection). */
export function isTraceHeaderLine(line: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return false;
  }
  return (
    isObject(value) &&
    value.type === 'request' &&
    typeof value.schema === 'string' &&
    value.schema.startsWith(TRACE_SCHEMA_PREFIX)
  );
}

/** The tool name from a `content` field holding the started block's JSON, if any. */
function nameFromContent(content: unknown): string | undefined {
  if (typeof content !== 'string' || !content.startsWith('{')) return undefined;
  try {
    const block: unknown = JSON.parse(content);
    return isObject(block) ? str(block.name) : undefined;
  } catch {
    return undefined;
  }
}

function requiredNumber(line: Json, field: string, at: number, type: string): number {
  const value = num(line[field]);
  if (value === undefined) {
    throw new TraceReadError(
      'malformed-line',
      at,
      `line ${at}: a "${type}" line without a numeric "${field}"; the trace was edited or written by something else`,
    );
  }
  return value;
}

function readSeam(seam: Json): TraceSeam {
  const excerpt = isObject(seam.excerpt) ? seam.excerpt : undefined;
  return {
    attempt: num(seam.attempt) ?? 0,
    blockIndex: num(seam.blockIndex) ?? 0,
    offset: num(seam.offset) ?? 0,
    trimmed: num(seam.trimmed) ?? 0,
    rule: str(seam.rule) ?? 'unknown',
    removed: strings(seam.removed),
    whitespace: str(seam.whitespace) ?? 'none',
    confidence: str(seam.confidence) ?? 'unknown',
    excerpt:
      excerpt === undefined
        ? undefined
        : {
            before: str(excerpt.before) ?? '',
            removed: str(excerpt.removed) ?? '',
            after: str(excerpt.after) ?? '',
          },
  };
}

function readReport(line: Json): TraceReport {
  const attempts = Array.isArray(line.attempts) ? line.attempts.filter(isObject) : [];
  return {
    model: str(line.model),
    outcome: str(line.outcome),
    attempts: attempts.map((a, i) => ({
      attempt: num(a.attempt) ?? i + 1,
      strategy: str(a.strategy) ?? 'unknown',
      status: num(a.status),
      bytes: num(a.bytes),
      events: num(a.events),
      startedAtMs: num(a.startedAtMs),
      durationMs: num(a.durationMs),
    })),
    seams: (Array.isArray(line.seams) ? line.seams.filter(isObject) : []).map(readSeam),
    failures: strings(line.failures),
    strategies: strings(line.strategies),
    discardedBytes: num(line.discardedBytes) ?? 0,
    discardedBlocks: num(line.discardedBlocks) ?? 0,
    addedLatencyMs: num(line.addedLatencyMs) ?? 0,
    extraInputTokens: num(line.extraInputTokens) ?? 0,
    extraOutputTokens: num(line.extraOutputTokens) ?? 0,
    containerId: str(line.containerId),
    totalMs: num(line.totalMs),
  };
}

/**
 * Parses the text of a trace file. Throws `TraceReadError` when it is not a trace, when a
 * line is not a JSON object (the last line: `truncated`), or when a record misses a field
 * analyze relies on.
 */
export function readTrace(text: string): Trace {
  const rawLines = text.split('\n');
  // A file that ends with its line end leaves one empty string after the last split.
  const endsWithNewline = rawLines[rawLines.length - 1] === '';
  if (endsWithNewline) rawLines.pop();
  const trace: Trace = {
    request: {
      id: undefined,
      time: undefined,
      method: undefined,
      path: undefined,
      model: undefined,
      stream: undefined,
      betas: [],
      upstream: undefined,
    },
    attempts: [],
    events: [],
    failures: [],
    cuts: [],
    report: undefined,
    hasContent: false,
    lines: rawLines.length,
  };
  for (let i = 0; i < rawLines.length; i++) {
    const at = i + 1;
    const raw = rawLines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      const last = i === rawLines.length - 1;
      if (last && !endsWithNewline) {
        throw new TraceReadError(
          'truncated',
          at,
          `the trace is truncated: its last line (${at}) stops mid-record, so the writer was ` +
            'interrupted (process killed, disk full). Analyze a complete trace, or delete the ' +
            'broken last line to read what was recorded before it.',
        );
      }
      throw new TraceReadError(
        'malformed-line',
        at,
        `line ${at} of the trace is not JSON; the file is corrupted or is not a lifeline trace`,
      );
    }
    if (!isObject(value) || typeof value.type !== 'string') {
      throw new TraceReadError(
        'malformed-line',
        at,
        `line ${at} of the trace is not a record (a JSON object with a "type")`,
      );
    }
    if (i === 0) {
      if (value.type !== 'request' || typeof value.schema !== 'string') {
        throw new TraceReadError(
          'not-a-trace',
          at,
          'the first line is JSON but not a lifeline trace header ({"type":"request","schema":"lifeline.trace/1",...})',
        );
      }
      const version = Number(value.schema.slice(TRACE_SCHEMA_PREFIX.length));
      if (!value.schema.startsWith(TRACE_SCHEMA_PREFIX) || version !== TRACE_SCHEMA_VERSION) {
        throw new TraceReadError(
          'unsupported',
          at,
          `the trace schema is "${value.schema}"; this lifeline reads ${TRACE_SCHEMA_PREFIX}${TRACE_SCHEMA_VERSION}. ` +
            'Use the lifeline version that wrote the trace.',
        );
      }
      trace.request = {
        id: str(value.id),
        time: str(value.time),
        method: str(value.method),
        path: str(value.path),
        model: str(value.model),
        stream: typeof value.stream === 'boolean' ? value.stream : undefined,
        betas: strings(value.betas),
        upstream: str(value.upstream),
      };
      continue;
    }
    switch (value.type) {
      case 'attempt':
        trace.attempts.push({
          attempt: requiredNumber(value, 'attempt', at, 'attempt'),
          strategy: str(value.strategy) ?? 'unknown',
          t: requiredNumber(value, 't', at, 'attempt'),
          status: num(value.status),
        });
        break;
      case 'event': {
        const event = str(value.event);
        if (event === undefined) {
          throw new TraceReadError(
            'malformed-line',
            at,
            `line ${at}: an "event" line without "event"`,
          );
        }
        if (value.content !== undefined) trace.hasContent = true;
        trace.events.push({
          attempt: requiredNumber(value, 'attempt', at, 'event'),
          t: requiredNumber(value, 't', at, 'event'),
          event,
          bytes: num(value.bytes) ?? 0,
          index: num(value.index),
          blockType: str(value.blockType),
          deltaType: str(value.deltaType),
          payloadBytes: num(value.payloadBytes),
          stopReason: str(value.stopReason),
          errorType: str(value.errorType),
          toolName: str(value.name) ?? str(value.toolName) ?? nameFromContent(value.content),
          content: str(value.content),
        });
        break;
      }
      case 'failure':
        trace.failures.push({
          attempt: requiredNumber(value, 'attempt', at, 'failure'),
          t: requiredNumber(value, 't', at, 'failure'),
          kind: str(value.kind) ?? 'unknown',
          message: str(value.message) ?? '',
        });
        break;
      case 'cut':
        trace.cuts.push({
          attempt: requiredNumber(value, 'attempt', at, 'cut'),
          t: requiredNumber(value, 't', at, 'cut'),
          bytes: num(value.bytes) ?? 0,
          event: str(value.event),
          index: num(value.index),
          blockType: str(value.blockType),
          deltaType: str(value.deltaType),
          payloadField: str(value.payloadField),
          payloadBytes: num(value.payloadBytes),
          payloadComplete:
            typeof value.payloadComplete === 'boolean' ? value.payloadComplete : undefined,
        });
        break;
      case 'report':
        trace.report = readReport(value);
        break;
      default:
        // A record type from a newer writer: not needed for the incident note.
        break;
    }
  }
  if (trace.lines === 0) {
    throw new TraceReadError('not-a-trace', 0, 'the trace is empty');
  }
  return trace;
}
