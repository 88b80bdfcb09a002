/**
 * `lifeline analyze`: turns a raw captured SSE body or a lifeline trace into an incident
 * note: how many blocks streamed, where the stream died (block, type, delta, bytes into it),
 * the size of earlier tool inputs, who closed the connection, and what lifeline did (trace)
 * or would do (capture).
 *
 * The input is recognised by its content, not its name: a trace is JSONL whose first line is
 * `{"type":"request","schema":"lifeline.trace/1",...}`; a capture has `event:`/`data:` lines
 * (and may start with the response head, as `curl -i` saves it).
 */
import { readFileSync, statSync } from 'node:fs';
import { LifelineError } from '../../errors.js';
import { analyzeCaptureTimeline } from './capture.js';
import { summaryLine } from './format.js';
import { ANALYZE_SCHEMA, type AnalyzeResult, type Incident } from './incident.js';
import type { Timeline } from './timeline.js';
import { analyzeTraceTimeline } from './trace.js';
import { isTraceHeaderLine, readTrace, TraceReadError } from './trace-read.js';

export { formatAnalysis } from './format.js';
export { type HtmlReportOptions, renderHtmlReport } from './html.js';
export {
  ANALYZE_SCHEMA,
  type AnalyzeResult,
  type CutFacts,
  type EndKind,
  type FailureFacts,
  type Incident,
  type IncidentCategory,
  type LifelineDid,
  type LifelineWould,
  type OpenBlockFacts,
  type StreamFacts,
  type ToolInputFacts,
} from './incident.js';
export { CONTENT_KEPT_CHARS } from './tally.js';
export type { AttemptTimeline, BlockSpan, SeamFacts, Timeline } from './timeline.js';
export { ACTIVE_TRANSFER_MS } from './trace.js';
export { readTrace, type Trace, TraceReadError, type TraceReadErrorType } from './trace-read.js';

export type AnalyzeInputErrorType =
  | 'missing-file'
  | 'unreadable'
  | 'empty'
  | 'unrecognised'
  | 'bad-trace';

/** Input `analyze` cannot work with. The message is one line, meant to be shown as is. */
export class AnalyzeInputError extends LifelineError {
  readonly type: AnalyzeInputErrorType;
  constructor(type: AnalyzeInputErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AnalyzeInputError';
    this.type = type;
  }
}

/** How far into a file detection looks for `event:`/`data:` lines. */
const DETECT_BYTES = 64 * 1024;
const SSE_FIELD_LINE = /^(?:event|data):/m;

/** What kind of input `bytes` holds, or a sentence saying why it is neither. */
export function detectInput(bytes: Uint8Array): 'capture' | 'trace' | { reason: string } {
  let head = new TextDecoder().decode(bytes.subarray(0, DETECT_BYTES));
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1);
  const firstLine = head.trimStart().split('\n', 1)[0]?.replace(/\r$/, '') ?? '';
  if (firstLine.startsWith('{')) {
    if (isTraceHeaderLine(firstLine)) return 'trace';
    const apiError = /"type"\s*:\s*"error"[\s\S]*?"type"\s*:\s*"([a-z_]+)"/.exec(head);
    if (apiError !== null) {
      return {
        reason:
          `it is a JSON error response (${apiError[1]}), not a stream: the request failed ` +
          'before streaming; run `lifeline explain` on its text',
      };
    }
    if (!SSE_FIELD_LINE.test(head)) {
      return {
        reason:
          'it is JSON but not a lifeline trace (the first line of a trace is ' +
          '{"type":"request","schema":"lifeline.trace/1",...})',
      };
    }
  }
  if (SSE_FIELD_LINE.test(head)) return 'capture';
  return {
    reason:
      'it is neither a raw SSE capture (lines starting "event:" or "data:", as saved by ' +
      '`curl -sN ... > capture.sse`) nor a lifeline trace (JSONL starting with a ' +
      '{"type":"request","schema":"lifeline.trace/1"} line)',
  };
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return false;
  return true;
}

/** Analyzes the bytes of a capture or a trace. `file` only names it in the result. */
export function analyzeBytes(bytes: Uint8Array, file?: string): AnalyzeResult {
  return analyzeWithTimeline(bytes, file).result;
}

/** What the HTML report needs: the analysis and the timeline it draws. */
export interface AnalyzedIncident {
  result: AnalyzeResult;
  timeline: Timeline;
}

/**
 * `analyzeBytes`, plus the timeline of every attempt. Block content is kept (the first
 * CONTENT_KEPT_CHARS per block) only with `keepContent` and a source that has it.
 */
export function analyzeWithTimeline(
  bytes: Uint8Array,
  file?: string,
  options: { keepContent?: boolean } = {},
): AnalyzedIncident {
  const name = file ?? 'the input';
  if (isBlank(bytes)) {
    throw new AnalyzeInputError(
      'empty',
      `${name} is empty: nothing was captured (save the body with \`curl -sN ... > capture.sse\`, or point analyze at a trace file)`,
    );
  }
  const kind = detectInput(bytes);
  if (typeof kind !== 'string') {
    throw new AnalyzeInputError('unrecognised', `${name} cannot be analyzed: ${kind.reason}`);
  }
  if (kind === 'capture') {
    const { incident, timeline } = analyzeCaptureTimeline(bytes, options);
    return { result: result(file, kind, bytes.length, incident), timeline };
  }
  let trace: ReturnType<typeof readTrace>;
  try {
    trace = readTrace(new TextDecoder().decode(bytes));
  } catch (err) {
    if (err instanceof TraceReadError) {
      throw new AnalyzeInputError('bad-trace', `${name}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const { incident, timeline } = analyzeTraceTimeline(trace, options);
  return { result: result(file, kind, bytes.length, incident), timeline };
}

function result(
  file: string | undefined,
  kind: AnalyzeResult['kind'],
  bytes: number,
  incident: Incident,
): AnalyzeResult {
  return { schema: ANALYZE_SCHEMA, file, kind, bytes, summary: summaryLine(incident), incident };
}

/** Reads and analyzes a file. Throws `AnalyzeInputError` for a file it cannot use. */
export function analyzeFile(path: string): AnalyzeResult {
  return analyzeBytes(readInput(path), path);
}

/** `analyzeFile`, plus the timeline (see `analyzeWithTimeline`). */
export function analyzeFileWithTimeline(
  path: string,
  options: { keepContent?: boolean } = {},
): AnalyzedIncident {
  return analyzeWithTimeline(readInput(path), path, options);
}

function readInput(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) {
      throw new AnalyzeInputError(
        'unreadable',
        `${path} is a directory; give one capture or trace file`,
      );
    }
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof AnalyzeInputError) throw err;
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') {
      throw new AnalyzeInputError('missing-file', `no such file: ${path}`, { cause: err });
    }
    throw new AnalyzeInputError(
      'unreadable',
      `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return bytes;
}
