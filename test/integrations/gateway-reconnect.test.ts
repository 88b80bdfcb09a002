/**
 * The fetch wrapper and the SDK middleware against a resumable gateway (`lifeline proxy
 * --resumable`), with the real @anthropic-ai/sdk: the connection between the client and the
 * gateway is reset mid-stream by a relay, and the client reconnects to the rest of the stream
 * by itself (GET /v1/lifeline/streams/{id} + Last-Event-ID). The gateway's upstream is the
 * scenario mock; it must see one request only (the stream went on inside the gateway, nothing
 * was continued upstream).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineFetch, lifelineMiddleware } from '../../src/integrations/index.js';
import type { MockServer } from '../../src/mock/index.js';
import { type FlakyRelay, startFlakyRelay } from '../helpers/flaky-relay.js';
import {
  API_KEY,
  type Fixture,
  fixtureScenarios,
  mockHeaders,
  scenario,
  startFixture,
  startMock,
  strip,
} from '../proxy/support.js';

const PLAIN = 'plain-long-text';
const TRICKLE = { kind: 'trickle', bytesPerWrite: 2048, intervalMs: 2 };

let mock: MockServer;
let gateway: Fixture;
let plain: Fixture;
const relays: FlakyRelay[] = [];
beforeAll(async () => {
  mock = await startMock({ scenarios: fixtureScenarios() });
  gateway = await startFixture({ resumable: true }, mock);
  plain = await startFixture({}, mock);
});
afterAll(async () => {
  for (const r of relays) await r.close();
  await gateway.close();
  await plain.close();
  await mock.close();
});

async function relay(target: string, cuts: Array<number | undefined>): Promise<FlakyRelay> {
  const r = await startFlakyRelay(target, cuts);
  relays.push(r);
  return r;
}

function client(baseURL: string, options: Partial<ConstructorParameters<typeof Anthropic>[0]>) {
  const { 'x-api-key': _key, 'content-type': _type, ...headers } = mockHeaders(PLAIN, TRICKLE);
  return new Anthropic({
    apiKey: API_KEY,
    baseURL,
    maxRetries: 0,
    defaultHeaders: headers,
    ...options,
  });
}

async function streamed(anthropic: Anthropic) {
  const stream = anthropic.messages.stream({
    model: scenario(PLAIN).message.model,
    max_tokens: 4096,
    messages: [{ role: 'user', content: 'Build the report.' }],
  });
  return stream.finalMessage();
}

const expected = () => strip(scenario(PLAIN).message).content;

describe('a client whose connection to the gateway drops', () => {
  it('gets the whole message through lifelineFetch (reset twice mid-stream)', async () => {
    const r = await relay(gateway.proxy.url, [40_000, 60_000]);
    const reconnects: string[] = [];
    const fetchImpl = lifelineFetch({
      logger: false,
      reconnect: { baseDelayMs: 5, onReconnect: (i) => reconnects.push(String(i.lastEventId)) },
    });
    mock.reset();
    const message = await streamed(client(r.url, { fetch: fetchImpl }));
    expect(strip(message).content).toEqual(expected());
    expect(reconnects).toHaveLength(2);
    expect(r.requests.filter((l) => l.startsWith('GET /v1/lifeline/streams/lfs_'))).toHaveLength(2);
    expect(mock.requests).toHaveLength(1);
  });

  it('gets the whole message through lifelineMiddleware', async () => {
    const r = await relay(gateway.proxy.url, [30_000]);
    let reconnects = 0;
    mock.reset();
    const message = await streamed(
      client(r.url, {
        middleware: [
          lifelineMiddleware({
            logger: false,
            reconnect: { baseDelayMs: 5, onReconnect: () => reconnects++ },
          }),
        ],
      }),
    );
    expect(strip(message).content).toEqual(expected());
    expect(reconnects).toBe(1);
    expect(r.requests[1]).toMatch(/^GET \/v1\/lifeline\/streams\/lfs_\S+ HTTP\/1\.1$/);
    expect(mock.requests).toHaveLength(1);
  });

  it('without lifeline, the same drop fails the SDK call', async () => {
    const r = await relay(gateway.proxy.url, [30_000]);
    await expect(streamed(client(r.url, {}))).rejects.toThrow();
  });

  it('does not reconnect to a gateway that is not resumable (the engine continues upstream)', async () => {
    const r = await relay(plain.proxy.url, [30_000]);
    let reconnects = 0;
    mock.reset();
    const message = await streamed(
      client(r.url, {
        fetch: lifelineFetch({ logger: false, reconnect: { onReconnect: () => reconnects++ } }),
      }),
    );
    expect(strip(message).content).toEqual(expected());
    expect(reconnects).toBe(0);
    expect(r.requests.some((l) => l.startsWith('GET'))).toBe(false);
    expect(mock.requests.length).toBeGreaterThan(1);
  });

  it('falls back to an upstream continuation when the gateway cannot give the rest (404)', async () => {
    // A relay that rewrites nothing, but a key the gateway never saw for the reconnect: the
    // reconnect is refused with 404, and the engine continues with a new POST instead.
    const r = await relay(gateway.proxy.url, [30_000]);
    let reconnects = 0;
    const fetchImpl = lifelineFetch({
      logger: false,
      fetch: (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (!url.includes('/v1/lifeline/streams/')) return fetch(input, init);
        const headers = new Headers(init?.headers);
        headers.set('x-api-key', 'sk-ant-another-key');
        return fetch(input, { ...init, headers });
      },
      reconnect: { baseDelayMs: 5, onReconnect: () => reconnects++ },
    });
    mock.reset();
    const message = await streamed(client(r.url, { fetch: fetchImpl }));
    expect(strip(message).content).toEqual(expected());
    expect(reconnects).toBe(1);
    expect(mock.requests.length).toBe(2);
  });
});
