/**
 * Takeover with a real redis-server and proxies as separate processes: the instance producing
 * a stream is killed with SIGKILL mid-stream; its lease expires; the client reconnects to
 * another instance, which continues the upstream generation from the logged partial message
 * (the engine's planner: prefill for this model) and appends to the same log. The client gets
 * the whole message, each event once. With two survivors and two reconnects at once, exactly
 * one instance takes the stream over.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  killNine,
  type ReceivedEvent,
  rawExchange,
  seqOf,
  startCliProcess,
} from './support.js';

const PLAIN = 'plain-long-text';
/** About 2 s for the whole stream: the instance dies well inside it. */
const TRICKLE = { kind: 'trickle', bytesPerWrite: 512, intervalMs: 2 };
/**
 * Short, so the test is quick; not too short: an instance whose event loop stalls longer than
 * the lease (a loaded CI machine) loses its stream to another, which is correct but not what
 * these tests count.
 */
const LEASE_MS = 1_500;

function messageOf(events: ReceivedEvent[]) {
  return assemble(events.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join(''));
}
const expected = () => strip(scenario(PLAIN).message).content;

describe.runIf(hasRedis())('takeover after kill -9', () => {
  let redis: RedisServer;
  let mock: MockServer;
  const children: CliProcess[] = [];

  const instance = async (...extra: string[]) => {
    const child = await startCliProcess([
      'proxy',
      '--port',
      '0',
      '--upstream',
      mock.url,
      '--resumable',
      '--store',
      redis.url,
      '--lease-ms',
      String(LEASE_MS),
      '--log-level',
      'warn',
      ...extra,
    ]);
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    redis = await startRedis();
    mock = await startMock({ scenarios: fixtureScenarios() });
  });
  afterEach(async () => {
    for (const c of children.splice(0)) await killNine(c);
  });
  afterAll(async () => {
    await mock?.close();
    await redis?.stop();
  });

  /** Starts a stream on `owner` and reads `bytes` of it, then hangs up. */
  async function startStream(owner: CliProcess, bytes: number, name = PLAIN, trickle = TRICKLE) {
    const res = await rawExchange(
      owner.url,
      {
        method: 'POST',
        path: '/v1/messages',
        headers: mockHeaders(name, { '1': trickle }),
        body: requestBody(name),
      },
      bytes,
    );
    expect(res.status).toBe(200);
    return { id: res.headers['x-lifeline-stream-id'] as string, got: completeEvents(res.body) };
  }

  const reconnect = (target: CliProcess, id: string, last: string | undefined) =>
    rawExchange(target.url, {
      method: 'GET',
      path: `/v1/lifeline/streams/${id}`,
      headers: { 'x-api-key': API_KEY, ...(last !== undefined ? { 'last-event-id': last } : {}) },
    });

  it.each([
    // claude-sonnet-4-5 takes a prefill; claude-opus-4-6 refuses one: a continuation turn.
    { name: PLAIN, kind: 'prefill', trickle: TRICKLE },
    {
      name: 'seam-code',
      kind: 'continuation',
      trickle: { kind: 'trickle', bytesPerWrite: 64, intervalMs: 3 },
    },
  ])(
    'another instance continues $name ($kind); the client gets the whole message',
    async ({ name, kind, trickle }) => {
      const [a, b] = [await instance(), await instance()];
      mock.reset();
      const size = mock.renderedEvents(name).reduce((n, e) => n + e.length, 0);
      const { id, got } = await startStream(a, Math.floor(size * 0.4), name, trickle);
      const killedAt = performance.now();
      await killNine(a);
      const rest = await reconnect(b, id, got.at(-1)?.id);
      const tookMs = performance.now() - killedAt;
      expect(rest.status).toBe(200);
      const all = [...got, ...completeEvents(rest.body)];
      expect(all.map((e) => seqOf(e.id))).toEqual(all.map((_, i) => i + 1));
      expect(strip(messageOf(all).message).content).toEqual(strip(scenario(name).message).content);
      // The upstream saw the first attempt and one continuation (from b), nothing else.
      expect(mock.requests.map((r) => [r.attempt, r.kind])).toEqual([
        [1, 'fresh'],
        [2, kind],
      ]);
      console.log(
        `takeover (${name}): kill -9 to the end of the continued stream in ${Math.round(tookMs)} ms (lease ${LEASE_MS} ms)`,
      );
    },
  );

  it('SIGTERM (a deploy): the draining instance hands its stream off; the client gets the whole message from another', async () => {
    const a = await instance('--shutdown-deadline-ms', '200');
    const b = await instance();
    mock.reset();
    const { id, got } = await startStream(a, 30_000);
    const exited = new Promise((resolve) => a.process.once('exit', resolve));
    a.process.kill('SIGTERM');
    await exited;
    const rest = await reconnect(b, id, got.at(-1)?.id);
    expect(rest.status).toBe(200);
    const all = [...got, ...completeEvents(rest.body)];
    expect(all.map((e) => seqOf(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(strip(messageOf(all).message).content).toEqual(expected());
    // No error event was logged by the instance that left, and b continued upstream.
    expect(all.some((e) => e.event === 'error')).toBe(false);
    expect(mock.requests.map((r) => r.kind)).toEqual(['fresh', 'prefill']);
  });

  it('two survivors, two reconnects at once: exactly one takes over, both clients get the whole message', async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    mock.reset();
    const { id, got } = await startStream(a, 30_000);
    await killNine(a);
    const [fromB, fromC] = await Promise.all([
      reconnect(b, id, got.at(-1)?.id),
      reconnect(c, id, got.at(-1)?.id),
    ]);
    for (const rest of [fromB, fromC]) {
      expect(rest.status).toBe(200);
      const all = [...got, ...completeEvents(rest.body)];
      expect(all.map((e) => seqOf(e.id))).toEqual(all.map((_, i) => i + 1));
      expect(strip(messageOf(all).message).content).toEqual(expected());
    }
    expect(mock.requests.map((r) => r.attempt)).toEqual([1, 2]);
    const takeovers = await Promise.all(
      [b, c].map(async (p) => {
        const text = await (await fetch(`${p.url}/metrics`)).text();
        const line = text
          .split('\n')
          .find((l) => l.startsWith('lifeline_resumable_takeovers_total{outcome="complete"}'));
        return line === undefined ? 0 : Number(line.split(' ').at(-1));
      }),
    );
    expect(takeovers.sort()).toEqual([0, 1]);
  });
});
