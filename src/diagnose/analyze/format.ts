/**
 * The incident note `lifeline analyze` prints: a one-paragraph summary in the words of an
 * incident report (blocks streamed, where it died, earlier tool input sizes, who closed the
 * connection), then the details and what lifeline did or would do. Plain text, no colour:
 * it is meant to be pasted into a ticket.
 */
import { formatByteSize } from '../../message/index.js';
import { cutPhrase } from './cut.js';
import type {
  AnalyzeResult,
  CutFacts,
  FailureFacts,
  Incident,
  LifelineDid,
  LifelineWould,
  OpenBlockFacts,
  StreamFacts,
  ToolInputFacts,
} from './incident.js';
import { largestToolInput } from './tally.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

/** `text_editor_code_execution (server_tool_use)`, or just the block type when it has no name. */
function blockLabel(block: { blockType: string; toolName: string | undefined }): string {
  return block.toolName === undefined ? block.blockType : `${block.toolName} (${block.blockType})`;
}

function toolLabel(input: ToolInputFacts): string {
  return input.toolName ?? input.blockType;
}

/**
 * Where the stream died, as a phrase: "in block 38, text_editor_code_execution (...),
 * input_json_delta at 20 bytes", then the event it died inside when one was cut.
 */
function diedIn(open: OpenBlockFacts, cut: CutFacts | undefined): string {
  const delta =
    open.deltaType === undefined
      ? cut === undefined
        ? 'before its first delta'
        : 'before its first delta was whole'
      : `${open.deltaType} at ${open.receivedBytes} bytes`;
  const then =
    cut === undefined
      ? ''
      : `${open.deltaType === undefined ? ':' : ', then'} ${cutPhrase(cut, open)}`;
  return `in block ${open.index}, ${blockLabel(open)}, ${delta}${then}`;
}

function blockTypeSummary(types: Record<string, number>): string {
  const entries = Object.entries(types).sort((a, b) => b[1] - a[1]);
  return entries.map(([type, n]) => `${n} ${type}`).join(', ');
}

/** The paragraph to paste into an incident report. */
export function summaryLine(incident: Incident): string {
  const s = incident.stream;
  const f = incident.failure;
  const parts: string[] = [];
  if (incident.model !== undefined) parts.push(incident.model);
  if (s === undefined) return `${parts.join('')}: no stream was recorded.`;
  if (f === undefined) {
    return (
      `${parts.length > 0 ? `${parts[0]}: ` : ''}no failure: the stream completed with ` +
      `message_stop after ${plural(s.completedBlocks, 'content block')}` +
      `${s.stopReason !== undefined ? ` (stop_reason ${s.stopReason})` : ''}. Nothing to recover.`
    );
  }
  const facts: string[] = [];
  facts.push(`${plural(s.completedBlocks, 'content block')} streamed before the drop`);
  if (s.open !== undefined) facts.push(`the stream died ${diedIn(s.open, s.tail?.cut)}`);
  else if (f.end === 'http-status' || f.end === 'connect') facts.push(f.closedBy);
  else if (s.tail?.cut !== undefined)
    facts.push(`the stream died between blocks: ${cutPhrase(s.tail.cut, undefined)}`);
  else facts.push('the stream died between blocks');
  const largest = largestToolInput(s.toolInputs);
  if (largest !== undefined) {
    facts.push(`previous tool input ~${formatByteSize(largest.bytes)} (${toolLabel(largest)})`);
  }
  if (f.end !== 'http-status' && f.end !== 'connect') facts.push(shortEnd(f));
  if (!s.messageStop && s.messageStart) facts.push('message_stop missing');
  const head = incident.model !== undefined ? `${incident.model}: ` : '';
  return `${head}${facts.join('; ')}.`;
}

function shortEnd(f: FailureFacts): string {
  if (f.kind === 'socket' && (f.end === 'mid-event' || f.end === 'between-events')) {
    return 'closed by the server during active byte transfer';
  }
  switch (f.end) {
    case 'mid-event':
      return 'the body ended mid-event without message_stop';
    case 'between-events':
      return 'the body ended after a complete event without message_stop';
    case 'idle-close':
      return `the stream went quiet for ${ms(f.silenceMs ?? 0)}, then the server closed the connection`;
    case 'stall':
      return 'the stream stalled (no bytes for the stall timeout)';
    case 'error-event':
      return 'the upstream sent an SSE error event';
    default:
      return f.closedBy;
  }
}

function streamLines(s: StreamFacts, f: FailureFacts | undefined): string[] {
  const lines: string[] = [];
  const types = blockTypeSummary(s.blockTypes);
  lines.push(
    `  Blocks:        ${plural(s.completedBlocks, 'content block')} completed${f !== undefined ? ' before the failure' : ''}` +
      (types !== '' ? ` (${types})` : ''),
  );
  if (s.open !== undefined) {
    const o = s.open;
    lines.push(
      `  Died in:       block ${o.index}, ${blockLabel(o)}` +
        (o.deltaType === undefined
          ? ', before its first delta'
          : `, during ${o.deltaType}: ${o.receivedBytes} bytes of its ${o.blockType.endsWith('tool_use') ? 'input' : 'content'} received in ${plural(o.deltaCount, 'delta')}`),
    );
  } else if (f !== undefined && s.messageStart) {
    lines.push('  Died in:       between blocks (no block was open)');
  }
  if (s.tail?.cut !== undefined) {
    const cut = s.tail.cut;
    lines.push(
      `  Cut off:       ${cutPhrase(cut, s.open)}` +
        (cut.deltaTypeFrom === 'block'
          ? ' (the delta type is inferred: its bytes stop before it)'
          : ''),
    );
  }
  if (s.toolInputs.length > 0) {
    const largest = largestToolInput(s.toolInputs)!;
    const total = s.toolInputs.reduce((sum, t) => sum + t.bytes, 0);
    const last = s.toolInputs[s.toolInputs.length - 1]!;
    lines.push(
      `  Tool inputs:   ${s.toolInputs.length} complete before it, ${formatByteSize(total)} in all; ` +
        `largest ${formatByteSize(largest.bytes)} (${toolLabel(largest)}, block ${largest.index}); ` +
        `last ${formatByteSize(last.bytes)} (${toolLabel(last)}, block ${last.index})`,
    );
  }
  lines.push(
    `  Received:      ${plural(s.events, 'event')}, ${formatByteSize(s.bytes)}` +
      (s.tail !== undefined && s.tail.bytes > 0
        ? `, then ${s.tail.bytes} bytes of an incomplete ${s.tail.event ?? 'event'} (no blank line after it)`
        : s.tail !== undefined
          ? '; the body ends on an event boundary'
          : ''),
  );
  lines.push(
    `  message_stop:  ${s.messageStop ? 'present' : 'missing'}` +
      (s.messageStop
        ? ''
        : s.messageDelta
          ? ' (message_delta arrived: all content was in, only the end was lost)'
          : ' (no message_delta either: the message was not finished)'),
  );
  return lines;
}

function failureLines(f: FailureFacts): string[] {
  const lines = [`  How it ended:  ${f.closedBy}`];
  lines.push(
    `  Classification: ${f.category} (failure kind "${f.kind}"); ` +
      (f.recoverable ? 'lifeline resumes this kind of failure' : 'not one lifeline can resume'),
  );
  if (f.message !== undefined && f.message !== '') lines.push(`  Error:         ${f.message}`);
  if (f.kind === 'socket') {
    // The words people search for: what the same close looks like in the common clients.
    lines.push(
      '  Clients see:   httpx.RemoteProtocolError: peer closed connection without sending complete ' +
        'message body (incomplete chunked read); Node fetch/undici: TypeError: terminated (other side closed)',
    );
  }
  return lines;
}

function wouldLines(w: LifelineWould, incident: Incident): string[] {
  const model = incident.model ?? 'the model';
  const open = incident.stream?.open;
  const lines: string[] = [];
  let what: string;
  switch (w.strategy) {
    case 'continue':
      what =
        `${model} refuses assistant prefill, so the next request sends ` +
        `${plural(w.blocksSentBack, 'complete block')} back as the partial assistant turn, then a ` +
        'short user turn asking the model to continue exactly where it stopped';
      break;
    case 'prefill':
      what =
        `${model} accepts prefill, so the next request ends with ` +
        `${plural(w.blocksSentBack, 'complete block')} as the assistant turn and the response continues it`;
      break;
    case 'restart':
      what =
        'nothing of the message had reached the client yet, so it resends the original request';
      break;
    case 'complete':
      what = 'all content had arrived; it finishes the message itself (message_stop)';
      break;
    case 'end-at-tool':
      what = 'it ends the message at the complete client tool use, so the client runs the tool';
      break;
    default:
      what = `it cannot resume: ${w.reason}`;
  }
  lines.push(`  Strategy:      ${w.strategy}: ${what}.`);
  if (
    w.containerId !== undefined &&
    (w.strategy === 'continue' || w.strategy === 'prefill' || w.strategy === 'restart')
  ) {
    lines.push(
      `  Container:     ${w.containerId} is kept, so the files and state of the code execution persist.`,
    );
  }
  if (w.discardedBlocks > 0 && open !== undefined) {
    lines.push(
      `  Held back:     block ${open.index}'s partial ${open.blockType.endsWith('tool_use') ? 'input' : 'content'} ` +
        `(${open.receivedBytes} bytes) never reached the client; it is discarded and regenerated.`,
    );
  }
  if (w.blocksRegenerated > 0) {
    lines.push(
      `  Regenerated:   ${plural(w.blocksRegenerated, 'emitted block')} cannot be sent back (unpaired tool use); the model regenerates them and the copies are dropped.`,
    );
  }
  return lines;
}

function didLines(d: LifelineDid): string[] {
  const verdict =
    d.outcome === 'recovered'
      ? 'recovered the stream'
      : d.outcome === 'failed'
        ? 'could not recover the stream (the client got a StreamInterruptedError)'
        : d.outcome === 'clean'
          ? 'had nothing to recover'
          : d.outcome === 'passthrough'
            ? 'passed the response through unchanged (not a failure it resumes)'
            : `ended with outcome ${d.outcome}`;
  const lines = [
    `  Outcome:       lifeline ${verdict} in ${plural(d.attempts, 'attempt')}` +
      (d.totalMs !== undefined ? `, ${ms(d.totalMs)} in all` : '') +
      '.',
  ];
  if (d.strategies.length > 0) lines.push(`  Strategies:    ${d.strategies.join(' -> ')}`);
  if (d.failures.length > 0) lines.push(`  Failures:      ${d.failures.join(', ')}`);
  lines.push(
    `  Cost:          ${ms(d.addedLatencyMs)} added; ${formatByteSize(d.discardedBytes)} held back and discarded in ` +
      `${plural(d.discardedBlocks, 'block')}; extra tokens in/out ${d.extraInputTokens}/${d.extraOutputTokens}`,
  );
  if (d.containerId !== undefined)
    lines.push(`  Container:     ${d.containerId} kept across attempts`);
  return lines;
}

/** The incident note for people. */
export function formatAnalysis(result: AnalyzeResult): string {
  const { incident } = result;
  const lines: string[] = [];
  const what = result.kind === 'capture' ? 'raw SSE capture' : 'lifeline trace';
  lines.push(
    `Incident note: ${result.file ?? '(input)'} (${what}, ${formatByteSize(result.bytes)})`,
  );
  lines.push('');
  lines.push(result.summary);
  lines.push('');
  const head: string[] = [];
  if (incident.model !== undefined) head.push(`model ${incident.model}`);
  if (incident.messageId !== undefined) head.push(`message ${incident.messageId}`);
  if (incident.containerId !== undefined) head.push(`container ${incident.containerId}`);
  if (incident.betas.length > 0) head.push(`betas ${incident.betas.join(', ')}`);
  if (head.length > 0) lines.push(`  Request:       ${head.join('; ')}`);
  const s = incident.stream;
  const f = incident.failure;
  if (s !== undefined) {
    if (result.kind === 'trace' && f !== undefined && f.attempt !== 1) {
      lines.push(`  Attempt:       ${f.attempt} (the first failure)`);
    }
    lines.push(...streamLines(s, f));
  }
  if (f !== undefined) lines.push(...failureLines(f));
  for (const later of incident.laterAttempts) {
    const end =
      later.end === 'complete'
        ? `completed (message_stop, ${plural(later.stream.completedBlocks, 'block')})`
        : `failed too (${later.end}${later.stream.open !== undefined ? `, ${diedIn(later.stream.open, later.stream.tail?.cut)}` : ''})`;
    lines.push(`  Attempt ${later.attempt}:     ${later.strategy}: ${end}`);
  }
  if (incident.did !== undefined) {
    lines.push('');
    lines.push('What lifeline did');
    lines.push(...didLines(incident.did));
  } else if (incident.would !== undefined) {
    lines.push('');
    lines.push('What lifeline would do');
    lines.push(...wouldLines(incident.would, incident));
  } else if (f !== undefined && !f.recoverable) {
    lines.push('');
    lines.push('What lifeline would do');
    lines.push(
      '  Nothing: this failure is not a transport accident; fix its cause (run `lifeline explain` on the error).',
    );
  }
  if (f?.recoverable) {
    lines.push('');
    lines.push('Next');
    lines.push(
      incident.did === undefined
        ? '  Put lifeline in the path (SDK middleware, fetch wrapper or proxy), then rerun the smallest failing\n' +
            '  request through it: lifeline verify --request request.json --upstream <url> --runs 10'
        : '  Rerun the smallest failing request through lifeline to confirm it now completes:\n' +
            '  lifeline verify --request request.json --upstream <url> --runs 10',
    );
  }
  if (incident.notes.length > 0) {
    lines.push('');
    for (const note of incident.notes) lines.push(`Note: ${note}.`);
  }
  return `${lines.join('\n')}\n`;
}
