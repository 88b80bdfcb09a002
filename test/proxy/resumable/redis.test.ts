/**
 * `--resumable --store redis://...` with a real redis-server: the log in Redis Streams, read
 * by every instance. Two proxies (instances) share one Redis; a client that drops from one
 * reconnects to the other. Also: expiry after the end, the per-stream limit, and Redis
 * restarted mid-stream (the stream goes on to its client; a reconnect fails cleanly).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockServer } from '../../../src/mock/index.js';
import { startProxy } from '../../../src/proxy/index.js';
import { RedisStoreError, RedisStreamStore } from '../../../src/proxy/resumable/redis-store.js';
import { hasRedis, type RedisServer, startRedis } from '../../helpers/redis.js';
import {
  API_KEY,
  assemble,
  type Fixture,
  fixtureScenarios,
  mockHeaders,
  requestBody,
  scenario,
  startFixture,
  startMock,
  strip,
} from '../support.js';
import { completeEvents, type ReceivedEvent, rawExchange, seeded, seqOf } from './support.js';

const PLAIN = 'plain-long-text';
const TRICKLE = { kind: 'trickle', bytesPerWrite: 1024, intervalMs: 2 };

function messageOf(events: ReceivedEvent[]) {
  return assemble(events.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join(''));
}
const expected = () => strip(scenario(PLAIN).message).content;

describe.runIf(hasRedis())('the Redis store', () => {
  let redis: RedisServer;
  let mock: MockServer;
  let a: Fixture;
  let b: Fixture;
  let probe: Redis;
  const options = () => ({
    resumable: true,
    store: redis.url,
    keepAliveMs: 0,
    resumableTtlMs: 2_000,
  });

  beforeAll(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    probe.on('error', () => {});
    await probe.connect();
    mock = await startMock({ scenarios: fixtureScenarios() });
    a = await startFixture(options(), mock);
    b = await startFixture(options(), mock);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await mock?.close();
    probe?.disconnect();
    await redis?.stop();
  });

  const post = (proxy: Fixture, cutAfter?: number) =>
    rawExchange(
      proxy.proxy.url,
      {
        method: 'POST',
        path: '/v1/messages',
        headers: mockHeaders(PLAIN, TRICKLE),
        body: requestBody(PLAIN),
      },
      cutAfter,
    );
  const reconnect = (
    proxy: Fixture,
    id: string,
    last: string | undefined,
    cutAfter?: number,
    key = API_KEY,
  ) =>
    rawExchange(
      proxy.proxy.url,
      {
        method: 'GET',
        path: `/v1/lifeline/streams/${id}`,
        headers: { 'x-api-key': key, ...(last !== undefined ? { 'last-event-id': last } : {}) },
      },
      cutAfter,
    );

  it('serves a reconnect to another instance: exactly the rest, live, at random cuts', async () => {
    const random = seeded(3);
    for (let run = 0; run < 4; run++) {
      let res = await post(a, Math.floor(random() * 150_000) + 1);
      expect(res.cut).toBe(true);
      const id = res.headers['x-lifeline-stream-id'] as string;
      const got = completeEvents(res.body);
      let turn = 0;
      while (res.cut) {
        // Alternate instances, hanging up again at random.
        const target = turn++ % 2 === 0 ? b : a;
        const cut = random() < 0.5 ? Math.floor(random() * 100_000) + 1 : undefined;
        res = await reconnect(target, id, got.at(-1)?.id, cut);
        expect(res.status).toBe(200);
        got.push(...completeEvents(res.body));
      }
      expect(got.map((e) => seqOf(e.id))).toEqual(got.map((_, i) => i + 1));
      expect(strip(messageOf(got).message).content).toEqual(expected());
    }
  });

  it('sends keep-alive comments to a reconnected reader while the upstream is quiet', async () => {
    const quiet = await startFixture({ ...options(), keepAliveMs: 150 }, mock);
    try {
      const stall = { '1': { kind: 'stall', afterEvents: 300, ms: 2_500 } };
      const res = await rawExchange(
        a.proxy.url,
        {
          method: 'POST',
          path: '/v1/messages',
          headers: mockHeaders(PLAIN, stall),
          body: requestBody(PLAIN),
        },
        2_000,
      );
      const id = res.headers['x-lifeline-stream-id'] as string;
      const got = completeEvents(res.body);
      const rest = await reconnect(quiet, id, got.at(-1)?.id);
      expect(rest.body.toString()).toContain(': lifeline waiting for the stream');
      const all = [...got, ...completeEvents(rest.body)];
      expect(all.map((e) => seqOf(e.id))).toEqual(all.map((_, i) => i + 1));
      expect(strip(messageOf(all).message).content).toEqual(expected());
    } finally {
      await quiet.close();
    }
  });

  it('answers 404 on another instance to another credential', async () => {
    const res = await post(a, 500);
    const id = res.headers['x-lifeline-stream-id'] as string;
    expect((await reconnect(b, id, undefined, undefined, 'sk-ant-other')).status).toBe(404);
    expect((await reconnect(b, id, undefined)).status).toBe(200);
  });

  it('stores the credential hash and the request, never the key', async () => {
    const res = await post(a);
    const id = res.headers['x-lifeline-stream-id'] as string;
    const meta = await probe.hgetall(`lifeline:{${id}}:meta`);
    expect(meta.record).toBeDefined();
    expect(JSON.stringify(meta)).not.toContain(API_KEY);
    expect(JSON.parse(meta.record as string).credential).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps one Redis stream per response, with one entry per event plus the end, expiring after the TTL', async () => {
    const res = await post(a);
    const id = res.headers['x-lifeline-stream-id'] as string;
    const events = completeEvents(res.body);
    expect(await probe.xlen(`lifeline:{${id}}:log`)).toBe(events.length + 1);
    const ttl = await probe.pttl(`lifeline:{${id}}:log`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
    expect(await probe.exists(`lifeline:{${id}}:lease`)).toBe(0);
    await new Promise((r) => setTimeout(r, 2_200));
    expect(await probe.exists(`lifeline:{${id}}:log`, `lifeline:{${id}}:meta`)).toBe(0);
    expect((await reconnect(b, id, undefined)).status).toBe(404);
  });

  it('past resumableMaxStreamBytes: the client gets everything, a reconnect anywhere gets 410', async () => {
    const small = await startFixture({ ...options(), resumableMaxStreamBytes: 3_000 }, mock);
    try {
      const res = await post(small);
      const events = completeEvents(res.body);
      expect(strip(messageOf(events).message).content).toEqual(expected());
      const id = res.headers['x-lifeline-stream-id'] as string;
      const again = await reconnect(b, id, `${id}:1`);
      expect(again.status).toBe(410);
      expect(again.body.toString()).toContain('resumableMaxStreamBytes');
    } finally {
      await small.close();
    }
  });

  it('Redis restarted mid-stream: the client still gets the whole message; a reconnect fails cleanly', async () => {
    const pending = post(a);
    await new Promise((r) => setTimeout(r, 300));
    await redis.restart();
    const res = await pending;
    const events = completeEvents(res.body);
    // Not one event lost or repeated on the live connection.
    expect(strip(messageOf(events).message).content).toEqual(expected());
    const ids = events.filter((e) => e.id !== undefined).map((e) => seqOf(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    const id = res.headers['x-lifeline-stream-id'] as string;
    // The log died with Redis: the stream is unknown now, said plainly.
    const again = await reconnect(b, id, events[0]?.id);
    expect(again.status).toBe(404);
    // And the proxies work again once Redis is back.
    const next = await post(b);
    const nextEvents = completeEvents(next.body);
    expect(nextEvents.every((e) => e.id !== undefined)).toBe(true);
    expect(strip(messageOf(nextEvents).message).content).toEqual(expected());
  });

  it('fences writes by lease: after a takeover the old owner cannot append one more event', async () => {
    const store = await RedisStreamStore.connect({
      url: redis.url,
      ttlMs: 5_000,
      maxStreamBytes: 1_000_000,
      leaseMs: 300,
    });
    try {
      const id = `lfs_fence${Date.now()}`;
      const bytes = new TextEncoder().encode('event: ping\ndata: {}\n\n');
      await store.create({ id, credential: 'ab', createdAt: 0, status: 200, headers: {} }, 'old');
      await store.append(id, [{ seq: 1, bytes }], 'old');
      expect(await store.acquire(id, 'new')).toBe(false);
      await new Promise((r) => setTimeout(r, 400));
      expect(await store.leased(id)).toBe(false);
      expect(await store.acquire(id, 'new')).toBe(true);
      expect(await store.acquire(id, 'third')).toBe(false);
      await expect(store.append(id, [{ seq: 2, bytes }], 'old')).rejects.toMatchObject({
        reason: 'lost',
      });
      expect(await store.renew(id, 'old')).toBe(false);
      await store.append(id, [{ seq: 2, bytes }], 'new');
      await store.finish(id, { kind: 'complete' }, 'new');
      expect(await store.status(id)).toEqual({ lastSeq: 2, end: { kind: 'complete' } });
      // An ended stream is never taken over.
      expect(await store.acquire(id, 'third')).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('refuses to start when Redis cannot be reached, naming the URL without its password', async () => {
    const err = await startProxy({
      port: 0,
      upstream: mock.url,
      resumable: true,
      store: 'redis://user:hunter2@127.0.0.1:1',
      logLevel: 'silent',
      processMetrics: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisStoreError);
    expect(String((err as Error).message)).toContain('redis://user:***@127.0.0.1:1');
    expect(String((err as Error).message)).not.toContain('hunter2');
  });
});
