/**
 * `lifeline proxy --resumable` with the in-memory log: event ids, reconnects with
 * Last-Event-ID from real clients (a raw socket client that hangs up at random bytes, curl),
 * the credential binding, and the log's limits. The upstream is the scenario mock, slowed by a
 * `trickle` fault so that clients drop while the stream is still running.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockServer } from '../../../src/mock/index.js';
import { requireBinary } from '../../helpers/binaries.js';
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
/** Slow enough that a client drops mid-stream (about 1 s for the ~350 KB stream). */
const TRICKLE = { kind: 'trickle', bytesPerWrite: 1024, intervalMs: 2 };

let mock: MockServer;
let fx: Fixture;
beforeAll(async () => {
  mock = await startMock({ scenarios: fixtureScenarios() });
  fx = await startFixture({ resumable: true, keepAliveMs: 0 }, mock);
});
afterAll(async () => {
  await fx.close();
  await mock.close();
});

function post(faults: unknown = TRICKLE, cutAfter?: number, headers: Record<string, string> = {}) {
  return rawExchange(
    fx.proxy.url,
    {
      method: 'POST',
      path: '/v1/messages',
      headers: { ...mockHeaders(PLAIN, faults), ...headers },
      body: requestBody(PLAIN),
    },
    cutAfter,
  );
}

function reconnect(
  streamId: string,
  lastEventId: string | undefined,
  cutAfter?: number,
  key = API_KEY,
) {
  return rawExchange(
    fx.proxy.url,
    {
      method: 'GET',
      path: `/v1/lifeline/streams/${streamId}`,
      headers: {
        'x-api-key': key,
        ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}),
      },
    },
    cutAfter,
  );
}

/** The message a client assembles from the events it got, in order. */
function messageOf(events: ReceivedEvent[]) {
  const text = events.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join('');
  return assemble(text);
}

/** Reads a whole stream without a drop: the reference. */
async function reference(): Promise<{ streamId: string; events: ReceivedEvent[] }> {
  const res = await post({ kind: 'trickle', bytesPerWrite: 65_536, intervalMs: 0 });
  expect(res.status).toBe(200);
  return {
    streamId: res.headers['x-lifeline-stream-id'] as string,
    events: completeEvents(res.body),
  };
}

describe('event ids', () => {
  it('gives every event an id <stream id>:<seq>, seq 1, 2, 3, ... and the stream id in a header', async () => {
    const { streamId, events } = await reference();
    expect(streamId).toMatch(/^lfs_[A-Za-z0-9_-]{24}$/);
    expect(events.length).toBeGreaterThan(20);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `${streamId}:${i + 1}`));
    expect(strip(messageOf(events).message).content).toEqual(
      strip(scenario(PLAIN).message).content,
    );
  });

  it('draws a fresh unguessable stream id per response', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await reference()).streamId);
    expect(ids.size).toBe(5);
  });

  it('keeps the ids continuous across an upstream drop the engine recovers from', async () => {
    const res = await post({ '1': { kind: 'drop', event: 30, bytes: 25 } });
    const events = completeEvents(res.body);
    const id = res.headers['x-lifeline-stream-id'] as string;
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => `${id}:${i + 1}`));
    expect(strip(messageOf(events).message).content).toEqual(
      strip(scenario(PLAIN).message).content,
    );
  });
});

describe('reconnect with Last-Event-ID (raw socket client)', () => {
  it('gets exactly the rest, live, after hanging up at random bytes, again and again', async () => {
    const { events: expected } = await reference();
    const total = expected.reduce((n, e) => n + e.data.length, 0);
    const random = seeded(14);
    for (let run = 0; run < 6; run++) {
      const got: ReceivedEvent[] = [];
      let res = await post(TRICKLE, Math.floor(random() * total * 0.5) + 1);
      expect(res.status).toBe(200);
      expect(res.cut).toBe(true);
      const streamId = res.headers['x-lifeline-stream-id'] as string;
      got.push(...completeEvents(res.body));
      let rounds = 0;
      // Reconnect from the last whole event, hanging up again at random, until the end.
      while (res.cut) {
        rounds++;
        const cut = random() < 0.6 ? Math.floor(random() * total * 0.3) + 1 : undefined;
        res = await reconnect(streamId, got.at(-1)?.id, cut);
        expect(res.status).toBe(200);
        expect(res.headers['x-lifeline-stream-id']).toBe(streamId);
        got.push(...completeEvents(res.body));
      }
      expect(rounds).toBeGreaterThan(0);
      // No gap, no duplicate: seq 1..n exactly once, in order.
      expect(got.map((e) => seqOf(e.id))).toEqual(got.map((_, i) => i + 1));
      expect(got.map((e) => [e.event, e.data])).toEqual(expected.map((e) => [e.event, e.data]));
      const message = messageOf(got).message;
      expect(message?.stop_reason).toBe(scenario(PLAIN).message.stop_reason);
    }
  });

  it('without Last-Event-ID gets the whole stream from its first event', async () => {
    const first = await post(TRICKLE, 300);
    const id = first.headers['x-lifeline-stream-id'] as string;
    const again = await reconnect(id, undefined);
    const events = completeEvents(again.body);
    expect(seqOf(events[0]?.id)).toBe(1);
    expect(strip(messageOf(events).message).content).toEqual(
      strip(scenario(PLAIN).message).content,
    );
  });

  it('accepts a bare sequence number as Last-Event-ID', async () => {
    const { streamId, events } = await reference();
    const res = await reconnect(streamId, String(events.length - 2));
    expect(completeEvents(res.body).map((e) => e.id)).toEqual([
      `${streamId}:${events.length - 1}`,
      `${streamId}:${events.length}`,
    ]);
  });

  it('answers a reconnect at the last event with an empty, ended stream', async () => {
    const { streamId, events } = await reference();
    const res = await reconnect(streamId, events.at(-1)?.id);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });
});

describe('what a reconnect is refused', () => {
  it('answers 404 to another credential, with the same words as an unknown stream', async () => {
    const first = await post(TRICKLE, 200);
    const id = first.headers['x-lifeline-stream-id'] as string;
    const other = await reconnect(id, undefined, undefined, 'sk-ant-someone-else');
    expect(other.status).toBe(404);
    const body = JSON.parse(other.body.toString()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('not_found_error');
    expect(other.body.toString()).not.toContain(API_KEY);
    const unknown = await reconnect(`lfs_${'A'.repeat(24)}`, undefined);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString()).error.message).toBe(
      body.error.message.replace(id, `lfs_${'A'.repeat(24)}`),
    );
    // The owner still reads it.
    expect((await reconnect(id, undefined)).status).toBe(200);
  });

  it('answers 404 to a request without any credential', async () => {
    const first = await post(TRICKLE, 200);
    const id = first.headers['x-lifeline-stream-id'] as string;
    const res = await rawExchange(fx.proxy.url, {
      method: 'GET',
      path: `/v1/lifeline/streams/${id}`,
      headers: {},
    });
    expect(res.status).toBe(404);
  });

  it('binds to authorization as well as x-api-key', async () => {
    const first = await post(TRICKLE, 200, { authorization: 'Bearer tok-1' });
    const id = first.headers['x-lifeline-stream-id'] as string;
    const wrong = await rawExchange(fx.proxy.url, {
      method: 'GET',
      path: `/v1/lifeline/streams/${id}`,
      headers: { 'x-api-key': API_KEY, authorization: 'Bearer tok-2' },
    });
    expect(wrong.status).toBe(404);
    const right = await rawExchange(fx.proxy.url, {
      method: 'GET',
      path: `/v1/lifeline/streams/${id}`,
      headers: { 'x-api-key': API_KEY, authorization: 'Bearer tok-1' },
    });
    expect(right.status).toBe(200);
  });

  it('answers 400 to a Last-Event-ID of another stream or past the end', async () => {
    const { streamId, events } = await reference();
    const other = await reconnect(streamId, `lfs_${'B'.repeat(24)}:3`);
    expect(other.status).toBe(400);
    expect(other.body.toString()).toContain('another stream');
    const past = await reconnect(streamId, `${streamId}:${events.length + 1}`);
    expect(past.status).toBe(400);
    expect(past.body.toString()).toContain('past the end');
    const junk = await reconnect(streamId, `${streamId}:x1`);
    expect(junk.status).toBe(400);
  });

  it('answers 405 to a method other than GET', async () => {
    const { streamId } = await reference();
    const res = await rawExchange(fx.proxy.url, {
      method: 'DELETE',
      path: `/v1/lifeline/streams/${streamId}`,
      headers: { 'x-api-key': API_KEY },
    });
    expect(res.status).toBe(405);
  });
});

describe('a stream outlives its client', () => {
  it('runs to its end after the client left, and the reconnect gets the rest at once', async () => {
    const first = await post(TRICKLE, 400);
    const id = first.headers['x-lifeline-stream-id'] as string;
    const got = completeEvents(first.body);
    // Wait until the producer is done (it is not tied to the closed socket).
    const deadline = Date.now() + 10_000;
    while (
      fx.proxy.activeRequests > 0 ||
      (await metric('lifeline_resumable_producing_streams')) > 0
    ) {
      if (Date.now() > deadline) throw new Error('the stream did not finish');
      await new Promise((r) => setTimeout(r, 20));
    }
    const rest = await reconnect(id, got.at(-1)?.id);
    const all = [...got, ...completeEvents(rest.body)];
    expect(all.map((e) => seqOf(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(strip(messageOf(all).message).content).toEqual(strip(scenario(PLAIN).message).content);
    expect(await metric('lifeline_resumable_detached_total')).toBeGreaterThan(0);
  });
});

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${fx.proxy.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

describe('the log limits', () => {
  it('past resumableMaxStreamBytes: the live client still gets everything; a reconnect gets 410', async () => {
    const small = await startFixture(
      { resumable: true, keepAliveMs: 0, resumableMaxStreamBytes: 2_000 },
      mock,
    );
    try {
      const res = await rawExchange(small.proxy.url, {
        method: 'POST',
        path: '/v1/messages',
        headers: mockHeaders(PLAIN, TRICKLE),
        body: requestBody(PLAIN),
      });
      const events = completeEvents(res.body);
      expect(strip(messageOf(events).message).content).toEqual(
        strip(scenario(PLAIN).message).content,
      );
      // The first events carry ids; those after the limit cannot be resumed, so carry none.
      expect(events[0]?.id).toBeDefined();
      expect(events.at(-1)?.id).toBeUndefined();
      const id = res.headers['x-lifeline-stream-id'] as string;
      const again = await rawExchange(small.proxy.url, {
        method: 'GET',
        path: `/v1/lifeline/streams/${id}`,
        headers: { 'x-api-key': API_KEY, 'last-event-id': `${id}:1` },
      });
      expect(again.status).toBe(410);
      expect(again.body.toString()).toContain('resumableMaxStreamBytes');
    } finally {
      await small.close();
    }
  });

  it('forgets an ended stream resumableTtlMs after its end (404)', async () => {
    const short = await startFixture(
      { resumable: true, keepAliveMs: 0, resumableTtlMs: 150 },
      mock,
    );
    try {
      const res = await rawExchange(short.proxy.url, {
        method: 'POST',
        path: '/v1/messages',
        headers: mockHeaders(PLAIN),
        body: requestBody(PLAIN),
      });
      const id = res.headers['x-lifeline-stream-id'] as string;
      const get = () =>
        rawExchange(short.proxy.url, {
          method: 'GET',
          path: `/v1/lifeline/streams/${id}`,
          headers: { 'x-api-key': API_KEY },
        });
      expect((await get()).status).toBe(200);
      await new Promise((r) => setTimeout(r, 300));
      expect((await get()).status).toBe(404);
    } finally {
      await short.close();
    }
  });
});

const hasCurl = requireBinary('curl', { command: 'curl' });

describe.runIf(hasCurl)('curl', () => {
  /**
   * Runs curl (response head on stdout, `-D -`), killing it once `killAfter` bytes of output
   * arrived: a client whose connection dies at an arbitrary byte.
   */
  function curl(args: string[], killAfter?: number): Promise<{ out: Buffer; headers: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('curl', ['-sS', '-N', '-D', '-', ...args], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const out: Buffer[] = [];
      let size = 0;
      child.stdout.on('data', (c: Buffer) => {
        out.push(c);
        size += c.length;
        if (killAfter !== undefined && size >= killAfter) child.kill('SIGKILL');
      });
      child.on('error', reject);
      child.on('close', () => {
        const all = Buffer.concat(out);
        const headEnd = all.indexOf('\r\n\r\n');
        if (headEnd === -1) {
          reject(new Error(`curl got no response head: ${all.toString().slice(0, 200)}`));
          return;
        }
        resolve({
          headers: all.subarray(0, headEnd).toString(),
          out: all.subarray(headEnd + 4),
        });
      });
    });
  }

  it('a killed curl reconnects with Last-Event-ID and gets exactly the rest', async () => {
    const { events: expected } = await reference();
    const first = await curl(
      [
        ...Object.entries(mockHeaders(PLAIN, TRICKLE)).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
        '--data-binary',
        requestBody(PLAIN),
        `${fx.proxy.url}/v1/messages`,
      ],
      4_000,
    );
    const id = /x-lifeline-stream-id: (\S+)/i.exec(first.headers)?.[1] as string;
    expect(id).toMatch(/^lfs_/);
    const got = completeEvents(first.out);
    expect(got.length).toBeLessThan(expected.length);
    const rest = await curl([
      '-H',
      `x-api-key: ${API_KEY}`,
      '-H',
      `Last-Event-ID: ${got.at(-1)?.id}`,
      `${fx.proxy.url}/v1/lifeline/streams/${id}`,
    ]);
    const all = [...got, ...completeEvents(rest.out)];
    expect(all.map((e) => seqOf(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(all.map((e) => [e.event, e.data])).toEqual(expected.map((e) => [e.event, e.data]));
  });
});
