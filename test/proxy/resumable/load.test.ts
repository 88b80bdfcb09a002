/**
 * Load: 1,000 concurrent resumable streams through a gateway of two instances sharing a real
 * redis-server, one client in ten losing its connection at a random byte and reconnecting to
 * the other instance (again and again, until the end). Every stream must end with the
 * scenario's message, each event exactly once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServer, parseScenario, startMock } from '../../../src/mock/index.js';
import { hasRedis, type RedisServer, startRedis } from '../../helpers/redis.js';
import { API_KEY, assemble, type Fixture, loadMessage, startFixture, strip } from '../support.js';
import { completeEvents, type ReceivedEvent, rawExchange, seeded, seqOf } from './support.js';

const STREAMS = 1_000;
const message = loadMessage('gateway', 24, 400);
/** Every stream takes a while (so drops land mid-stream): 512 bytes every 4 ms. */
const TRICKLE = { '1': { kind: 'trickle', bytesPerWrite: 512, intervalMs: 4 } };

function messageOf(events: ReceivedEvent[]) {
  return assemble(events.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join(''));
}

describe.runIf(hasRedis())(`${STREAMS} concurrent resumable streams, 10% client drops`, () => {
  let redis: RedisServer;
  let mock: MockServer;
  let a: Fixture;
  let b: Fixture;

  beforeAll(async () => {
    redis = await startRedis();
    mock = await startMock({
      scenarios: [
        parseScenario({ name: 'gateway', chunking: { text: 16 }, message }, 'inline.json'),
      ],
    });
    const options = {
      resumable: true,
      store: redis.url,
      keepAliveMs: 0,
      logLevel: 'warn' as const,
    };
    a = await startFixture(options, mock);
    b = await startFixture(options, mock);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await mock?.close();
    await redis?.stop();
  });

  it('loses nothing', async () => {
    const random = seeded(1000);
    const cuts = Array.from({ length: STREAMS }, (_, i) =>
      i % 10 === 3 ? Math.floor(random() * 20_000) + 1 : undefined,
    );
    let reconnects = 0;
    const one = async (i: number): Promise<string> => {
      let res = await rawExchange(
        a.proxy.url,
        {
          method: 'POST',
          path: '/v1/messages',
          headers: {
            'x-api-key': API_KEY,
            'anthropic-version': '2023-06-01',
            'content-type': 'application/json',
            'x-mock-scenario': 'gateway',
            'x-mock-run': `gateway-${i}`,
            'x-mock-faults': JSON.stringify(TRICKLE),
          },
          body: JSON.stringify({
            model: message.model,
            max_tokens: 4096,
            stream: true,
            messages: [{ role: 'user', content: `stream ${i}` }],
          }),
        },
        cuts[i],
      );
      if (res.status !== 200) return `stream ${i}: status ${res.status}`;
      const id = res.headers['x-lifeline-stream-id'] as string;
      const got = completeEvents(res.body);
      while (res.cut) {
        reconnects++;
        res = await rawExchange(
          b.proxy.url,
          {
            method: 'GET',
            path: `/v1/lifeline/streams/${id}`,
            headers: { 'x-api-key': API_KEY, 'last-event-id': got.at(-1)?.id ?? '' },
          },
          random() < 0.3 ? Math.floor(random() * 10_000) + 1 : undefined,
        );
        if (res.status !== 200) return `stream ${i}: reconnect status ${res.status}`;
        got.push(...completeEvents(res.body));
      }
      const seqs = got.map((e) => seqOf(e.id));
      if (seqs.some((s, k) => s !== k + 1)) return `stream ${i}: a gap or a duplicate`;
      const assembled = messageOf(got).message;
      if (assembled === undefined) return `stream ${i}: no message_stop`;
      return JSON.stringify(strip(assembled)) === JSON.stringify(strip(message))
        ? 'ok'
        : `stream ${i}: a different message`;
    };
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: STREAMS }, (_, i) => one(i)));
    const failures = results.filter((r) => r !== 'ok');
    console.log(
      `${STREAMS} resumable streams (Redis, 2 instances), ${reconnects} reconnects: ` +
        `${STREAMS - failures.length} exact in ${Math.round(performance.now() - started)} ms`,
    );
    expect(failures).toEqual([]);
    expect(reconnects).toBeGreaterThanOrEqual(STREAMS / 10);
  }, 240_000);
});
