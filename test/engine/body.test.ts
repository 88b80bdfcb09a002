/**
 * Reading upstream bodies, whatever `send` returned: a web ReadableStream, a Node async
 * iterable, or no body; the event-stream check; an error body read as text up to a limit.
 */
import { describe, expect, it } from 'vitest';
import { concat, isEventStream, iterable, iterate, readText } from '../../src/engine/body.js';

const bytes = (text: string) => new TextEncoder().encode(text);

function webStream(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

/**
 * A web stream as runtimes without async iteration of ReadableStream hand it over: only its
 * reader (Node's streams iterate, so the tests take the reader path this way).
 */
function readerOnly(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return { getReader: () => stream.getReader() } as unknown as ReadableStream<Uint8Array>;
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of body) out.push(new TextDecoder().decode(chunk));
  return out;
}

describe('isEventStream', () => {
  it('recognises text/event-stream in any case, with parameters', () => {
    expect(isEventStream(new Headers({ 'content-type': 'text/event-stream' }))).toBe(true);
    expect(isEventStream(new Headers({ 'content-type': 'Text/Event-Stream; charset=utf-8' }))).toBe(
      true,
    );
  });

  it('says no for another type or no content-type', () => {
    expect(isEventStream(new Headers({ 'content-type': 'application/json' }))).toBe(false);
    expect(isEventStream(new Headers())).toBe(false);
  });
});

describe('iterable and iterate', () => {
  it('hands an async iterable body back as it is, without a wrapper', () => {
    const body = (async function* () {
      yield bytes('a');
    })();
    expect(iterable(body)).toBe(body);
  });

  it('reads a web stream chunk by chunk and releases its reader at the end', async () => {
    const stream = webStream([bytes('one'), bytes('two')]);
    expect(await collect(iterable(stream))).toEqual(['one', 'two']);
    expect(stream.locked).toBe(false);
  });

  it('reads a web stream without async iteration through its reader, then releases it', async () => {
    const stream = webStream([bytes('one'), bytes('two')]);
    expect(await collect(iterable(readerOnly(stream)))).toEqual(['one', 'two']);
    expect(stream.locked).toBe(false);
  });

  it('releases the web stream’s reader when the consumer stops early', async () => {
    const stream = webStream([bytes('one'), bytes('two')]);
    for await (const _ of iterate(readerOnly(stream))) break;
    expect(stream.locked).toBe(false);
    // The rest is still there for another reader.
    expect(await collect(iterate(readerOnly(stream)))).toEqual(['two']);
  });

  it('releases the reader when the web stream fails', async () => {
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('reset'));
      },
    });
    await expect(collect(iterate(readerOnly(stream)))).rejects.toThrow('reset');
    expect(stream.locked).toBe(false);
  });

  it('yields nothing for no body', async () => {
    expect(await collect(iterable(null))).toEqual([]);
    expect(await collect(iterate(null))).toEqual([]);
  });

  it('iterates an async iterable body through', async () => {
    const body = (async function* () {
      yield bytes('a');
      yield bytes('b');
    })();
    expect(await collect(iterate(body))).toEqual(['a', 'b']);
  });
});

describe('readText', () => {
  it('decodes a character split across chunks', async () => {
    const euro = bytes('€');
    const body = webStream([bytes('price: '), euro.subarray(0, 1), euro.subarray(1)]);
    expect(await readText(body)).toBe('price: €');
    const again = webStream([bytes('price: '), euro.subarray(0, 1), euro.subarray(1)]);
    expect(await readText(readerOnly(again))).toBe('price: €');
  });

  it('reads no body as empty text', async () => {
    expect(await readText(null)).toBe('');
  });

  it('keeps at most the limit, and stops reading once past it', async () => {
    let pulled = 0;
    const body = (async function* () {
      for (let i = 0; i < 10; i++) {
        pulled++;
        yield bytes('abcd');
      }
    })();
    expect(await readText(body, 6)).toBe('abcdab');
    expect(pulled).toBe(2);
  });

  it('reads a body exactly at the limit whole', async () => {
    expect(await readText(webStream([bytes('abc'), bytes('def')]), 6)).toBe('abcdef');
  });

  it('keeps 64 KiB by default', async () => {
    const big = 'x'.repeat(70 * 1024);
    expect(await readText(webStream([bytes(big)]))).toHaveLength(64 * 1024);
  });

  it('keeps what arrived before the body failed', async () => {
    const body = (async function* () {
      yield bytes('partial ');
      yield bytes('error');
      throw new Error('socket hang up');
    })();
    expect(await readText(body)).toBe('partial error');
  });
});

describe('concat', () => {
  it('returns a single chunk itself, without copying', () => {
    const only = bytes('abc');
    expect(concat([only])).toBe(only);
  });

  it('joins chunks in order', () => {
    expect(new TextDecoder().decode(concat([bytes('ab'), bytes(''), bytes('cde')]))).toBe('abcde');
  });

  it('joins no chunks into no bytes', () => {
    expect(concat([])).toEqual(new Uint8Array(0));
  });
});
