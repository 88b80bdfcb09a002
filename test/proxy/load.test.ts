/**
 * Load: 500 concurrent streams through the proxy, one in five with an injected fault (socket
 * drop, clean EOF, or an overloaded_error event), all on loopback. Every stream must end with
 * the scenario's message, and the proxy must give its memory back afterwards.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServer, parseScenario, startMock } from '../../src/mock/index.js';
import type { BetaMessage } from '../../src/protocol/index.js';
import { type ProxyServer, startProxy } from '../../src/proxy/index.js';
import { API_KEY, LogCapture, loadMessage, readStreamed, strip } from './support.js';

const STREAMS = 500;
const FAULTS = [
  { '1': { kind: 'drop', event: 60, bytes: 12 } },
  { '1': { kind: 'eof', afterEvents: 40 } },
  { '1': { kind: 'error', afterEvents: 30, errorType: 'overloaded_error' } },
];

const message = loadMessage('load', 24, 400);

/** A gc() for measuring retained memory (vitest workers do not run with --expose-gc). */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

let mock: MockServer;
let proxy: ProxyServer;
const log = new LogCapture();
beforeAll(async () => {
  mock = await startMock({
    scenarios: [parseScenario({ name: 'load', chunking: { text: 16 }, message }, 'inline.json')],
  });
  proxy = await startProxy({
    port: 0,
    upstream: mock.url,
    baseDelayMs: 1,
    logLevel: 'warn',
    logDestination: log,
    processMetrics: false,
  });
});
afterAll(async () => {
  await proxy.close(1_000);
  await mock.close();
});

async function stream(dispatcher: Agent, i: number): Promise<BetaMessage | string> {
  const faults = i % 5 === 0 ? FAULTS[(i / 5) % FAULTS.length] : {};
  const res = await request(`${proxy.url}/v1/messages`, {
    method: 'POST',
    dispatcher,
    headers: {
      'x-api-key': API_KEY,
      'content-type': 'application/json',
      'x-mock-run': `load-${i}`,
      'x-mock-faults': JSON.stringify(faults),
    },
    body: JSON.stringify({
      model: 'claude-opus-4-6',
      max_tokens: 1000,
      stream: true,
      messages: [{ role: 'user', content: 'go' }],
    }),
  });
  if (res.statusCode !== 200) return `status ${res.statusCode}: ${await res.body.text()}`;
  return readStreamed(res.body);
}

describe('500 concurrent streams', () => {
  it('all complete with the scenario message, faults recovered, memory returned', async () => {
    const dispatcher = new Agent({ connections: STREAMS + 50, keepAliveTimeout: 10_000 });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    try {
      const results = await Promise.all(
        Array.from({ length: STREAMS }, (_, i) => stream(dispatcher, i)),
      );
      const elapsed = performance.now() - started;
      const failed = results.filter((r) => typeof r === 'string');
      expect(failed).toEqual([]);
      const expected = strip(message).content;
      for (const r of results) expect(strip(r).content).toEqual(expected);
      expect(elapsed).toBeLessThan(45_000);
      const faulted = mock.requests.filter((r) => r.fault?.fires === true).length;
      expect(faulted).toBe(STREAMS / 5);
      expect(mock.requests.length).toBe(STREAMS + STREAMS / 5);
      console.log(
        `load: ${STREAMS} streams (${faulted} faulted) in ${Math.round(elapsed)} ms, ` +
          `rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MiB`,
      );
    } finally {
      await dispatcher.close();
    }
    expect(proxy.activeRequests).toBe(0);
    expect(proxy.bufferedBytes()).toBe(0);
    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    // The mock keeps a record per request; everything else must be gone.
    expect(growth).toBeLessThan(64 * 2 ** 20);
    expect(log.text).not.toContain(API_KEY);
  });
});
