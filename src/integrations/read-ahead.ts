/**
 * A fetch response body read ahead of its consumer, so that a dropped connection loses none of
 * the bytes that arrived before it dropped.
 *
 * A WHATWG stream drops the chunks still queued in it when it errors, and fetch (undici's, in
 * Node) errors the body as soon as the connection fails. A consumer a little behind (the engine
 * waits while a slow client reads, or a loaded machine runs it late) then never sees the last
 * bytes received: a cut event's first bytes, which say where the stream died, or whole events,
 * which a continuation must then ask the upstream for again. Keeping a read outstanding takes
 * each chunk out of fetch's queue as it arrives; the chunks wait here, then the error comes
 * after the last of them. Up to `limit` bytes wait: beyond it reading pauses until the consumer
 * catches up, and fetch's own backpressure holds the rest on the socket.
 */

/** Bytes read ahead of the consumer at most (1 MiB). */
export const READ_AHEAD_LIMIT = 1024 * 1024;

type End = { done: true } | { done: false; error: unknown };

/**
 * Reads `body` ahead of the consumer, up to `limit` bytes. The result yields every chunk `body`
 * delivered, in order, then ends or throws `body`'s error. Returning early (a `break`, the
 * engine giving up) cancels `body`.
 */
export function readAhead(
  body: ReadableStream<Uint8Array>,
  limit = READ_AHEAD_LIMIT,
): AsyncIterableIterator<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let buffered = 0;
  let reading = false;
  let end: End | undefined;
  let cancelled = false;
  let wake: (() => void) | undefined;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const pump = () => {
    if (reading || end !== undefined || cancelled || buffered >= limit) return;
    reading = true;
    reader.read().then(
      ({ done, value }) => {
        reading = false;
        if (cancelled) return;
        if (done) end = { done: true };
        else {
          chunks.push(value);
          buffered += value.byteLength;
        }
        notify();
        pump();
      },
      (error: unknown) => {
        reading = false;
        end = { done: false, error };
        notify();
      },
    );
  };
  pump();

  const iterator: AsyncIterableIterator<Uint8Array> = {
    async next(): Promise<IteratorResult<Uint8Array>> {
      for (;;) {
        const chunk = chunks.shift();
        if (chunk !== undefined) {
          buffered -= chunk.byteLength;
          pump();
          return { done: false, value: chunk };
        }
        if (cancelled || end?.done === true) return { done: true, value: undefined };
        if (end !== undefined) throw end.error;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      if (!cancelled) {
        cancelled = true;
        chunks.length = 0;
        buffered = 0;
        notify();
        if (end === undefined) await reader.cancel().catch(() => {});
      }
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
