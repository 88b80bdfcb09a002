/**
 * `lifeline proxy --workers 2 --resumable --store redis://...`: node:cluster workers share the
 * port, and any worker serves any stream through the store. A worker killed with SIGKILL is
 * restarted by the primary, and its stream is taken over by the other worker.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockServer } from '../../../src/mock/index.js';
import { hasRedis, type RedisServer, startRedis } from '../../helpers/redis.js';
import {
  API_KEY,
  assemble,
  fixtureScenarios,
  mockHeaders,
  requestBody,
  scenario,
  startMock,
  strip,
} from '../support.js';
import {
  type CliProcess,
  completeEvents,
  type ReceivedEvent,
  rawExchange,
  seqOf,
  startCliProcess,
} from './support.js';

const PLAIN = 'plain-long-text';
const TRICKLE = { kind: 'trickle', bytesPerWrite: 512, intervalMs: 2 };

function messageOf(events: ReceivedEvent[]) {
  return assemble(events.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join(''));
}
const expected = () => strip(scenario(PLAIN).message).content;
const pidOf = (instance: string | undefined) => Number(instance?.split('.')[0]);

describe.runIf(hasRedis())('--workers', () => {
  let redis: RedisServer;
  let mock: MockServer;
  let gateway: CliProcess;
  let configDir: string;
  let configFile: string;

  beforeAll(async () => {
    redis = await startRedis();
    configDir = mkdtempSync(join(tmpdir(), 'lifeline-workers-'));
    configFile = join(configDir, 'proxy.json');
    writeFileSync(configFile, JSON.stringify({ workers: 2, leaseMs: 1500 }));
    mock = await startMock({ scenarios: fixtureScenarios() });
    gateway = await startCliProcess([
      'proxy',
      '--port',
      '0',
      '--upstream',
      mock.url,
      // The worker count and the lease from the config file (the flag is the test below).
      '--config',
      configFile,
      '--resumable',
      '--store',
      redis.url,
      '--log-level',
      'warn',
    ]);
  });
  afterAll(async () => {
    if (gateway !== undefined) {
      const exited = new Promise((resolve) => gateway.process.once('exit', resolve));
      gateway.process.kill('SIGTERM');
      await exited;
    }
    await mock?.close();
    await redis?.stop();
    rmSync(configDir, { recursive: true, force: true });
  });

  const post = (cutAfter: number) =>
    rawExchange(
      gateway.url,
      {
        method: 'POST',
        path: '/v1/messages',
        headers: mockHeaders(PLAIN, { '1': TRICKLE }),
        body: requestBody(PLAIN),
      },
      cutAfter,
    );
  const reconnect = (id: string, last: string | undefined, cutAfter?: number) =>
    rawExchange(
      gateway.url,
      {
        method: 'GET',
        path: `/v1/lifeline/streams/${id}`,
        headers: { 'x-api-key': API_KEY, ...(last !== undefined ? { 'last-event-id': last } : {}) },
      },
      cutAfter,
    );

  it('prints one listening line for two workers', () => {
    expect(gateway.output()).toMatch(/listening on http:\/\/\S+ with 2 workers \(pids \d+, \d+\)/);
  });

  it('serves reconnects from both workers: the whole message, each event once', async () => {
    const first = await post(20_000);
    const id = first.headers['x-lifeline-stream-id'] as string;
    const got = completeEvents(first.body);
    const served = new Set([first.headers['x-lifeline-instance']]);
    let res = first;
    while (res.cut) {
      res = await reconnect(id, got.at(-1)?.id, 8_000);
      expect(res.status).toBe(200);
      served.add(res.headers['x-lifeline-instance']);
      got.push(...completeEvents(res.body));
    }
    expect(served.size).toBe(2);
    expect(got.map((e) => seqOf(e.id))).toEqual(got.map((_, i) => i + 1));
    expect(strip(messageOf(got).message).content).toEqual(expected());
  });

  it('a worker killed mid-stream is restarted, and the other worker takes its stream over', async () => {
    mock.reset();
    const first = await post(30_000);
    const id = first.headers['x-lifeline-stream-id'] as string;
    const producer = pidOf(first.headers['x-lifeline-instance']);
    expect(producer).toBeGreaterThan(0);
    process.kill(producer, 'SIGKILL');
    const got = completeEvents(first.body);
    let res = await reconnect(id, got.at(-1)?.id);
    got.push(...completeEvents(res.body));
    // A reconnect that reached the restarting worker's old connection may end early: go on.
    while (got.at(-1)?.event !== 'message_stop') {
      res = await reconnect(id, got.at(-1)?.id);
      got.push(...completeEvents(res.body));
    }
    expect(pidOf(res.headers['x-lifeline-instance'])).not.toBe(producer);
    expect(got.map((e) => seqOf(e.id))).toEqual(got.map((_, i) => i + 1));
    expect(strip(messageOf(got).message).content).toEqual(expected());
    expect(mock.requests.map((r) => r.kind)).toEqual(['fresh', 'prefill']);
    // The primary noticed and started another worker.
    const deadline = Date.now() + 20_000;
    while (!/worker \d+ stopped \(signal SIGKILL\); starting another/.test(gateway.output())) {
      if (Date.now() > deadline) throw new Error(`no restart in: ${gateway.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('refuses --workers with the memory store', async () => {
    const err = await startCliProcess([
      'proxy',
      '--port',
      '0',
      '--workers',
      '2',
      '--resumable',
    ]).catch((e: unknown) => e);
    expect(String(err)).toContain('--workers with --resumable needs a shared log');
    expect(String(err)).toContain('exited with 2');
  });
});
