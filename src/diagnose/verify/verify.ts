/**
 * `lifeline verify`: reruns the smallest failing action through lifeline N times and reports
 * whether it now completes, which recoveries it took, and how long it took.
 *
 * Two targets:
 * - a scenario: an in-process mock serves it (with its faults, or the ones given), and each
 *   run must end with the scenario's message exactly, block by block (ids and usage aside);
 * - a recorded request: sent to an upstream (the API, a proxy, a mock), and each run must end
 *   with `message_stop` and no error.
 * Runs go one after another through `lifelineFetch`, the same path a client integration takes.
 */
import { randomBytes } from 'node:crypto';
import { LifelineError } from '../../errors.js';
import {
  type FetchLike,
  type LifelineFetchOptions,
  lifelineFetch,
} from '../../integrations/index.js';
import { MessageAccumulator, parseStreamEvent } from '../../message/index.js';
import { type FaultMap, type Scenario, startMock } from '../../mock/index.js';
import {
  checkRequestBody,
  type MessageRequestBody,
  ModelTable,
  type RecoveryReport,
  type RetryPolicy,
} from '../../resume/index.js';
import { SseDecoder } from '../../sse/index.js';
import { comparable, firstDifference, normalizeContinuationThinking } from './compare.js';
import { type CutInfo, type CutSpec, cuttingFetch, type StreamTracker } from './cut.js';
import { auditSeams, type SeamAudit } from './seams.js';

export type { CutInfo, CutSpec, CutWhere } from './cut.js';
export { formatVerify, formatVerifyRun } from './format.js';
export type { SeamFlag, SeamFlagKind } from './seam-audit.js';
export type { SeamAudit } from './seams.js';

export const VERIFY_SCHEMA = 'lifeline.verify/1';

export type VerifyTarget =
  | {
      kind: 'scenario';
      scenario: Scenario;
      /** Faults that replace the scenario's own. */
      faults?: FaultMap | undefined;
    }
  | {
      kind: 'request';
      body: MessageRequestBody;
      /** Base URL of the upstream (`https://api.anthropic.com`, a proxy, a mock). */
      upstream: string;
      /** Sent as `x-api-key`; never printed or kept in the result. */
      apiKey?: string | undefined;
      headers?: Record<string, string> | undefined;
      /** Sent as `x-mock-faults`: only a lifeline mock upstream acts on it. */
      faults?: FaultMap | undefined;
    };

export interface VerifyOptions {
  runs: number;
  /** Resume policy for each run (e.g. `{ maxAttempts: 3 }`). */
  policy?: Partial<RetryPolicy> | undefined;
  stallTimeoutMs?: number | undefined;
  /** Called as each run starts and ends (progress display). */
  onRun?: ((progress: { run: number; total: number; result?: VerifyRun }) => void) | undefined;
  /** The fetch lifeline wraps (default: the global fetch). */
  fetch?: LifelineFetchOptions['fetch'];
  /**
   * The seam audit: lifeline cuts the first streamed attempt of each run itself (after event N,
   * or at a seeded random text delta), resumes, and audits each seam of the final text.
   */
  cut?: CutSpec | undefined;
  /** The engine's seam: `auto` (default) or `append` (the deliberately naive one, to compare). */
  seam?: 'auto' | 'append' | undefined;
  /** Characters of the partial text quoted in a continuation turn's instruction. */
  instructionTail?: number | undefined;
}

/** Where a verify run with `cut` was cut (the partial and uncut texts left out). */
export type VerifyCut = Omit<CutInfo, 'partialText' | 'uncutText'> & {
  /** Characters of the cut text block delivered before the cut. */
  partialChars?: number | undefined;
};

export interface VerifyRun {
  run: number;
  pass: boolean;
  /** From sending the request to the end of the body. */
  ms: number;
  /** The recovery report's outcome (`clean`, `recovered`, `failed`, `passthrough`). */
  outcome: RecoveryReport['outcome'] | 'error';
  attempts: number;
  failures: string[];
  strategies: string[];
  /** Why the run failed; `undefined` when it passed. */
  reason: string | undefined;
  /** The final message's text (text blocks) and whether the stream completed. */
  text?: { chars: number; completed: boolean; stopReason: string | null } | undefined;
  /** With `cut`: where the stream was cut (`undefined` when no attempt streamed). */
  cut?: VerifyCut | undefined;
  /** With `cut`: every seam of the final text, audited. */
  seams?: SeamAudit[] | undefined;
  /** With `cut`: a seam has a suspicion flag. */
  suspicious?: boolean | undefined;
}

export interface VerifyAudit {
  /** `random` or the event number. */
  cut: 'random' | number;
  /** The seed of `random` cuts. */
  seed?: number | undefined;
  seam: 'auto' | 'append';
  instructionTail?: number | undefined;
  /** Runs whose stream was cut. */
  cutRuns: number;
  seams: number;
  /** Seams with a suspicion flag. */
  suspicious: number;
}

export interface VerifyResult {
  schema: typeof VERIFY_SCHEMA;
  target: {
    kind: VerifyTarget['kind'];
    /** Scenario name, or the request's model. */
    name: string;
    model: string;
    upstream: string | undefined;
    /** Faults applied (given ones; a scenario's own are in its file). */
    faults: FaultMap | undefined;
  };
  runs: VerifyRun[];
  passed: number;
  failed: number;
  timings: { p50Ms: number; maxMs: number; minMs: number };
  /** With `cut`: the seam audit's settings and totals. */
  audit?: VerifyAudit | undefined;
  recoveries: {
    /** Runs that needed at least one resume. */
    runs: number;
    /** How often each strategy was used, over all runs. */
    strategies: Record<string, number>;
    /** Attempts over all runs (a clean run is 1). */
    attempts: number;
  };
}

/** Input verify cannot use (bad scenario, request, fault or option). */
export class VerifyInputError extends LifelineError {
  readonly type = 'verify-input' as const;
  constructor(message: string) {
    super(message);
    this.name = 'VerifyInputError';
  }
}

/** ms to 0.1, so JSON output stays readable. */
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** The error's message, with its cause's when that adds something ("fetch failed": why). */
function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? err.cause : undefined;
  const causeText = cause instanceof Error ? cause.message : undefined;
  return causeText === undefined || message.includes(causeText)
    ? message
    : `${message} (${causeText})`;
}

/** ` invalid_request_error: <message>` from an API error body, else its first 300 chars. */
function apiError(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: { type?: unknown; message?: unknown } }).error;
    if (typeof error?.type === 'string') {
      return ` ${error.type}${typeof error.message === 'string' ? `: ${error.message}` : ''}`;
    }
  } catch {
    // not JSON: show the start of it
  }
  return text.trim() === '' ? '' : `: ${text.slice(0, 300)}`;
}

/** Reads an SSE response body into a message accumulator. */
async function readMessage(body: ReadableStream<Uint8Array>): Promise<MessageAccumulator> {
  const decoder = new SseDecoder();
  const accumulator = new MessageAccumulator();
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    for (const event of decoder.push(value)) accumulator.push(parseStreamEvent(event));
  }
  decoder.end();
  return accumulator;
}

interface Prepared {
  url: string;
  body: MessageRequestBody;
  headers: (run: number) => Record<string, string>;
  /** Whether the run's message is right; the reason when it is not. */
  check: (accumulator: MessageAccumulator) => string | undefined;
  /** The uncut message's text blocks joined by newlines, when known (a scenario's). */
  reference: string | undefined;
  close: () => Promise<void>;
  describe: VerifyResult['target'];
}

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

/** Text blocks' text joined by newlines (the seam audit's fence-parity reference). */
function textOfBlocks(content: readonly { type: string }[]): string {
  return content
    .map((b) => (b.type === 'text' ? (b as { text?: unknown }).text : undefined))
    .filter((t): t is string => typeof t === 'string')
    .join('\n');
}

function completes(accumulator: MessageAccumulator): string | undefined {
  const snap = accumulator.snapshot();
  if (snap.error !== undefined) {
    return `the stream ended with an error event: ${snap.error.type}${snap.error.message ? ` (${snap.error.message})` : ''}`;
  }
  if (!snap.stopped) return 'the stream ended without message_stop';
  return undefined;
}

/**
 * `cutting`: lifeline cuts the streams itself (the seam audit), so a mock's own faults, which
 * would cut first, are turned off unless faults are given.
 */
async function prepare(target: VerifyTarget, cutting: boolean): Promise<Prepared> {
  // Each verify gets its own run ids, so a mock's per-run attempt counters start at 1.
  const tag = randomBytes(4).toString('hex');
  if (target.kind === 'scenario') {
    const { scenario } = target;
    const faults = target.faults ?? (cutting ? {} : undefined);
    const mock = await startMock({
      scenarios: [scenario],
      ...(faults !== undefined ? { faults } : {}),
    });
    const container = scenario.message.container;
    const skills = container?.skills;
    const body: MessageRequestBody = {
      model: scenario.message.model,
      max_tokens: 16_000,
      stream: true,
      messages: [{ role: 'user', content: `lifeline verify: scenario ${scenario.name}` }],
      ...(Array.isArray(skills) && skills.length > 0 ? { container: { skills } } : {}),
    };
    const expected = comparable(scenario.message);
    return {
      url: `${mock.url}/v1/messages`,
      body,
      headers: (run) => ({
        'x-api-key': 'lifeline-verify',
        'x-mock-scenario': scenario.name,
        'x-mock-run': `verify-${tag}-${run}`,
        ...(scenario.betas.length > 0 ? { 'anthropic-beta': scenario.betas.join(',') } : {}),
      }),
      check: (accumulator) => {
        const ended = completes(accumulator);
        if (ended !== undefined) return ended;
        let actual = comparable(accumulator.toMessage());
        let wanted = expected;
        if (scenario.continuationThinking) {
          ({ expected: wanted, actual } = normalizeContinuationThinking(expected, actual));
        }
        const difference = firstDifference(wanted, actual);
        return difference === undefined
          ? undefined
          : `the message differs from the scenario's: ${difference}`;
      },
      reference: textOfBlocks(scenario.message.content),
      close: () => mock.close(),
      describe: {
        kind: 'scenario',
        name: scenario.name,
        model: scenario.message.model,
        upstream: undefined,
        faults: target.faults,
      },
    };
  }
  const problem = checkRequestBody(target.body);
  if (problem !== undefined)
    throw new VerifyInputError(`the request body is not usable: ${problem}`);
  let base: URL;
  try {
    base = new URL(target.upstream);
  } catch {
    throw new VerifyInputError(
      `--upstream ${target.upstream} is not a URL (e.g. https://api.anthropic.com)`,
    );
  }
  // A base URL like the SDKs' (`https://api.anthropic.com`, `http://proxy/anthropic`), or the
  // full Messages URL.
  const basePath = base.pathname.replace(/\/$/, '').replace(/\/v1\/messages$/, '');
  const url = new URL(`${basePath}/v1/messages`, base).toString();
  const mockHeaders = target.faults !== undefined || isLoopback(target.upstream);
  // A local mock's scripted faults would cut before lifeline does: none, unless given.
  const faults = target.faults ?? (cutting && isLoopback(target.upstream) ? {} : undefined);
  return {
    url,
    body: { ...target.body, stream: true },
    headers: (run) => ({
      ...(target.apiKey !== undefined ? { 'x-api-key': target.apiKey } : {}),
      ...(mockHeaders ? { 'x-mock-run': `verify-${tag}-${run}` } : {}),
      ...(faults !== undefined ? { 'x-mock-faults': JSON.stringify(faults) } : {}),
      ...target.headers,
    }),
    check: completes,
    reference: undefined,
    close: async () => {},
    describe: {
      kind: 'request',
      name: target.body.model,
      model: target.body.model,
      upstream: base.origin + basePath,
      faults: target.faults,
    },
  };
}

function cutForRun(info: CutInfo | undefined): VerifyCut | undefined {
  if (info === undefined) return undefined;
  const { partialText, uncutText: _uncut, ...rest } = info;
  return partialText === undefined ? rest : { ...rest, partialChars: partialText.length };
}

async function runOnce(
  prepared: Prepared,
  run: number,
  options: VerifyOptions,
  models: ModelTable,
): Promise<VerifyRun> {
  let report: RecoveryReport | undefined;
  let cut: CutInfo | undefined;
  let continuation: StreamTracker | undefined;
  const base: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const fetchThrough = lifelineFetch({
    logger: false,
    models,
    onReport: (r) => {
      report = r;
    },
    ...(options.policy !== undefined ? { policy: options.policy } : {}),
    ...(options.stallTimeoutMs !== undefined ? { stallTimeoutMs: options.stallTimeoutMs } : {}),
    ...(options.seam !== undefined ? { seam: options.seam } : {}),
    ...(options.instructionTail !== undefined ? { instructionTail: options.instructionTail } : {}),
    fetch:
      options.cut === undefined
        ? base
        : cuttingFetch(
            base,
            options.cut,
            run,
            (info) => {
              cut = info;
            },
            (attempt, tracker) => {
              if (cut?.cut === true && attempt === cut.attempt + 1) continuation = tracker;
            },
          ),
  });
  const started = performance.now();
  let reason: string | undefined;
  let accumulator: MessageAccumulator | undefined;
  try {
    const response = await fetchThrough(prepared.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': '2023-06-01',
        ...prepared.headers(run),
      },
      body: JSON.stringify(prepared.body),
    });
    if (response.status !== 200 || response.body === null) {
      reason = `the upstream answered ${response.status}${apiError(await response.text())}`;
    } else {
      accumulator = await readMessage(response.body);
      reason = prepared.check(accumulator);
    }
  } catch (err) {
    reason = errorText(err);
  }
  const ms = round(performance.now() - started);
  const result: VerifyRun = {
    run,
    pass: reason === undefined,
    ms,
    outcome: report?.outcome ?? 'error',
    attempts: report?.attempts.length ?? 0,
    failures: report?.failures.slice() ?? [],
    strategies: report?.strategies.slice() ?? [],
    reason,
  };
  if (options.cut === undefined) return result;
  const snap = accumulator?.snapshot();
  const content = snap?.blocks ?? [];
  const text = textOfBlocks(content);
  const seams = auditSeams({
    content,
    stopReason: snap?.stopReason ?? null,
    seams: report?.seams ?? [],
    attempts: result.attempts,
    cut,
    reference: prepared.reference ?? cut?.uncutText,
    continuationText: continuation?.firstText(),
  });
  return {
    ...result,
    text: {
      chars: text.length,
      completed: snap?.stopped === true && snap.error === undefined,
      stopReason: snap?.stopReason ?? null,
    },
    cut: cutForRun(cut),
    seams,
    suspicious: seams.some((seam) => seam.flags.length > 0),
  };
}

/** Runs the target `options.runs` times, one after another. */
export async function verify(target: VerifyTarget, options: VerifyOptions): Promise<VerifyResult> {
  if (!Number.isInteger(options.runs) || options.runs < 1) {
    throw new VerifyInputError(`runs must be a whole number of at least 1 (got ${options.runs})`);
  }
  const prepared = await prepare(target, options.cut !== undefined);
  // One table for the whole verify: a model's refusal of prefill, once learned, is kept.
  const models = new ModelTable();
  const runs: VerifyRun[] = [];
  try {
    for (let run = 1; run <= options.runs; run++) {
      options.onRun?.({ run, total: options.runs });
      const result = await runOnce(prepared, run, options, models);
      runs.push(result);
      options.onRun?.({ run, total: options.runs, result });
    }
  } finally {
    await prepared.close();
  }
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const strategies: Record<string, number> = {};
  for (const r of runs) for (const s of r.strategies) strategies[s] = (strategies[s] ?? 0) + 1;
  const cut = options.cut;
  const audit: VerifyAudit | undefined =
    cut === undefined
      ? undefined
      : {
          cut: cut.kind === 'random' ? 'random' : cut.event,
          ...(cut.kind === 'random' ? { seed: cut.seed } : {}),
          seam: options.seam ?? 'auto',
          ...(options.instructionTail !== undefined
            ? { instructionTail: options.instructionTail }
            : {}),
          cutRuns: runs.filter((r) => r.cut?.cut === true).length,
          seams: runs.reduce((n, r) => n + (r.seams?.length ?? 0), 0),
          suspicious: runs.reduce(
            (n, r) => n + (r.seams?.filter((seam) => seam.flags.length > 0).length ?? 0),
            0,
          ),
        };
  return {
    schema: VERIFY_SCHEMA,
    target: prepared.describe,
    ...(audit !== undefined ? { audit } : {}),
    runs,
    passed: runs.filter((r) => r.pass).length,
    failed: runs.filter((r) => !r.pass).length,
    timings: {
      p50Ms: percentile(times, 50),
      maxMs: times[times.length - 1] ?? 0,
      minMs: times[0] ?? 0,
    },
    recoveries: {
      runs: runs.filter((r) => r.failures.length > 0).length,
      strategies,
      attempts: runs.reduce((sum, r) => sum + r.attempts, 0),
    },
  };
}
