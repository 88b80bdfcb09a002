/**
 * Stalls end to end, over real sockets: the engine (`runStream` over fetch) against the mock's
 * `stall` fault and a scripted upstream (test/fixtures/timed-upstream.ts). A dead connection
 * mid-text is resumed at the floor, a thinking block gets more, a long server-tool run is not
 * a stall (a fixed timeout as short as the floor would take it for one), pings through a
 * silence are a heartbeat whose end is a stall, and a caller that reads slowly is not one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineOptions, runStream, type Send } from '../../src/engine/index.js';
import { type MockServer, parseScenario, startMock } from '../../src/mock/index.js';
import type { RecoveryReport } from '../../src/resume/index.js';
import { plainLongText, serverToolLoop, thinkingAndText } from '../fixtures/streams.js';
import {
  continuation,
  type Step,
  sse,
  startTimedUpstream,
  type TimedUpstream,
  words,
} from '../fixtures/timed-upstream.js';

const FLOOR = 300;
const CEILING = 20_000;
const QUICK: EngineOptions = {
  stallFloorMs: FLOOR,
  stallTimeoutMs: CEILING,
  policy: { baseDelayMs: 1 },
};

let mock: MockServer;
beforeAll(async () => {
  mock = await startMock({
    scenarios: [
      parseScenario({ name: 'plain', message: plainLongText }, 'inline.json'),
      parseScenario({ name: 'server', message: serverToolLoop }, 'inline.json'),
      parseScenario({ name: 'thinking', message: thinkingAndText }, 'inline.json'),
    ],
  });
});
afterAll(async () => {
  await mock.close();
});

let seq = 0;
function mockSend(scenario: string, faults: unknown): Send {
  const run = `stall-${seq++}`;
  return async ({ body, signal }) => {
    const response = await fetch(`${mock.url}/v1/messages`, {
      method: 'POST',
      signal,
      headers: {
        'content-type': 'application/json',
        'x-mock-scenario': scenario,
        'x-mock-run': run,
        'x-mock-faults': JSON.stringify(faults),
      },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: response.body };
  };
}

function urlSend(url: string): Send {
  return async ({ body, signal }) => {
    const response = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: response.body };
  };
}

const request = (model = 'claude-opus-4-6') => ({
  model,
  max_tokens: 1000,
  stream: true,
  messages: [{ role: 'user' as const, content: 'hi' }],
});

interface Outcome {
  report: RecoveryReport;
  /** The client's text blocks' text, joined. */
  text: string;
  ms: number;
}

/** Runs one request and reads its body the way a client would (`pauseMs` between chunks). */
async function run(send: Send, options: EngineOptions, pauseMs = 0): Promise<Outcome> {
  const t0 = performance.now();
  const result = await runStream(request(), send, options);
  if (result.kind !== 'stream') throw new Error(`expected a stream, got ${result.kind}`);
  const decoder = new TextDecoder();
  let raw = '';
  for await (const chunk of result.body) {
    raw += decoder.decode(chunk, { stream: true });
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  let text = '';
  for (const match of raw.matchAll(/^data: (\{"type":"content_block_delta".*)$/gm)) {
    const delta = (JSON.parse(match[1] as string) as { delta: { type: string; text?: string } })
      .delta;
    if (delta.type === 'text_delta') text += delta.text;
  }
  return { report: await result.report, text, ms: performance.now() - t0 };
}

/** The budget a stall's message names. */
function budgetOf(message: string | undefined): number {
  return Number(/stall budget (\d+) ms/.exec(message ?? '')?.[1]);
}

const textOf = (message: typeof plainLongText) =>
  message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');

/** Index of the first event of the scenario's fault-free stream that `match` accepts. */
async function eventIndex(scenario: string, match: (data: Record<string, unknown>) => boolean) {
  const response = await mockSend(
    scenario,
    {},
  )({
    body: request(),
    attempt: 1,
    signal: new AbortController().signal,
  });
  const text = await new Response(response.body as ReadableStream).text();
  const events = [...text.matchAll(/^data: (.*)$/gm)].map(
    (m) => JSON.parse(m[1] as string) as Record<string, unknown>,
  );
  const index = events.findIndex(match);
  if (index < 0) throw new Error(`no such event in ${scenario}`);
  return index;
}

describe('stalls against the mock', () => {
  it('resumes a connection that dies mid-text at the floor, not the ceiling', async () => {
    const { report, text, ms } = await run(
      mockSend('plain', { '1': { kind: 'stall', afterEvents: 300, ms: 60_000 } }),
      QUICK,
    );
    expect(text).toBe(textOf(plainLongText));
    expect(report.outcome).toBe('recovered');
    expect(report.failures).toEqual(['stall']);
    const stalled = report.attempts[0];
    expect(stalled?.failure?.message).toMatch(
      /^no data from upstream for \d+ ms while content streamed \(adaptive stall budget \d+ ms\)$/,
    );
    // The floor, or 4x the longest gap a loaded machine put between the mock's chunks.
    expect(budgetOf(stalled?.failure?.message)).toBeGreaterThanOrEqual(FLOOR);
    expect(budgetOf(stalled?.failure?.message)).toBeLessThan(CEILING / 4);
    expect(stalled?.durationMs).toBeGreaterThanOrEqual(FLOOR);
    expect(ms).toBeLessThan(CEILING / 4);
  });

  it('in fixed mode, waits out stallTimeoutMs whatever the stream does', async () => {
    const { report, text } = await run(
      mockSend('plain', { '1': { kind: 'stall', afterEvents: 300, ms: 60_000 } }),
      { ...QUICK, stall: 'fixed', stallTimeoutMs: 1_200 },
    );
    expect(text).toBe(textOf(plainLongText));
    expect(report.failures).toEqual(['stall']);
    expect(report.attempts[0]?.failure?.message).toMatch(/\(fixed stall budget 1200 ms\)$/);
    expect(report.attempts[0]?.durationMs).toBeGreaterThanOrEqual(1_200);
  });

  it('gives a thinking block 3x the floor before calling its silence a stall', async () => {
    const { report, text } = await run(
      mockSend('thinking', { '1': { kind: 'stall', afterEvents: 40, ms: 60_000 } }),
      QUICK,
    );
    expect(text).toBe(textOf(thinkingAndText));
    expect(report.failures).toEqual(['stall']);
    const message = report.attempts[0]?.failure?.message;
    expect(message).toMatch(/in a thinking block \(adaptive stall budget \d+ ms\)$/);
    expect(budgetOf(message)).toBeGreaterThanOrEqual(3 * FLOOR);
    expect(budgetOf(message)).toBeLessThan(CEILING / 4);
    expect(report.attempts[0]?.durationMs).toBeGreaterThanOrEqual(3 * FLOOR);
  });

  describe('a server tool running for longer than the floor', () => {
    let afterToolUse: number;
    const toolRun = () => ({ '1': { kind: 'stall', afterEvents: afterToolUse, ms: 1_500 } });
    beforeAll(async () => {
      const isToolUse = (d: Record<string, unknown>) =>
        d.type === 'content_block_start' &&
        (d.content_block as { type?: string }).type === 'server_tool_use';
      const start = await eventIndex('server', isToolUse);
      // The tool runs between its use's content_block_stop and its result's start.
      afterToolUse =
        1 + (await eventIndex('server', (d) => d.type === 'content_block_stop' && d.index === 1));
      expect(afterToolUse).toBeGreaterThan(start + 1);
    });

    it('is not a stall', async () => {
      const { report, text, ms } = await run(mockSend('server', toolRun()), QUICK);
      expect(report.outcome).toBe('clean');
      expect(report.failures).toEqual([]);
      expect(text).toBe(textOf(serverToolLoop));
      expect(ms).toBeGreaterThanOrEqual(1_500);
    });

    it('would be one for a fixed timeout as short as the floor', async () => {
      const { report, text } = await run(mockSend('server', toolRun()), {
        ...QUICK,
        stall: 'fixed',
        stallTimeoutMs: FLOOR,
      });
      expect(report.failures[0]).toBe('stall');
      expect(text).toBe(textOf(serverToolLoop));
    });
  });
});

describe('stalls against a scripted upstream', () => {
  let upstream: TimedUpstream;
  let script: (attempt: number) => Step[];
  beforeAll(async () => {
    upstream = await startTimedUpstream((attempt) => script(attempt));
  });
  afterAll(async () => {
    await upstream.close();
  });
  const opening = [
    sse.messageStart(),
    sse.ping(),
    sse.textStart(0),
    ...words(0, 'Let me run it. '),
  ];

  it('takes pings through a server tool run for a heartbeat, and their end for a stall', async () => {
    upstream.reset();
    script = (attempt) =>
      attempt === 1
        ? [
            ...opening,
            sse.blockStop(0),
            sse.serverToolUse(1),
            sse.input(1, '{"code": "print(42)"}'),
            sse.blockStop(1),
            { pings: 4, every: 100 },
            'hang',
          ]
        : continuation('The answer is 42.');
    const { report, ms } = await run(urlSend(upstream.url), QUICK);
    expect(report.outcome).toBe('recovered');
    const message = report.attempts[0]?.failure?.message;
    expect(message).toMatch(/while a server tool ran \(adaptive stall budget \d+ ms\)$/);
    // 3x the pings' interval (100 ms and the timers' jitter), not the ceiling.
    expect(budgetOf(message)).toBeGreaterThanOrEqual(300);
    expect(budgetOf(message)).toBeLessThan(CEILING / 4);
    expect(ms).toBeLessThan(5_000);
  });

  it('lets a silent server tool run up to the ceiling', async () => {
    upstream.reset();
    script = () => [
      ...opening,
      sse.blockStop(0),
      sse.serverToolUse(1),
      sse.blockStop(1),
      { wait: 1_000 },
      sse.codeResult(2),
      sse.blockStop(2),
      sse.textStart(3),
      ...words(3, 'It printed 42.'),
      sse.blockStop(3),
      sse.messageDelta(),
      sse.messageStop(),
    ];
    const { report, text } = await run(urlSend(upstream.url), QUICK);
    expect(report.outcome).toBe('clean');
    expect(text).toBe('Let me run it. It printed 42.');
  });

  it('does not count the time a slow caller takes between reads as the upstream’s silence', async () => {
    upstream.reset();
    script = () => [
      ...opening,
      ...words(0, 'one two three four five six seven eight nine ten'),
      sse.blockStop(0),
      sse.messageDelta(),
      sse.messageStop(),
    ];
    const { report } = await run(urlSend(upstream.url), QUICK, 2 * FLOOR);
    expect(report.outcome).toBe('clean');
    expect(upstream.requests).toHaveLength(1);
  });
});
