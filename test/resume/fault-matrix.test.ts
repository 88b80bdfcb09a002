/**
 * The fault matrix: for every shipped scenario, both model generations (prefill allowed:
 * claude-opus-4-1; continuation turn only: claude-opus-4-6) and continuation turns that
 * restate none or several of the last words, inject a fault at event boundaries and at byte
 * offsets inside events (inside multi-byte characters and inside HTTP chunks), of every kind
 * (drop, reset, clean EOF, stall, SSE error event). For every case, the real SDK's
 * `finalMessage()` through the middleware must equal the fault-free run's (ids and usage
 * aside), and the raw bytes the client saw must form one well-formed stream: one
 * message_start, contiguous block indices each started and stopped once, one message_delta,
 * one message_stop.
 *
 * Large scenarios are sampled (every block boundary plus evenly spaced events) so the matrix
 * stays within a CI budget; the printed size says exactly how many cases ran.
 */
import { writeFileSync } from 'node:fs';
import type { Middleware } from '@anthropic-ai/sdk';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import { loadScenarios, type MockServer, type Scenario, startMock } from '../../src/mock/index.js';
import { type RecoveryReport, StreamInterruptedError } from '../../src/resume/index.js';
import { SseDecoder } from '../../src/sse/index.js';

const SCENARIO_DIR = new URL('../fixtures/scenarios/', import.meta.url).pathname;
// A continuation opening with adaptive thinking adds a block by design: tested on its own.
const EXCLUDED = new Set(['continuation-thinking']);
const STALL_MS = 5_000;

interface Variant {
  name: string;
  base: string;
  model: string;
  restate: number;
  eventLengths: number[];
  eventTypes: string[];
  multibyteOffsets: Map<number, number>;
}

interface Case {
  variant: Variant;
  label: string;
  faults: Record<string, unknown>;
}

let mock: MockServer;
const variants: Variant[] = [];
const baselines = new Map<string, unknown>();

function strip(message: Anthropic.Beta.BetaMessage): unknown {
  const {
    id: _id,
    usage: _usage,
    ...rest
  } = JSON.parse(JSON.stringify(message)) as Anthropic.Beta.BetaMessage;
  return rest;
}

/** Checks the downstream bytes form one well-formed Messages stream; returns problems found. */
function streamProblems(bytes: Uint8Array): string[] {
  const decoder = new SseDecoder();
  const events = [...decoder.push(bytes), ...decoder.end()];
  const problems: string[] = [];
  const types = events.map((e) => e.event ?? 'message');
  const count = (t: string) => types.filter((x) => x === t).length;
  if (types[0] !== 'message_start') problems.push(`first event is ${types[0]}`);
  if (count('message_start') !== 1) problems.push(`${count('message_start')} message_start`);
  if (count('message_delta') !== 1) problems.push(`${count('message_delta')} message_delta`);
  if (count('message_stop') !== 1 || types.at(-1) !== 'message_stop')
    problems.push('message_stop not once at the end');
  let open = -1;
  let next = 0;
  for (const e of events) {
    if (e.event === 'content_block_start') {
      const { index } = JSON.parse(e.data) as { index: number };
      if (open !== -1) problems.push(`block ${index} started while ${open} open`);
      if (index !== next) problems.push(`block index ${index}, expected ${next}`);
      open = index;
      next++;
    } else if (e.event === 'content_block_delta') {
      const { index } = JSON.parse(e.data) as { index: number };
      if (index !== open) problems.push(`delta for ${index} while ${open} open`);
    } else if (e.event === 'content_block_stop') {
      const { index } = JSON.parse(e.data) as { index: number };
      if (index !== open) problems.push(`stop for ${index} while ${open} open`);
      open = -1;
    }
  }
  if (open !== -1) problems.push(`block ${open} never stopped`);
  return problems;
}

/** Keeps a copy of the bytes lifeline hands to the SDK. */
function capture(sink: { bytes?: Promise<Uint8Array> }): Middleware {
  return async (request, next) => {
    const response = await next(request);
    if (response.body === null) return response;
    const [a, b] = response.body.tee();
    sink.bytes = new Response(b).arrayBuffer().then(
      (buf) => new Uint8Array(buf),
      () => new Uint8Array(), // the stream failed: the test asserts on the SDK's error instead
    );
    return new Response(a, response);
  };
}

function clientFor(
  sink: { bytes?: Promise<Uint8Array> },
  reports: RecoveryReport[],
  maxAttempts = 6,
) {
  return new Anthropic({
    apiKey: 'test-key',
    baseURL: mock.url,
    maxRetries: 0,
    middleware: [
      capture(sink),
      lifelineMiddleware({
        logger: false,
        onReport: (r) => reports.push(r),
        stallTimeoutMs: STALL_MS,
        keepAliveMs: 0,
        policy: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts },
      }),
    ],
  });
}

let runSeq = 0;
async function runCase(variant: Variant, faults: Record<string, unknown>, maxAttempts = 6) {
  const sink: { bytes?: Promise<Uint8Array> } = {};
  const reports: RecoveryReport[] = [];
  const client = clientFor(sink, reports, maxAttempts);
  const stream = client.beta.messages.stream(
    { model: variant.model, max_tokens: 4096, messages: [{ role: 'user', content: 'go' }] },
    {
      headers: {
        'x-mock-scenario': variant.name,
        'x-mock-run': `matrix-${runSeq++}`,
        'x-mock-faults': JSON.stringify(faults),
      },
    },
  );
  const final = await stream.finalMessage();
  const bytes = await (sink.bytes ?? Promise.resolve(new Uint8Array()));
  return { final, bytes, report: reports[0] };
}

function sampleIndices(total: number, wanted: number): number[] {
  if (total <= wanted) return Array.from({ length: total }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < wanted; i++) out.add(Math.floor((i * total) / wanted));
  return [...out];
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  for (const v of variants) {
    const e = v.eventLengths.length;
    // Boundaries: after N whole events, N = 0 (nothing) .. e-1 (all but message_stop).
    const boundaries = new Set<number>(sampleIndices(e, 36));
    v.eventTypes.forEach((t, i) => {
      if (t !== 'content_block_delta') {
        boundaries.add(i);
        boundaries.add(i + 1);
      }
    });
    for (const n of [...boundaries].filter((n) => n < e)) {
      cases.push({
        variant: v,
        label: `drop after ${n} events`,
        faults: { '1': { kind: 'drop', afterEvents: n } },
      });
      if (n % 3 === 0)
        cases.push({
          variant: v,
          label: `eof after ${n}`,
          faults: { '1': { kind: 'eof', afterEvents: n } },
        });
      if (n % 3 === 1) {
        cases.push({
          variant: v,
          label: `error event after ${n}`,
          faults: { '1': { kind: 'error', afterEvents: n, errorType: 'overloaded_error' } },
        });
      }
      if (n % 3 === 2)
        cases.push({
          variant: v,
          label: `reset after ${n}`,
          faults: { '1': { kind: 'reset', afterEvents: n } },
        });
    }
    // Inside events: first byte, middle, last byte, and inside a multi-byte character.
    for (const n of sampleIndices(e, 12)) {
      const len = v.eventLengths[n] ?? 0;
      const offsets = new Set([1, Math.floor(len / 2), len - 1]);
      const mb = v.multibyteOffsets.get(n);
      if (mb !== undefined) offsets.add(mb);
      for (const k of offsets) {
        if (k <= 0 || k >= len) continue;
        cases.push({
          variant: v,
          label: `drop in event ${n} at byte ${k}`,
          faults: { '1': { kind: 'drop', event: n, bytes: k } },
        });
      }
    }
    for (const n of v.multibyteOffsets.keys()) {
      const k = v.multibyteOffsets.get(n) as number;
      cases.push({
        variant: v,
        label: `drop inside a multi-byte char of event ${n}`,
        faults: { '1': { kind: 'drop', event: n, bytes: k } },
      });
    }
    // Stalls cost the stall timeout each: a few per variant.
    for (const n of sampleIndices(e, 1)) {
      cases.push({
        variant: v,
        label: `stall after ${n}`,
        faults: { '1': { kind: 'stall', afterEvents: n, ms: 5_000 } },
      });
    }
    // Double faults: the continuation drops too.
    for (const n of sampleIndices(e, 4)) {
      cases.push({
        variant: v,
        label: `double drop after ${n}, then after 5 of the continuation`,
        faults: { '1': { kind: 'drop', afterEvents: n }, '2': { kind: 'drop', afterEvents: 5 } },
      });
    }
  }
  return cases;
}

async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

beforeAll(async () => {
  const only = process.env.MATRIX_ONLY?.split(',');
  const shipped = loadScenarios(SCENARIO_DIR).filter(
    (s) => !EXCLUDED.has(s.name) && (only === undefined || only.includes(s.name)),
  );
  const scenarios: Scenario[] = [];
  for (const s of shipped) {
    const gens: Array<[string, number]> = [
      // Prefill generation (Claude 4.5 and earlier; 4.1 because the SDK warns on every 4.5 request).
      ['claude-opus-4-1', 0],
      ['claude-opus-4-6', 0],
      ['claude-opus-4-6', 3],
    ];
    for (const [model, restate] of gens) {
      const name = `${s.name}@${model}@r${restate}`;
      scenarios.push({
        ...s,
        name,
        restate,
        requireBetas: false,
        prefill: 'auto',
        faults: {},
        message: { ...s.message, model },
      });
    }
  }
  mock = await startMock({ scenarios });
  for (const s of scenarios) {
    const events = mock.renderedEvents(s.name);
    const multibyteOffsets = new Map<number, number>();
    events.forEach((buf, i) => {
      const at = buf.findIndex((b) => b >= 0xc0);
      if (at >= 0 && multibyteOffsets.size < 3) multibyteOffsets.set(i, at + 1);
    });
    variants.push({
      name: s.name,
      base: s.name.split('@')[0] as string,
      model: s.message.model,
      restate: s.restate,
      eventLengths: events.map((b) => b.length),
      eventTypes: events.map((b) => /^event: (\w+)/.exec(b.toString('utf8'))?.[1] ?? ''),
      multibyteOffsets,
    });
  }
  await pool(variants, 4, async (v) => {
    const { final } = await runCase(v, {});
    baselines.set(v.name, strip(final));
  });
}, 120_000);

afterAll(async () => {
  await mock?.close();
});

describe('fault matrix', () => {
  it('every case completes through the middleware with the fault-free message and a well-formed stream', async () => {
    const cases = buildCases();
    const failures: string[] = [];
    let passed = 0;
    const byScenario = new Map<string, number>();
    await pool(cases, 16, async (c) => {
      const where = `${c.variant.name}: ${c.label}`;
      try {
        const { final, bytes } = await runCase(c.variant, c.faults);
        const problems = streamProblems(bytes);
        const same = JSON.stringify(strip(final)) === JSON.stringify(baselines.get(c.variant.name));
        if (!same) problems.push('final message differs from the fault-free run');
        if (problems.length > 0) failures.push(`${where}: ${problems.join('; ')}`);
        else {
          passed++;
          byScenario.set(c.variant.base, (byScenario.get(c.variant.base) ?? 0) + 1);
        }
      } catch (err) {
        failures.push(
          `${where}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
        );
      }
    });
    console.log(
      `fault matrix: ${cases.length} cases over ${variants.length} scenario variants; ${passed} passed (${((100 * passed) / cases.length).toFixed(1)}%)\n` +
        [...byScenario].map(([s, n]) => `  ${s}: ${n}`).join('\n'),
    );
    if (failures.length > 0) {
      console.log(failures.slice(0, 40).join('\n'));
      if (process.env.MATRIX_FAILURES)
        writeFileSync(process.env.MATRIX_FAILURES, failures.join('\n'));
    }
    expect(failures).toEqual([]);
    expect(passed).toBe(cases.length);
  }, 600_000);

  it('budget exhaustion fails with a typed error that carries the partial message', async () => {
    const v = variants.find(
      (x) => x.base === 'plain-long-text' && x.model === 'claude-opus-4-6',
    ) as Variant;
    let caught: unknown;
    try {
      await runCase(v, { '*': { kind: 'drop', afterEvents: 40 } }, 3);
    } catch (err) {
      caught = err;
    }
    let e: unknown = caught;
    while (e !== undefined && !(e instanceof StreamInterruptedError))
      e = (e as { cause?: unknown }).cause;
    expect(e).toBeInstanceOf(StreamInterruptedError);
    const err = e as StreamInterruptedError;
    expect(err.report.attempts).toHaveLength(3);
    expect(err.partial?.content.length).toBeGreaterThan(0);
    expect(err.explanation).toMatch(/Nothing received is lost/);
  });
});
