/**
 * Stall benchmark: how long a client waits for content after an upstream goes quiet, with the
 * fixed stall timeout and with adaptive detection (src/engine/stall.ts).
 *
 * Method:
 * - Upstream: the scripted SSE server of the engine's stall tests (test/fixtures/
 *   timed-upstream.ts) on loopback; the engine (`runStream`) reads it over `fetch`, a client
 *   in this process reads the engine's output. A continuation is answered at once.
 * - Times are scaled down so the run takes seconds: ceiling (`stallTimeoutMs`) CEILING_MS
 *   (default 800, standing for the default 90 s), floor (`stallFloorMs`) FLOOR_MS (default
 *   100, for 10 s); fixed mode gets the same `stallTimeoutMs`. Text and thinking deltas come
 *   every 10 ms.
 * - Scenarios: a text stream whose model slows down (pings every 50 ms for 0.2 s) and then
 *   dies; a dead connection mid-text; a dead connection inside a thinking block; a server tool
 *   that runs for TOOL_MS (default 600) in silence and then answers (NOT a stall: the
 *   waiting is the tool's); a server tool run with pings every 100 ms whose pings stop (dead).
 * - Measured, per run, on one clock (`performance.now()` in this process): the longest
 *   silence between two upstream events (the engine's trace sink sees every event as it is
 *   parsed), from its last event (the stalled stream's last byte), to the first chunk the
 *   client reads after the silence's end that carries a content block event: "last byte to
 *   content". Stalls declared, and the budget of the adaptive one, come from the report.
 *   REPS runs per scenario and mode (default 2), interleaved; medians are printed.
 *
 * Env: STALL_BENCH_REPS, STALL_BENCH_CEILING_MS, STALL_BENCH_FLOOR_MS, STALL_BENCH_TOOL_MS.
 */
import { type EngineOptions, runStream, type Send, type TraceSink } from '../src/engine/index.js';
import type { RecoveryReport } from '../src/resume/index.js';
import {
  continuation,
  type Step,
  sse,
  startTimedUpstream,
  words,
} from '../test/fixtures/timed-upstream.js';
import { fmt, table } from './resume-shared.js';

const REPS = Number(process.env.STALL_BENCH_REPS ?? 2);
const CEILING_MS = Number(process.env.STALL_BENCH_CEILING_MS ?? 800);
const FLOOR_MS = Number(process.env.STALL_BENCH_FLOOR_MS ?? 100);
const TOOL_MS = Number(process.env.STALL_BENCH_TOOL_MS ?? 600);
const DELTA_MS = 10;

const TEXT = 'Revenue grew in every region and the margins held. ';

/** Deltas with DELTA_MS between them. */
function paced(deltas: string[]): Step[] {
  return deltas.flatMap((d) => [d, { wait: DELTA_MS }]);
}

interface Scenario {
  name: string;
  /** Whether the silence is a dead connection (a stall to catch) or normal (to sit out). */
  dead: boolean;
  first: Step[];
}

const opening = [sse.messageStart(), sse.ping(), sse.textStart(0)];
const scenarios: Scenario[] = [
  {
    name: 'text with pings, then dead',
    dead: true,
    first: [
      ...opening,
      ...paced(words(0, TEXT)),
      { pings: 4, every: 50 },
      ...paced(words(0, TEXT)),
      'hang',
    ],
  },
  {
    name: 'dead mid-text',
    dead: true,
    first: [...opening, ...paced(words(0, TEXT)), 'hang'],
  },
  {
    name: 'dead in a thinking block',
    dead: true,
    first: [
      sse.messageStart(),
      sse.ping(),
      sse.thinkingStart(0),
      ...paced(TEXT.split(' ').map((w) => sse.thinking(0, `${w} `))),
      'hang',
    ],
  },
  {
    name: `server tool runs ${TOOL_MS} ms (not a stall)`,
    dead: false,
    first: [
      ...opening,
      ...paced(words(0, 'Let me run it. ')),
      sse.blockStop(0),
      sse.serverToolUse(1),
      sse.input(1, '{"code": "print(42)"}'),
      sse.blockStop(1),
      { wait: TOOL_MS },
      sse.codeResult(2),
      sse.blockStop(2),
      sse.textStart(3),
      ...paced(words(3, 'It printed 42.')),
      sse.blockStop(3),
      sse.messageDelta(),
      sse.messageStop(),
    ],
  },
  {
    name: 'server tool with pings, then dead',
    dead: true,
    first: [
      ...opening,
      ...paced(words(0, 'Let me run it. ')),
      sse.blockStop(0),
      sse.serverToolUse(1),
      sse.blockStop(1),
      { pings: 3, every: 100 },
      'hang',
    ],
  },
];

interface Run {
  /** Last byte before the longest silence to the first content after it, ms. */
  waitMs: number;
  stalls: number;
  /** The stall's message (its budget), when one was declared. */
  failure: string | undefined;
}

let script: Scenario = scenarios[0] as Scenario;
const upstream = await startTimedUpstream((attempt) =>
  attempt === 1 ? script.first : continuation('The rest of the answer.'),
);
const send: Send = async ({ body, signal }) => {
  const response = await fetch(`${upstream.url}/v1/messages`, {
    method: 'POST',
    signal,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: response.body };
};

async function once(scenario: Scenario, mode: 'fixed' | 'adaptive'): Promise<Run> {
  script = scenario;
  upstream.reset();
  const events: number[] = [];
  const trace: TraceSink = {
    attempt() {},
    event() {
      events.push(performance.now());
    },
    failure() {},
    end() {},
  };
  const options: EngineOptions = {
    stall: mode,
    stallTimeoutMs: CEILING_MS,
    stallFloorMs: FLOOR_MS,
    policy: { baseDelayMs: 1 },
    trace,
  };
  const result = await runStream(
    {
      model: 'claude-opus-4-6',
      max_tokens: 1024,
      stream: true,
      messages: [{ role: 'user', content: 'Run it.' }],
    },
    send,
    options,
  );
  if (result.kind !== 'stream') throw new Error(`${scenario.name}: no stream`);
  const decoder = new TextDecoder();
  const content: number[] = [];
  for await (const chunk of result.body) {
    if (decoder.decode(chunk).includes('"content_block_')) content.push(performance.now());
  }
  const report: RecoveryReport = await result.report;
  if (report.outcome === 'failed') throw new Error(`${scenario.name} (${mode}): failed`);
  let gapAt = 0;
  for (let i = 1; i < events.length; i++) {
    if (
      (events[i] as number) - (events[i - 1] as number) >
      (events[gapAt + 1] as number) - (events[gapAt] as number)
    )
      gapAt = i - 1;
  }
  const lastByte = events[gapAt] as number;
  const silenceEnd = events[gapAt + 1] as number;
  const resumed = content.find((t) => t >= silenceEnd);
  if (resumed === undefined)
    throw new Error(`${scenario.name} (${mode}): no content after the silence`);
  return {
    waitMs: resumed - lastByte,
    stalls: report.failures.filter((f) => f === 'stall').length,
    failure: report.attempts.find((a) => a.failure?.kind === 'stall')?.failure?.message,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};

console.log(
  `Stall benchmark: last byte before a silence to the first content after it; ceiling (stallTimeoutMs) ${CEILING_MS} ms, floor (stallFloorMs) ${FLOOR_MS} ms (the defaults 90 s and 10 s, scaled down), ${REPS} runs each, medians`,
);
const rows: string[][] = [];
for (const scenario of scenarios) {
  const runs: Record<'fixed' | 'adaptive', Run[]> = { fixed: [], adaptive: [] };
  for (let i = 0; i < REPS; i++) {
    for (const mode of i % 2 === 0
      ? (['fixed', 'adaptive'] as const)
      : (['adaptive', 'fixed'] as const)) {
      runs[mode].push(await once(scenario, mode));
    }
  }
  const fixed = median(runs.fixed.map((r) => r.waitMs));
  const adaptive = median(runs.adaptive.map((r) => r.waitMs));
  const budgets = runs.adaptive.flatMap((r) => {
    const budget = /budget (\d+) ms/.exec(r.failure ?? '')?.[1];
    return budget === undefined ? [] : [Number(budget)];
  });
  rows.push([
    scenario.name,
    scenario.dead ? 'dead' : 'alive',
    fmt(fixed, 0),
    fmt(adaptive, 0),
    `${fmt(fixed / adaptive, 2)}x`,
    `${median(runs.fixed.map((r) => r.stalls))}/${median(runs.adaptive.map((r) => r.stalls))}`,
    budgets.length === 0 ? '-' : fmt(median(budgets), 0),
  ]);
}
table(
  [
    'scenario',
    'upstream',
    'fixed ms',
    'adaptive ms',
    'fixed/adaptive',
    'stalls f/a',
    'adaptive budget ms',
  ],
  rows,
);
console.log(
  'A dead upstream is caught at its adaptive budget (the floor mid-text, 3x the floor in thinking, 3x a ping heartbeat); a silent server-tool run is waited out by both (no stall declared).',
);
await upstream.close();
