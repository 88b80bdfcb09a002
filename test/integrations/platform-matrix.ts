/**
 * The fault matrix's platform slice: every shipped scenario, every fault kind, through a real
 * platform client (`AnthropicVertex`, `AnthropicBedrock`) with `lifelineMiddleware`, against
 * the mock's platform routes. For every case the SDK's `finalMessage()` must equal the
 * scenario's message exactly (ids and usage aside), the bytes the SDK parsed must form one
 * well-formed stream, and every attempt must have reached the mock through the platform SDK's
 * own backend middleware: its own credentials (a fresh Google token, a SigV4 signature the
 * mock recomputed over the body as sent) and the platform's wire shape.
 *
 * Faults are placed on the platform's wire: for Bedrock, "inside event N" is inside its
 * binary frame (the prelude, the payload, the CRC).
 */
import { isDeepStrictEqual } from 'node:util';
import type Anthropic from '@anthropic-ai/sdk';
import type { Middleware } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import {
  type ContinuationBehaviour,
  loadScenarios,
  type MockRequestRecord,
  type MockServer,
  type MockServerOptions,
  type Scenario,
  startMock,
} from '../../src/mock/index.js';
import { ModelTable, type RecoveryReport } from '../../src/resume/index.js';
import { strip } from '../helpers/message.js';
import { SCENARIOS_DIR } from '../helpers/mock.js';
import { streamProblems } from '../helpers/stream-shape.js';

/** The part of a platform client the matrix uses. */
export type PlatformClient = Pick<Anthropic, 'beta'>;

export interface PlatformUnderTest {
  name: 'vertex' | 'bedrock';
  /** Platform model ids: a continuation-turn model (4.6) and a prefill one (4.1). */
  models: { continue: string; prefill: string };
  /** In-stream error types this platform sends besides the model's `overloaded_error`. */
  streamErrors: string[];
  /** The platform client, pointed at the mock, with these middleware. */
  client(baseURL: string, middleware: Middleware[]): PlatformClient;
  /** Checks the credential the mock recorded for each attempt of one run. */
  checkCredentials(records: MockRequestRecord[]): string | undefined;
  mockOptions?: Partial<MockServerOptions>;
}

// A continuation opening with adaptive thinking adds a block by design: tested on its own.
const EXCLUDED = new Set(['continuation-thinking']);
// Generous: the timer runs from the send, which includes the platform SDK signing the
// request (pure-JS SHA-256 for SigV4), and this 2-core machine is shared.
const STALL_TIMEOUT_MS = 4_000;

/** Every continuation behaviour unset: a fixture's own does not apply here. */
const NO_BEHAVIOUR: ContinuationBehaviour = {
  restartWord: undefined,
  restateChars: undefined,
  restateLines: undefined,
  restateAll: undefined,
  reopenFence: undefined,
  preamble: undefined,
};

interface Variant {
  name: string;
  base: string;
  generation: 'continue' | 'prefill';
  lengths: number[];
  content: unknown;
}

interface Case {
  variant: Variant;
  label: string;
  faults: Record<string, unknown>;
}

function capture(sink: { bytes?: Promise<Uint8Array> }): Middleware {
  return async (request, next) => {
    const response = await next(request);
    if (response.body === null) return response;
    const [a, b] = response.body.tee();
    sink.bytes = new Response(b).arrayBuffer().then(
      (buf) => new Uint8Array(buf),
      () => new Uint8Array(),
    );
    return new Response(a, response);
  };
}

function cases(p: PlatformUnderTest, variants: Variant[]): Case[] {
  const out: Case[] = [];
  variants.forEach((v, i) => {
    const n = v.lengths.length;
    const at = (f: number) => Math.min(n - 2, Math.max(1, Math.floor(n * f)));
    const add = (label: string, faults: Record<string, unknown>) =>
      out.push({ variant: v, label, faults });
    const mid = at(0.5);
    const len = v.lengths[mid] ?? 2;
    if (v.generation === 'prefill') {
      add(`drop after ${mid}`, { '1': { kind: 'drop', afterEvents: mid } });
      add(`drop inside event ${mid}`, {
        '1': { kind: 'drop', event: mid, bytes: Math.floor(len / 2) },
      });
      add(`overloaded after ${at(0.3)}`, {
        '1': { kind: 'error', afterEvents: at(0.3), errorType: 'overloaded_error' },
      });
      return;
    }
    add(`drop after ${mid}`, { '1': { kind: 'drop', afterEvents: mid } });
    for (const bytes of new Set([1, 6, Math.floor(len / 2), len - 1]))
      add(`drop inside event ${mid} at byte ${bytes} of ${len}`, {
        '1': { kind: 'drop', event: mid, bytes },
      });
    add(`reset after ${at(0.3)}`, { '1': { kind: 'reset', afterEvents: at(0.3) } });
    add(`reset inside event ${at(0.7)}`, {
      '1': { kind: 'reset', event: at(0.7), bytes: Math.floor((v.lengths[at(0.7)] ?? 2) / 2) },
    });
    add(`eof after ${at(0.6)}`, { '1': { kind: 'eof', afterEvents: at(0.6) } });
    add(`stall after ${at(0.25)}`, {
      '1': { kind: 'stall', afterEvents: at(0.25), ms: 10_000 },
    });
    add(`overloaded_error after ${at(0.4)}`, {
      '1': { kind: 'error', afterEvents: at(0.4), errorType: 'overloaded_error' },
    });
    const streamError = p.streamErrors[i % p.streamErrors.length] ?? 'api_error';
    add(`${streamError} after ${at(0.45)}`, {
      '1': { kind: 'error', afterEvents: at(0.45), errorType: streamError },
    });
    add('429 before the stream', {
      '1': { kind: 'http', status: 429, headers: { 'retry-after': '0' } },
    });
    add(`drop after ${at(0.2)}, then 503 on the continuation`, {
      '1': { kind: 'drop', afterEvents: at(0.2) },
      '2': { kind: 'http', status: 503 },
    });
    add('trickle', { '1': { kind: 'trickle', bytesPerWrite: 997, intervalMs: 0 } });
    add(`random seed ${i}`, {
      '1': { kind: 'random', seed: i },
      '2': { kind: 'random', seed: i + 100 },
    });
    add(`double drop after ${at(0.35)}, then after 5`, {
      '1': { kind: 'drop', afterEvents: at(0.35) },
      '2': { kind: 'drop', afterEvents: 5 },
    });
  });
  return out;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

/** Registers the matrix tests for one platform. */
export function platformMatrix(p: PlatformUnderTest): void {
  let mock: MockServer;
  const variants: Variant[] = [];
  const baselines = new Map<string, unknown>();
  let runSeq = 0;

  async function run(v: Variant, faults: Record<string, unknown>) {
    const runId = `${p.name}-${runSeq++}`;
    const sink: { bytes?: Promise<Uint8Array> } = {};
    const reports: RecoveryReport[] = [];
    const client = p.client(mock.url, [
      capture(sink),
      lifelineMiddleware({
        logger: false,
        onReport: (r) => reports.push(r),
        stallTimeoutMs: STALL_TIMEOUT_MS,
        keepAliveMs: 0,
        models: new ModelTable(),
        policy: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 6 },
      }),
    ]);
    const stream = client.beta.messages.stream(
      {
        model: p.models[v.generation],
        max_tokens: 4096,
        messages: [{ role: 'user', content: 'go' }],
      },
      {
        headers: {
          'x-mock-scenario': v.name,
          'x-mock-run': runId,
          'x-mock-faults': JSON.stringify(faults),
        },
      },
    );
    const final = await stream.finalMessage();
    const bytes = await (sink.bytes ?? Promise.resolve(new Uint8Array()));
    const records = mock.requests.filter((r) => r.runId === runId);
    return { final, bytes, report: reports[0], records };
  }

  beforeAll(async () => {
    const shipped = loadScenarios(SCENARIOS_DIR).filter((s) => !EXCLUDED.has(s.name));
    const scenarios: Scenario[] = [];
    for (const s of shipped) {
      for (const [generation, model] of [
        ['continue', 'claude-opus-4-6'],
        ['prefill', 'claude-opus-4-1'],
      ] as const) {
        scenarios.push({
          ...s,
          // How a model restates text at the seam is the main matrix's subject
          // (test/resume/fault-matrix.test.ts); here the continuation picks up exactly.
          ...NO_BEHAVIOUR,
          restate: 0,
          name: `${s.name}@${generation}`,
          requireBetas: false,
          prefill: 'auto',
          faults: {},
          message: { ...s.message, model },
        });
      }
    }
    mock = await startMock({ scenarios, ...p.mockOptions });
    for (const s of scenarios) {
      const [base = '', generation] = s.name.split('@');
      variants.push({
        name: s.name,
        base,
        generation: generation as Variant['generation'],
        lengths: mock.renderedEvents(s.name, p.name).map((b) => b.length),
        content: s.message.content,
      });
    }
  }, 60_000);

  afterAll(async () => {
    await mock?.close();
  });

  it('every scenario completes fault-free with exactly the scenario message, each attempt authenticated by the platform SDK', async () => {
    await pool(variants, 4, async (v) => {
      const { final, records } = await run(v, {});
      expect(JSON.parse(JSON.stringify(final.content))).toEqual(v.content);
      baselines.set(v.name, strip(final));
      expect(records).toHaveLength(1);
      expect(records[0]?.platform).toBe(p.name);
      expect(records[0]?.platformModel).toBe(p.models[v.generation]);
      expect(p.checkCredentials(records)).toBeUndefined();
    });
  }, 120_000);

  it('every fault kind over every scenario: the exact message, a well-formed stream, every attempt signed as sent', async () => {
    const all = cases(p, variants);
    const failures: string[] = [];
    const started = Date.now();
    let resumed = 0;
    const spent = new Map<string, number>();
    await pool(all, 8, async (c) => {
      const where = `${c.variant.name}: ${c.label}`;
      const t0 = performance.now();
      try {
        const { final, bytes, report, records } = await run(c.variant, c.faults);
        const problems = streamProblems(bytes);
        if (!isDeepStrictEqual(strip(final), baselines.get(c.variant.name)))
          problems.push('final message differs from the fault-free run');
        if (!isDeepStrictEqual(JSON.parse(JSON.stringify(final.content)), c.variant.content))
          problems.push('final content differs from the scenario message');
        const credentials = p.checkCredentials(records);
        if (credentials !== undefined) problems.push(credentials);
        const rejected = records.filter((r) => !r.validation.ok);
        for (const r of rejected)
          if (r.status !== 429 && r.status !== 503)
            problems.push(`attempt ${r.attempt} rejected: ${JSON.stringify(r.validation)}`);
        if (records.length > 1) resumed++;
        if (report === undefined) problems.push('no recovery report');
        if (problems.length > 0) failures.push(`${where}: ${problems.join('; ')}`);
        spent.set(c.variant.base, (spent.get(c.variant.base) ?? 0) + performance.now() - t0);
      } catch (err) {
        failures.push(
          `${where}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
        );
      }
    });
    console.log(
      `${p.name} matrix: ${all.length} cases over ${variants.length} scenario variants in ${((Date.now() - started) / 1000).toFixed(0)} s; ${all.length - failures.length} passed, ${resumed} needed more than one attempt`,
    );
    const slowest = [...spent].sort((a, b) => b[1] - a[1]).slice(0, 3);
    console.log(
      `  slowest scenarios (case time summed): ${slowest.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(0)} s`).join(', ')}`,
    );
    if (failures.length > 0) console.log(failures.slice(0, 30).join('\n'));
    expect(failures).toEqual([]);
    // The faults fired: nearly every case needed a second attempt (a trickle or a random fault need not).
    expect(resumed).toBeGreaterThan(all.length * 0.8);
  }, 600_000);
}
