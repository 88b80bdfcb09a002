/**
 * Shared pieces of the proxy tests: the scenario mock, a proxy in front of it with a captured
 * log, a hand-written upstream, and an SSE-to-message reassembler for raw HTTP clients.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { MessageAccumulator, parseStreamEvent } from '../../src/message/index.js';
import { loadScenarios, type MockServer, type Scenario, startMock } from '../../src/mock/index.js';

// Proxy tests import it from here with the rest of their fixtures; its one home is the helper.
export { strip } from '../helpers/message.js';
export { startMock };

import type { BetaMessage } from '../../src/protocol/index.js';
import { type ProxyOptions, type ProxyServer, startProxy } from '../../src/proxy/index.js';
import { SseDecoder } from '../../src/sse/index.js';

import { SCENARIOS_DIR } from '../helpers/mock.js';
export const SEED = 'seed-opus-4-6-code-execution';
export const API_KEY = 'sk-ant-test-9f8e7d6c5b4a-SECRET';

let scenarios: Scenario[] | undefined;
export function fixtureScenarios(): Scenario[] {
  scenarios ??= loadScenarios(SCENARIOS_DIR);
  return scenarios;
}

export function scenario(name: string): Scenario {
  const found = fixtureScenarios().find((s) => s.name === name);
  if (found === undefined) throw new Error(`no fixture scenario ${name}`);
  return found;
}

/** Headers that select a scenario and a fresh run (attempt counters start at 1). */
export function mockHeaders(name: string, faults?: unknown): Record<string, string> {
  const s = scenario(name);
  return {
    'x-api-key': API_KEY,
    'anthropic-version': '2023-06-01',
    'content-type': 'application/json',
    'x-mock-scenario': name,
    'x-mock-run': `${name}-${Math.random().toString(36).slice(2)}`,
    ...(s.betas.length > 0 ? { 'anthropic-beta': s.betas.join(',') } : {}),
    ...(faults !== undefined ? { 'x-mock-faults': JSON.stringify(faults) } : {}),
  };
}

export function requestBody(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model: scenario(name).message.model,
    max_tokens: 4096,
    stream: true,
    messages: [{ role: 'user', content: 'Build the report.' }],
    ...extra,
  });
}

/** A log sink kept in memory, one parsed JSON object per line. */
export class LogCapture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
  lines(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface Fixture {
  mock: MockServer;
  proxy: ProxyServer;
  log: LogCapture;
  close(): Promise<void>;
}

/**
 * A proxy in front of the scenario mock, with its log captured. Pass `shared` to reuse a mock
 * (starting one renders every fixture scenario, which takes a while); it is then left open.
 */
export async function startFixture(
  options: Partial<ProxyOptions> = {},
  shared?: MockServer,
): Promise<Fixture> {
  const mock = shared ?? (await startMock({ scenarios: fixtureScenarios() }));
  const log = new LogCapture();
  const proxy = await startProxy({
    port: 0,
    upstream: mock.url,
    baseDelayMs: 1,
    logLevel: 'debug',
    logDestination: log,
    processMetrics: false,
    ...options,
  });
  return {
    mock,
    proxy,
    log,
    async close() {
      await proxy.close(1_000);
      if (shared === undefined) await mock.close();
    },
  };
}

/** Reassembles a message from SSE bytes, as the SDKs do. */
export function assemble(body: Uint8Array | string): {
  message: BetaMessage | undefined;
  error: { type: string; message: string } | undefined;
  comments: string[];
} {
  const comments: string[] = [];
  const decoder = new SseDecoder({ onComment: (c) => comments.push(c) });
  const acc = new MessageAccumulator();
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  for (const ev of decoder.push(bytes)) acc.push(parseStreamEvent(ev));
  const snap = acc.snapshot();
  return { message: snap.stopped ? acc.toMessage() : undefined, error: snap.error, comments };
}

/**
 * Reads a streamed body to its end, decoding as it arrives (as the SDKs do): the message, or
 * what went wrong instead (an SSE error event, no message_stop).
 */
export async function readStreamed(body: AsyncIterable<Uint8Array>): Promise<BetaMessage | string> {
  const decoder = new SseDecoder();
  const acc = new MessageAccumulator();
  for await (const chunk of body) {
    for (const event of decoder.push(chunk)) acc.push(parseStreamEvent(event));
  }
  const snap = acc.snapshot();
  if (snap.error) return `error event: ${snap.error.message}`;
  return snap.stopped ? acc.toMessage() : 'no message_stop';
}

/** The message of the load tests: `lines` numbered sentences, then a client tool use. */
export function loadMessage(id: string, lines: number, outputTokens: number) {
  const words = 'the stream carries every block to the client even when the socket closes early';
  const text = Array.from({ length: lines }, (_, i) => `${i}: ${words}.`).join(' ');
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: 'claude-opus-4-6',
    content: [
      { type: 'text', text },
      { type: 'tool_use', id: `toolu_${id}`, name: 'record', input: { rows: lines, ok: true } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: outputTokens },
  };
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CustomUpstream {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A hand-written upstream for what the scenario mock does not do (bad bodies, header capture). */
export async function startCustomUpstream(
  handler: (req: SeenRequest, res: ServerResponse) => void,
): Promise<CustomUpstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts).toString('utf8'),
      };
      seen.push(record);
      handler(record, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The seed scenario's attempt 1 fault: 20 bytes of JSON into block 38's input_json_delta. */
export const SEED_CUT_EVENT = 2430;
export const SEED_CUT_BYTES = 76;

/** SSE bytes the mock sends of the seed scenario's attempt 1 before its cut. */
export function seedCutAt(mock: MockServer): number {
  const events = mock.renderedEvents(SEED);
  return events.slice(0, SEED_CUT_EVENT).reduce((n, e) => n + e.length, 0) + SEED_CUT_BYTES;
}
