/**
 * `lifelineFetch` over Node's global fetch sees an upstream stream up to where the upstream
 * really cut it, however slowly its caller reads.
 *
 * Regression: a WHATWG body stream drops its queued chunks when it errors, and undici's fetch
 * errors the body as soon as the connection fails. The engine reads the attempt only as fast
 * as the client reads the spliced stream, so with a slow client the bytes that arrived just
 * before the cut were lost: the seed scenario's cut event (20 bytes into block 38's tool input)
 * never reached the engine, which then reported the failure in the wrong place.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineFetch } from '../../src/integrations/fetch.js';
import { readAhead } from '../../src/integrations/read-ahead.js';
import { type MockServer, startMock } from '../../src/mock/index.js';
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
} from '../proxy/support.js';

let mock: MockServer;
let cutAt: number;
beforeAll(async () => {
  mock = await startMock({ scenarios: [scenario(SEED)] });
  cutAt = seedCutAt(mock);
});
afterAll(async () => {
  await mock.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads a body with a 10 ms pause after each 1 KB: a client behind the stream. */
async function readSlowly(body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  let paused = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    parts.push(chunk);
    size += chunk.length;
    if (size - paused >= 1024) {
      paused = size;
      await sleep(10);
    }
  }
  return Buffer.concat(parts);
}

describe('lifelineFetch over the global fetch, with a client behind the stream', () => {
  it.each([
    ['straight from the mock', false],
    ['the upstream bytes and the close arriving at once', true],
  ])('resumes from the mock cut in block 38 (%s)', async (_name, late) => {
    const relay = late ? await startLateRelay(mock) : undefined;
    const reports: RecoveryReport[] = [];
    const f = lifelineFetch({
      policy: { baseDelayMs: 1 },
      logger: false,
      onReport: (r) => reports.push(r),
    });
    try {
      const res = await f(`${relay?.url ?? mock.url}/v1/messages`, {
        method: 'POST',
        headers: mockHeaders(SEED),
        body: JSON.stringify(SEED_REQUEST),
      });
      expect(res.status).toBe(200);
      if (res.body === null) throw new Error('no body');
      const out = assemble(await readSlowly(res.body));
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
      // Attempt 1 as the engine saw it: every byte the mock sent, the cut event's 76 included.
      expect(report?.attempts[0]).toMatchObject({ bytes: cutAt, events: SEED_CUT_EVENT });
    } finally {
      await relay?.close();
    }
  });
});

/**
 * An HTTP/1.1 server on a real socket that sends a chunked SSE response's first event, 20 ms
 * later the first bytes of the next one (a chunk cut short), and 20 ms later closes the socket.
 */
async function startCuttingServer() {
  const server = createServer((socket) => {
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n' +
          '16\r\nevent: ping\ndata: {}\n\n\r\n',
      );
      setTimeout(() => socket.write('40\r\nevent: content_block_delta\ndata: {"pa'), 20);
      setTimeout(() => socket.destroy(), 40);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the global fetch, a body read late', () => {
  const FIRST = 'event: ping\ndata: {}\n\n';
  const TAIL = 'event: content_block_delta\ndata: {"pa';

  it('loses the bytes that came just before the connection closed, read plainly', async () => {
    const server = await startCuttingServer();
    try {
      const res = await fetch(server.url);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe(FIRST);
      await sleep(150); // the tail and the close both arrive meanwhile
      await expect(reader.read()).rejects.toThrow('terminated');
    } finally {
      await server.close();
    }
  });

  it('keeps them through readAhead, then gives the error', async () => {
    const server = await startCuttingServer();
    try {
      const res = await fetch(server.url);
      const it = readAhead(res.body as ReadableStream<Uint8Array>);
      expect(new TextDecoder().decode((await it.next()).value)).toBe(FIRST);
      await sleep(150);
      const rest = await drain(it);
      expect(rest.text).toBe(TAIL);
      expect((rest.error as Error | undefined)?.message).toBe('terminated');
    } finally {
      await server.close();
    }
  });
});

/**
 * A body that delivers `chunks` one per macrotask, as a socket's reads come, then `error` (or
 * the end) in a task of its own: the connection failing after its last bytes arrived.
 */
function bodyOf(chunks: string[], error?: Error): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const c of chunks) {
        await sleep(1);
        controller.enqueue(new TextEncoder().encode(c));
      }
      await sleep(1);
      if (error === undefined) controller.close();
      else controller.error(error);
    },
  });
}

async function drain(it: AsyncIterable<Uint8Array>): Promise<{ text: string; error?: unknown }> {
  let text = '';
  try {
    for await (const c of it) text += new TextDecoder().decode(c);
  } catch (error) {
    return { text, error };
  }
  return { text };
}

describe('readAhead', () => {
  it('yields every chunk a stream delivered before its error, then the error', async () => {
    const cut = new Error('terminated');
    // Read by a consumer that starts only after the stream has failed: a plain reader of the
    // same body would get the error alone.
    const it = readAhead(bodyOf(['event: a\n', 'data: 1\n\n', 'data: {"par'], cut));
    await sleep(50);
    expect(await drain(it)).toEqual({ text: 'event: a\ndata: 1\n\ndata: {"par', error: cut });
  });

  it('loses them without it (the behaviour it works around)', async () => {
    const body = bodyOf(['event: a\n', 'data: 1\n\n'], new Error('terminated'));
    await sleep(50);
    const reader = body.getReader();
    await expect(reader.read()).rejects.toThrow('terminated');
  });

  it('ends after the last chunk of a stream that closes', async () => {
    expect(await drain(readAhead(bodyOf(['a', 'b'])))).toEqual({ text: 'ab' });
  });

  it('reads no further ahead than its limit until the consumer catches up', async () => {
    let pulled = 0;
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled++;
          controller.enqueue(new Uint8Array(100));
        },
      },
      { highWaterMark: 0 },
    );
    const it = readAhead(source, 250);
    await sleep(10);
    // 3 chunks reach 300 >= 250 bytes; reading stops there.
    expect(pulled).toBe(3);
    await it.next();
    await sleep(10);
    // One taken (200 left), one more read (300).
    expect(pulled).toBe(4);
    await it.return?.();
  });

  it('cancels the stream when the consumer stops early', async () => {
    let reason: unknown = 'not cancelled';
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(10));
      },
      cancel(r) {
        reason = r;
      },
    });
    const it = readAhead(source);
    await it.next();
    expect(await it.return?.()).toEqual({ done: true, value: undefined });
    expect(reason).toBeUndefined();
    expect(await it.next()).toEqual({ done: true, value: undefined });
  });
});
