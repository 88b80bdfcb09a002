/**
 * What each fault puts on the wire, read with a bare TCP client so the HTTP chunk framing is
 * visible: a chunk announced whole and cut short, a missing terminating chunk, a reset.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockServer, parseScenario, type Scenario, startMock } from '../../src/mock/index.js';
import { decodeChunked, type RawResponse, rawRequest, splitEvents } from '../helpers/raw-http.js';

function tiny(name: string, eventsPerWrite: number): Scenario {
  return parseScenario(
    {
      name,
      eventsPerWrite,
      chunking: { text: 4 },
      message: {
        id: 'msg_tiny',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'Hello there, world.' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 5 },
      },
    },
    `${name}.json`,
  );
}

let mock: MockServer;
let events: readonly Buffer[];
let all: Buffer;

beforeAll(async () => {
  mock = await startMock({ scenarios: [tiny('tiny', 1), tiny('tiny3', 3)] });
  events = mock.renderedEvents('tiny');
  all = Buffer.concat(events as Buffer[]);
});
afterAll(() => mock.close());
beforeEach(() => mock.reset());

const body = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 100,
  stream: true,
  messages: [{ role: 'user', content: 'Say hello.' }],
});

function send(faults: unknown, scenario = 'tiny'): Promise<RawResponse> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-mock-scenario': scenario,
  };
  if (faults !== undefined) headers['x-mock-faults'] = JSON.stringify(faults);
  return rawRequest(mock.url, { headers, body });
}

const upTo = (n: number) => Buffer.concat(events.slice(0, n) as Buffer[]);

describe('the fault-free stream', () => {
  it('has 11 events for the tiny scenario (start, ping, block of 5 deltas, delta, stop)', () => {
    expect(events).toHaveLength(11);
  });

  it('sends one HTTP chunk per event and the terminating chunk', async () => {
    const res = await send(undefined);
    const chunked = decodeChunked(res.rest);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(chunked.chunks.map((c) => c.toString())).toEqual(events.map((e) => e.toString()));
    expect(chunked.terminated).toBe(true);
  });

  it('coalesces eventsPerWrite events into each HTTP chunk', async () => {
    const res = await send(undefined, 'tiny3');
    const sizes = decodeChunked(res.rest).chunks.map((c) => c.length);
    const expected = [0, 3, 6, 9].map((i) => upTo(Math.min(11, i + 3)).length - upTo(i).length);
    expect(sizes).toEqual(expected);
  });
});

describe('drop', () => {
  it('afterEvents: N whole events, then the socket closes without the terminating chunk', async () => {
    const res = await send({ '1': { kind: 'drop', afterEvents: 4 } });
    const chunked = decodeChunked(res.rest);
    expect(chunked.body.equals(upTo(4))).toBe(true);
    expect(chunked.partial).toBeUndefined();
    expect(chunked.terminated).toBe(false);
    expect(res.error).toBeUndefined();
  });

  it('event/bytes: announces the whole chunk, then sends only K bytes of event N', async () => {
    const res = await send({ '1': { kind: 'drop', event: 5, bytes: 10 } });
    const chunked = decodeChunked(res.rest);
    expect(chunked.chunks).toHaveLength(5);
    expect(chunked.partial?.announced).toBe(events[5]!.length);
    expect(chunked.partial?.received.equals(events[5]!.subarray(0, 10))).toBe(true);
    expect(chunked.terminated).toBe(false);
  });

  it('lands inside a coalesced chunk: the events before it in the chunk arrive, then K bytes', async () => {
    const res = await send({ '1': { kind: 'drop', event: 4, bytes: 7 } }, 'tiny3');
    const chunked = decodeChunked(res.rest);
    // Chunks are events [0-2], [3-5], ...: event 4 is the middle of the second chunk.
    expect(chunked.partial?.announced).toBe(
      events[3]!.length + events[4]!.length + events[5]!.length,
    );
    expect(chunked.body.equals(Buffer.concat([upTo(4), events[4]!.subarray(0, 7)]))).toBe(true);
  });

  it('records what went out in the request log', async () => {
    await send({ '1': { kind: 'drop', event: 5, bytes: 10 } });
    expect(mock.requests[0]?.sse).toEqual({
      events: 5,
      bytes: upTo(5).length + 10,
      outcome: 'dropped',
    });
    expect(mock.requests[0]?.fault).toEqual({ kind: 'drop', event: 5, bytes: 10, fires: true });
  });
});

describe('reset', () => {
  // libuv reports a reset that follows data as a plain EOF, so a Node client cannot tell it
  // from a drop: the RST itself is checked with curl (exit 56) in test/interop/curl.test.ts.
  it('sends what came before the cut, then resets instead of closing', async () => {
    const res = await send({ '1': { kind: 'reset', event: 6, bytes: 3 } });
    const chunked = decodeChunked(res.rest);
    expect(chunked.body.equals(Buffer.concat([upTo(6), events[6]!.subarray(0, 3)]))).toBe(true);
    expect(chunked.terminated).toBe(false);
    expect(mock.requests[0]?.sse?.outcome).toBe('reset');
  });
});

describe('eof', () => {
  it('ends the chunked body cleanly after N events, without message_stop', async () => {
    const res = await send({ '1': { kind: 'eof', afterEvents: 9 } });
    const chunked = decodeChunked(res.rest);
    expect(chunked.terminated).toBe(true);
    expect(chunked.body.equals(upTo(9))).toBe(true);
    expect(chunked.body.toString()).not.toContain('message_stop');
  });
});

describe('error', () => {
  it('sends an SSE error event after N events, then ends the body', async () => {
    const res = await send({
      '1': { kind: 'error', afterEvents: 3, errorType: 'overloaded_error' },
    });
    const chunked = decodeChunked(res.rest);
    const { events: received } = splitEvents(chunked.body);
    expect(received).toHaveLength(4);
    expect(received[3]).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    );
    expect(chunked.terminated).toBe(true);
  });
});

describe('stall', () => {
  it('stops writing for T ms after N events, then continues to the end', async () => {
    const res = await send({ '1': { kind: 'stall', afterEvents: 3, ms: 250 } });
    const chunked = decodeChunked(res.rest);
    expect(chunked.body.equals(all)).toBe(true);
    const gaps = res.arrivals.slice(1).map((t, i) => t - res.arrivals[i]!);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(200);
  });

  it('with then: drop, closes the socket after the stall', async () => {
    // biome-ignore lint/suspicious/noThenProperty: the fault format's field; a string, never a thenable.
    const res = await send({ '1': { kind: 'stall', afterEvents: 3, ms: 150, then: 'drop' } });
    const chunked = decodeChunked(res.rest);
    expect(chunked.body.equals(upTo(3))).toBe(true);
    expect(chunked.terminated).toBe(false);
    expect(res.elapsedMs).toBeGreaterThanOrEqual(140);
  });
});

describe('http', () => {
  it('answers with the status, its headers and the API error body before any event', async () => {
    const res = await send({ '1': { kind: 'http', status: 529, headers: { 'retry-after': '1' } } });
    expect(res.status).toBe(529);
    expect(res.headers['retry-after']).toBe('1');
    const json = JSON.parse(res.rest.toString()) as {
      type: string;
      error: { type: string };
      request_id: string;
    };
    expect(json.type).toBe('error');
    expect(json.error.type).toBe('overloaded_error');
    expect(json.request_id).toMatch(/^req_/);
  });
});

describe('trickle', () => {
  it('writes the whole stream in HTTP chunks of at most B bytes', async () => {
    const res = await send({ '1': { kind: 'trickle', bytesPerWrite: 97, intervalMs: 0 } });
    const chunked = decodeChunked(res.rest);
    expect(chunked.body.equals(all)).toBe(true);
    expect(chunked.chunks).toHaveLength(Math.ceil(all.length / 97));
    expect(Math.max(...chunked.chunks.map((c) => c.length))).toBe(97);
  });
});

describe('random', () => {
  it('resolves the same seed to the same fault on the same response', async () => {
    await send({ '*': { kind: 'random', seed: 7 } });
    await send({ '*': { kind: 'random', seed: 7 } });
    expect(mock.requests[0]?.fault).toBeDefined();
    expect(mock.requests[1]?.fault).toEqual(mock.requests[0]?.fault);
  });

  it('spreads seeds over several kinds', async () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 12; seed++) {
      await send({ '*': { kind: 'random', seed } });
      kinds.add(String(mock.requests.at(-1)?.fault?.kind));
    }
    expect(kinds.size).toBeGreaterThanOrEqual(4);
  });
});

describe('server-wide faults', () => {
  it('replace the scenario faults, and x-mock-faults replaces them in turn', async () => {
    const server = await startMock({
      scenarios: [tiny('tiny', 1)],
      faults: { '*': { kind: 'eof', afterEvents: 2 } },
    });
    try {
      const headers = { 'content-type': 'application/json' };
      const overridden = await rawRequest(server.url, { headers, body });
      const own = await rawRequest(server.url, {
        headers: { ...headers, 'x-mock-faults': '{}' },
        body,
      });
      expect(decodeChunked(overridden.rest).body.equals(upTo(2))).toBe(true);
      expect(decodeChunked(own.rest).body.equals(all)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
