/**
 * Analyzing a lifeline trace: the same incident facts as a capture, plus what a capture
 * cannot show: timings (did the stream go quiet before it failed, or was it cut while bytes
 * were flowing?) and what lifeline actually did (the report: attempts, strategies, cost).
 */
import { cutFacts } from './cut.js';
import type { EndKind, FailureFacts, Incident, LifelineDid, StreamFacts } from './incident.js';
import { categorize } from './incident.js';
import { largestToolInput, StreamTally } from './tally.js';
import type { AttemptTimeline, Timeline } from './timeline.js';
import type { Trace, TraceFailure } from './trace-read.js';

/**
 * Bytes within this long before a close mean the connection was cut during active transfer.
 * Deltas of a streaming block arrive every few ms; a second of silence is already a pause.
 */
export const ACTIVE_TRANSFER_MS = 1_000;

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

interface AttemptStreams {
  tally: StreamTally;
  lastEventT: number | undefined;
  errorType: string | undefined;
}

function failureFacts(
  failure: TraceFailure,
  stream: StreamFacts,
  startT: number | undefined,
  lastEventT: number | undefined,
  status: number | undefined,
  errorType: string | undefined,
): FailureFacts {
  const since = lastEventT ?? startT;
  const silenceMs = since === undefined ? undefined : Math.max(0, failure.t - since);
  const tailBytes = stream.tail?.bytes ?? 0;
  const cut =
    tailBytes > 0
      ? `${tailBytes} bytes into ${stream.tail?.event === undefined ? 'an event' : `a ${stream.tail.event} event`}`
      : undefined;
  const quiet =
    silenceMs === undefined
      ? ''
      : `; the last bytes arrived ${formatMs(silenceMs)} before the close`;
  let end: EndKind;
  let closedBy: string;
  switch (failure.kind) {
    case 'stall':
      end = 'stall';
      closedBy =
        `the stream stalled: no byte for ${silenceMs === undefined ? 'the stall timeout' : formatMs(silenceMs)}` +
        ' (the stall timeout), so lifeline gave up on the connection; the upstream or a proxy stopped sending without closing';
      break;
    case 'socket':
      if (silenceMs !== undefined && silenceMs >= ACTIVE_TRANSFER_MS && tailBytes === 0) {
        end = 'idle-close';
        closedBy =
          `closed by the server after ${formatMs(silenceMs)} without data: it stalled first, then ` +
          'the connection was closed (an idle timeout in a proxy or load balancer does this)';
      } else {
        end = tailBytes > 0 ? 'mid-event' : 'between-events';
        closedBy =
          'closed by the server during active byte transfer' +
          (cut !== undefined ? `: the connection went ${cut}, before its end` : '') +
          quiet +
          ' (the server here is the upstream or any proxy between it and the client)';
      }
      break;
    case 'eof':
      end = tailBytes > 0 ? 'mid-event' : 'between-events';
      closedBy =
        'the body ended cleanly but without message_stop' +
        (cut !== undefined ? `, ${cut}` : '') +
        ': the upstream or a proxy ended the response early (a truncating intermediary)';
      break;
    case 'error-event':
      end = 'error-event';
      closedBy = `the upstream ended the stream with an SSE error event (${errorType ?? 'unknown type'})`;
      break;
    case 'http-status':
      end = 'http-status';
      closedBy = `the upstream answered ${status ?? 'an error status'} before any event`;
      break;
    case 'connect':
      end = 'connect';
      closedBy = 'no connection could be made to the upstream';
      break;
    default:
      end = 'protocol';
      closedBy = 'the upstream sent something that is not a usable event stream';
  }
  const { category, recoverable } = categorize(failure.kind, { status, errorType });
  const closes = failure.kind === 'socket' || failure.kind === 'eof';
  return {
    attempt: failure.attempt,
    end,
    kind: failure.kind,
    category,
    recoverable,
    closedBy,
    duringActiveTransfer: closes ? end === 'mid-event' || end === 'between-events' : undefined,
    silenceMs,
    message: failure.message,
  };
}

export function analyzeTrace(trace: Trace): Incident {
  return analyzeTraceTimeline(trace).incident;
}

/** The incident, and the timeline the HTML report draws (block content only with `keepContent`). */
export function analyzeTraceTimeline(
  trace: Trace,
  options: { keepContent?: boolean } = {},
): { incident: Incident; timeline: Timeline } {
  const keepContent = options.keepContent === true && trace.hasContent;
  const byAttempt = new Map<number, AttemptStreams>();
  const streams = (attempt: number): AttemptStreams => {
    let s = byAttempt.get(attempt);
    if (s === undefined) {
      s = {
        tally: new StreamTally(attempt, { keepContent }),
        lastEventT: undefined,
        errorType: undefined,
      };
      byAttempt.set(attempt, s);
    }
    return s;
  };
  for (const e of trace.events) {
    const s = streams(e.attempt);
    s.tally.push(e);
    s.lastEventT = e.t;
    if (e.errorType !== undefined) s.errorType = e.errorType;
  }
  const report = trace.report;
  const facts = (attempt: number): StreamFacts => {
    const s = streams(attempt);
    // The report counts every byte of the attempt; events count only complete ones. The
    // difference is an event cut short (comments aside, which the upstream API does not send).
    const received = report?.attempts.find((a) => a.attempt === attempt)?.bytes;
    const recorded = trace.cuts.find((c) => c.attempt === attempt);
    const tail: StreamFacts['tail'] =
      recorded !== undefined
        ? { bytes: recorded.bytes, event: recorded.event }
        : received === undefined
          ? undefined
          : { bytes: Math.max(0, received - s.tally.bytes), event: undefined };
    const stream = s.tally.facts(tail);
    if (recorded !== undefined && stream.tail !== undefined) {
      const { attempt: _attempt, t: _t, ...cut } = recorded;
      stream.tail.cut = cutFacts(cut, stream.open);
    }
    return stream;
  };

  const attemptNumbers = new Set<number>([
    ...trace.attempts.map((a) => a.attempt),
    ...byAttempt.keys(),
    ...trace.failures.map((f) => f.attempt),
  ]);
  const ordered = [...attemptNumbers].sort((a, b) => a - b);
  const firstFailure = [...trace.failures].sort((a, b) => a.attempt - b.attempt || a.t - b.t)[0];
  const incidentAttempt = firstFailure?.attempt ?? ordered[0] ?? 1;
  const stream = attemptNumbers.size === 0 ? undefined : facts(incidentAttempt);
  const attemptLine = (n: number) => trace.attempts.find((a) => a.attempt === n);

  let failure: FailureFacts | undefined;
  if (firstFailure !== undefined && stream !== undefined) {
    const line = attemptLine(firstFailure.attempt);
    failure = failureFacts(
      firstFailure,
      stream,
      line?.t,
      byAttempt.get(firstFailure.attempt)?.lastEventT,
      line?.status,
      byAttempt.get(firstFailure.attempt)?.errorType,
    );
  }

  // A response lifeline handed over unchanged (a 400, or a retryable status once the budget
  // was spent) has no failure line when the status was not one to retry: name it here.
  if (failure === undefined && stream !== undefined && report?.outcome === 'passthrough') {
    const status = attemptLine(incidentAttempt)?.status;
    const { category, recoverable } = categorize('http-status', { status });
    failure = {
      attempt: incidentAttempt,
      end: 'http-status',
      kind: 'http-status',
      category,
      recoverable,
      closedBy: `the upstream answered ${status ?? 'an error status'} before any event, and lifeline passed the response through unchanged`,
      duringActiveTransfer: undefined,
      silenceMs: undefined,
      message: undefined,
    };
  }

  const laterAttempts = ordered
    .filter((n) => n > incidentAttempt)
    .map((n) => {
      const f = trace.failures.find((x) => x.attempt === n);
      const s = facts(n);
      const line = attemptLine(n);
      const end: EndKind =
        f === undefined
          ? 'complete'
          : failureFacts(
              f,
              s,
              line?.t,
              byAttempt.get(n)?.lastEventT,
              line?.status,
              byAttempt.get(n)?.errorType,
            ).end;
      return { attempt: n, strategy: line?.strategy ?? 'unknown', stream: s, end };
    });

  const did: LifelineDid | undefined =
    report === undefined
      ? undefined
      : {
          outcome: report.outcome ?? 'unknown',
          attempts: report.attempts.length,
          strategies: report.strategies,
          failures: report.failures,
          discardedBytes: report.discardedBytes,
          discardedBlocks: report.discardedBlocks,
          addedLatencyMs: report.addedLatencyMs,
          extraInputTokens: report.extraInputTokens,
          extraOutputTokens: report.extraOutputTokens,
          containerId: report.containerId,
          totalMs: report.totalMs,
        };

  const notes: string[] = [];
  if (report === undefined) {
    notes.push(
      'the trace has no report line: the process ended (or the request was still running) before the request finished',
    );
  }
  const open = stream?.open;
  if (open !== undefined && open.toolName === undefined && open.blockType.endsWith('tool_use')) {
    notes.push(
      'tool names are not in this trace (it was recorded without content); record with content to see them',
    );
  }

  let outcome: Incident['outcome'];
  switch (report?.outcome) {
    case undefined:
      outcome = 'unfinished';
      break;
    case 'clean':
      outcome = 'complete';
      break;
    case 'recovered':
    case 'failed':
    case 'passthrough':
      outcome = report.outcome;
      break;
    default:
      outcome = failure === undefined ? 'complete' : 'failed';
  }

  const incident: Incident = {
    source: 'trace',
    model: trace.request.model ?? report?.model,
    messageId: undefined,
    containerId: report?.containerId,
    betas: trace.request.betas,
    outcome,
    stream,
    failure,
    largestToolInput: stream === undefined ? undefined : largestToolInput(stream.toolInputs),
    laterAttempts,
    did,
    would: undefined,
    notes,
  };
  const attempts: AttemptTimeline[] = ordered.map((n) => {
    const s = n === incidentAttempt && stream !== undefined ? stream : facts(n);
    const line = attemptLine(n);
    const reported = report?.attempts.find((a) => a.attempt === n);
    const f = trace.failures.find((x) => x.attempt === n);
    const end: EndKind =
      n === incidentAttempt && failure !== undefined
        ? failure.end
        : (laterAttempts.find((a) => a.attempt === n)?.end ??
          (f === undefined ? 'complete' : 'protocol'));
    const startT = reported?.startedAtMs ?? line?.t;
    const lastT = byAttempt.get(n)?.lastEventT;
    return {
      attempt: n,
      strategy: line?.strategy ?? reported?.strategy ?? 'unknown',
      status: line?.status ?? reported?.status,
      startT,
      endT:
        f?.t ??
        (reported?.durationMs !== undefined && startT !== undefined
          ? startT + reported.durationMs
          : lastT),
      bytes: reported?.bytes ?? s.bytes,
      events: s.events,
      blocks: streams(n).tally.spans(),
      end,
      failure: f === undefined ? undefined : { kind: f.kind, message: f.message },
      open: s.open,
      tail: s.tail,
    };
  });
  const timeline: Timeline = {
    hasTimes: true,
    hasContent: keepContent,
    attempts,
    seams: report?.seams ?? [],
    totalMs: report?.totalMs,
  };
  return { incident, timeline };
}
