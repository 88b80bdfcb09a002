/**
 * The recovery half of bench/resume.bench.ts (its method is described there): drops at random
 * text_delta events, mid-event and mid-chunk, recovered through the SDK with the middleware,
 * clocked from the failure the engine sees to the first content it delivers downstream, next
 * to the mock's own first byte for a fresh request and for the same continuation request.
 */

import type { Middleware } from '@anthropic-ai/sdk';
import Anthropic from '@anthropic-ai/sdk';
import type { TraceSink } from '../src/engine/index.js';
import { lifelineMiddleware } from '../src/integrations/index.js';
import type { MockServer } from '../src/mock/index.js';
import type { RecoveryReport } from '../src/resume/index.js';
import { makeRng, randomInt } from './fixtures.js';
import {
  API_KEY,
  type Fixtures,
  fmt,
  int,
  median,
  OPUS,
  params,
  quantile,
  RECOVER_OPUS,
  RECOVER_SONNET,
  RECOVERY_DELTAS,
  readAll,
  requestHeaders,
  SONNET,
  table,
} from './resume-shared.js';

const RECOVERIES = Number(process.env.RESUME_BENCH_RECOVERIES ?? 50);
const RECOVERY_WARMUP = 5;

interface Marks {
  fail: number;
  headers: number;
  event: number;
  content: number;
  down: number;
}

const CONTENT_EVENT = Buffer.from('event: content_block_');

/** Whether a downstream chunk carries content (not only keep-alive comments, pings or heads). */
function carriesContent(chunk: Uint8Array): boolean {
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(CONTENT_EVENT);
}

/** The outermost middleware: timestamps the first content lifeline delivers after the failure. */
function downstreamClock(marks: Marks): Middleware {
  return async (request, next) => {
    const response = await next(request);
    if (response.body === null) return response;
    const reader = response.body.getReader();
    const clocked = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        if (!Number.isNaN(marks.fail) && Number.isNaN(marks.down) && carriesContent(value))
          marks.down = performance.now();
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(clocked, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** ms from `fetch` to the first body byte of `body` sent as `run` (then read to the end). */
async function mockFirstByte(mock: MockServer, scenario: string, run: string, body: string) {
  const start = performance.now();
  const r = await fetch(`${mock.url}/v1/messages`, {
    method: 'POST',
    headers: { ...requestHeaders(scenario), 'x-mock-run': run },
    body,
  });
  if (r.status !== 200 || r.body === null)
    throw new Error(`mock answered ${r.status}: ${await r.text()}`);
  return (await readAll(r.body, start)).first;
}

interface RecoverySample {
  total: number;
  toHeaders: number;
  toEvent: number;
  toContent: number;
  freshTtfb: number;
  replayTtfb: number;
  strategy: string;
}

/** One client per continuation form, reporting into `marks` (recoveries run one at a time). */
function recoveryClient(mock: MockServer, marks: Marks, reports: RecoveryReport[]): Anthropic {
  const trace: TraceSink = {
    attempt(info) {
      if (info.attempt === 2 && info.status !== undefined) marks.headers = performance.now();
    },
    event(info) {
      if (info.attempt !== 2) return;
      if (Number.isNaN(marks.event)) marks.event = performance.now();
      if (Number.isNaN(marks.content) && info.type.startsWith('content_block_'))
        marks.content = performance.now();
    },
    failure() {
      if (Number.isNaN(marks.fail)) marks.fail = performance.now();
    },
    end() {},
  };
  return new Anthropic({
    apiKey: API_KEY,
    baseURL: mock.url,
    maxRetries: 0,
    middleware: [
      downstreamClock(marks),
      lifelineMiddleware({ logger: false, trace, onReport: (r) => reports.push(r) }),
    ],
  });
}

async function recoverOnce(
  mock: MockServer,
  client: Anthropic,
  marks: Marks,
  reports: RecoveryReport[],
  form: { scenario: string; model: string; text: string },
  rng: () => number,
  run: string,
): Promise<RecoverySample> {
  const { scenario, model, text } = form;
  const events = mock.renderedEvents(scenario);
  // Events: message_start, ping, content_block_start, the text deltas, ...
  const event = randomInt(rng, 3 + 50, 3 + RECOVERY_DELTAS - 50);
  const bytes = randomInt(rng, 1, events[event]!.length - 2);
  marks.fail = marks.headers = marks.event = marks.content = marks.down = Number.NaN;
  reports.length = 0;
  const final = await client.beta.messages
    .stream(params(model), {
      headers: {
        'x-mock-scenario': scenario,
        'x-mock-run': run,
        'x-mock-faults': JSON.stringify({ '1': { kind: 'drop', event, bytes } }),
      },
    })
    .finalMessage();
  const got = final.content[0]?.type === 'text' ? final.content[0].text : '';
  if (got !== text || final.content.length !== 1)
    throw new Error(`${scenario}: recovered text differs (drop at event ${event} + ${bytes} B)`);
  const report = reports[0];
  if (report?.outcome !== 'recovered' || report.attempts.length !== 2)
    throw new Error(`${scenario}: expected one recovery, got ${report?.outcome}`);
  if ([marks.fail, marks.headers, marks.event, marks.content, marks.down].some(Number.isNaN))
    throw new Error(`${scenario}: a clock did not fire`);

  // The mock's own time to first byte, now: a fresh request, and the continuation replayed.
  const sent = mock.requests.find((r) => r.runId === run && r.attempt === 2);
  if (sent === undefined) throw new Error(`${scenario}: the mock has no record of attempt 2`);
  const freshTtfb = await mockFirstByte(
    mock,
    scenario,
    `${run}-fresh`,
    JSON.stringify({ ...params(model), stream: true }),
  );
  const replayTtfb = await mockFirstByte(
    mock,
    scenario,
    `${run}-replay`,
    JSON.stringify(sent.body),
  );
  return {
    total: marks.down - marks.fail,
    toHeaders: marks.headers - marks.fail,
    toEvent: marks.event - marks.fail,
    toContent: marks.content - marks.fail,
    freshTtfb,
    replayTtfb,
    strategy: report.strategies.join(','),
  };
}

/** Runs `fn` with the SDK's per-request "model is deprecated" console warning filtered out. */
export async function withoutDeprecationWarnings<T>(fn: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('is deprecated and will reach')) return;
    warn(...args);
  };
  try {
    return await fn();
  } finally {
    console.warn = warn;
  }
}

export async function recovery(mock: MockServer, fixtures: Fixtures, seed: number): Promise<void> {
  const forms = [
    { label: `${OPUS} (continuation turn)`, scenario: RECOVER_OPUS, model: OPUS },
    { label: `${SONNET} (prefill)`, scenario: RECOVER_SONNET, model: SONNET },
  ].map((f) => {
    const marks: Marks = {
      fail: Number.NaN,
      headers: Number.NaN,
      event: Number.NaN,
      content: Number.NaN,
      down: Number.NaN,
    };
    const reports: RecoveryReport[] = [];
    return {
      ...f,
      text: fixtures.texts.get(f.scenario)!,
      marks,
      reports,
      client: recoveryClient(mock, marks, reports),
      samples: [] as RecoverySample[],
    };
  });
  const rng = makeRng(seed ^ 0xd20b);
  for (let i = 0; i < RECOVERY_WARMUP + RECOVERIES; i++) {
    // Alternate which form goes first, so drift affects both alike.
    for (const form of i % 2 === 0 ? forms : [...forms].reverse()) {
      const run = `recover-${seed}-${form.scenario}-${i}`;
      const sample = await recoverOnce(mock, form.client, form.marks, form.reports, form, rng, run);
      if (i >= RECOVERY_WARMUP) form.samples.push(sample);
    }
    // The request log keeps every body: forget it as we go.
    mock.reset();
  }
  console.log(
    `\nrecovery: ${RECOVERIES} drops per form (random text_delta, random bytes into it), ` +
      `${int(RECOVERY_DELTAS)}-delta text; ms after the failure (socket close seen by the engine); p50 / p99`,
  );
  const pq = (s: RecoverySample[], pick: (x: RecoverySample) => number) => {
    const v = s.map(pick);
    return `${fmt(median(v), 2)} / ${fmt(quantile(v, 0.99), 2)}`;
  };
  table(
    [
      'form [strategy]',
      'resumed headers',
      '1st event in',
      '1st content in',
      '1st content out',
      'mock TTFB fresh',
      'mock TTFB same req',
      'out - same req',
    ],
    forms.map((f) => [
      `${f.label} [${[...new Set(f.samples.map((x) => x.strategy))].join('/')}]`,
      pq(f.samples, (x) => x.toHeaders),
      pq(f.samples, (x) => x.toEvent),
      pq(f.samples, (x) => x.toContent),
      pq(f.samples, (x) => x.total),
      pq(f.samples, (x) => x.freshTtfb),
      pq(f.samples, (x) => x.replayTtfb),
      pq(f.samples, (x) => x.total - x.replayTtfb),
    ]),
  );
  for (const f of forms) {
    const totals = f.samples.map((x) => x.total);
    const fresh = median(f.samples.map((x) => x.freshTtfb));
    const added = f.samples.map((x) => x.total - x.replayTtfb);
    console.log(
      `${f.label}: recovery p50 ${fmt(median(totals), 2)} ms, p99 ${fmt(quantile(totals, 0.99), 2)} ms; ` +
        `minus the mock's fresh first byte (p50 ${fmt(fresh, 2)} ms): p50 ${fmt(median(totals) - fresh, 2)} ms; ` +
        `minus the same request's first byte: p50 ${fmt(median(added), 2)} ms, p99 ${fmt(quantile(added, 0.99), 2)} ms`,
    );
  }
}
