/**
 * The proxy's engine sees an upstream stream up to where the upstream really cut it.
 *
 * Regression: undici's `request()` body is destroyed as soon as the connection ends, with
 * whatever it still buffered. A reader a little behind (a loaded machine, the first request
 * after start, a trace being written) saw the seed scenario's first attempt end ~30 KB early,
 * in block 9 with "other side closed", although the mock cut it 20 bytes into block 38; the
 * engine then asked the upstream again for bytes it had already been sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServer, startMock } from '../../src/mock/index.js';
import { startProxy } from '../../src/proxy/index.js';
import { Upstream } from '../../src/proxy/upstream.js';
import type { RecoveryReport } from '../../src/resume/index.js';
import { SEED_REQUEST } from '../fixtures/captures/make-seed-capture.js';
import { startLateRelay } from '../helpers/late-relay.js';
import {
  assemble,
  mockHeaders,
  SEED,
  SEED_CUT_EVENT,
  scenario,
  seedCutAt,
  strip,
} from './support.js';

let mock: MockServer;
/** SSE bytes before the cut: what attempt 1 must deliver. */
let cutAt: number;
beforeAll(async () => {
  mock = await startMock({ scenarios: [scenario(SEED)] });
  cutAt = seedCutAt(mock);
});
afterAll(async () => {
  await mock.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Upstream.stream', () => {
  it('hands a slow reader every byte sent before the connection closed, then the error', async () => {
    const upstream = new Upstream(mock.url);
    try {
      const res = await upstream.stream({
        method: 'POST',
        path: '/v1/messages',
        headers: mockHeaders(SEED),
        body: JSON.stringify(SEED_REQUEST),
      });
      expect(res.statusCode).toBe(200);
      let bytes = 0;
      let paused = 0;
      let error: unknown;
      try {
        for await (const chunk of res.body) {
          bytes += chunk.length;
          // Behind the socket: the close arrives while received bytes still wait to be read.
          if (bytes - paused >= 16 * 1024) {
            paused = bytes;
            await sleep(10);
          }
        }
      } catch (err) {
        error = err;
      }
      const record = mock.requests.at(-1);
      expect(record?.sse).toMatchObject({ outcome: 'dropped', bytes: cutAt });
      expect(bytes).toBe(cutAt);
      expect((error as Error | undefined)?.message).toMatch(/other side closed/);
    } finally {
      await upstream.close();
    }
  });

  it('ends the body at once when the signal aborts', async () => {
    const upstream = new Upstream(mock.url);
    const abort = new AbortController();
    try {
      const res = await upstream.stream({
        method: 'POST',
        path: '/v1/messages',
        headers: mockHeaders(SEED, {}),
        body: JSON.stringify(SEED_REQUEST),
        signal: abort.signal,
      });
      let bytes = 0;
      let error: unknown;
      try {
        for await (const chunk of res.body) {
          bytes += chunk.length;
          abort.abort(new Error('stop here'));
        }
      } catch (err) {
        error = err;
      }
      expect((error as Error | undefined)?.message).toBe('stop here');
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThan(cutAt);
    } finally {
      await upstream.close();
    }
  });
});

describe('the seed incident through a freshly started proxy', () => {
  // The first request after start, through a trace, and the upstream's bytes arriving all at
  // once with its FIN (startLateRelay): the proxy is behind when the close arrives.
  it.each([1, 2, 3])(
    "resumes from the mock's cut (block 38), not from where a slow read stopped (fresh proxy %i)",
    async () => {
      const traceDir = mkdtempSync(join(tmpdir(), 'lifeline-cut-point-'));
      const reports: RecoveryReport[] = [];
      const relay = await startLateRelay(mock);
      const proxy = await startProxy({
        port: 0,
        upstream: relay.url,
        baseDelayMs: 1,
        logLevel: 'silent',
        processMetrics: false,
        traceDir,
        onReport: (r) => reports.push(r),
      });
      try {
        const res = await fetch(`${proxy.url}/v1/messages`, {
          method: 'POST',
          headers: mockHeaders(SEED),
          body: JSON.stringify(SEED_REQUEST),
        });
        expect(res.status).toBe(200);
        const out = assemble(new Uint8Array(await res.arrayBuffer()));
        expect(strip(out.message).content).toEqual(strip(scenario(SEED).message).content);

        const [first, second] = mock.requests.slice(-2);
        expect(first?.sse).toMatchObject({
          outcome: 'dropped',
          bytes: cutAt,
          events: SEED_CUT_EVENT,
        });
        expect(second?.kind).toBe('continuation');
        const report = reports[0];
        expect(report?.outcome).toBe('recovered');
        // Attempt 1 as the engine saw it: every byte the mock sent, cut inside block 38.
        expect(report?.attempts[0]).toMatchObject({ bytes: cutAt, events: SEED_CUT_EVENT });
        expect(report?.attempts[0]?.failure?.message).toMatch(/other side closed/);
      } finally {
        await proxy.close(1_000);
        await relay.close();
        rmSync(traceDir, { recursive: true, force: true });
      }
    },
  );
});
