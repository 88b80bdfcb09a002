/**
 * The proxy's share of the event loop (src/proxy/fair-share.ts): bodies pass through unchanged,
 * in slices of at most one upstream read, and when busy streams have more work ready than one
 * window holds, the event loop gets its turn (timers, I/O, accept) before they are all done.
 * Ordering only: how long anything takes is the benchmark's business.
 */
import { describe, expect, it } from 'vitest';
import { fairSlices, turn } from '../../src/proxy/fair-share.js';

async function* chunks(sizes: number[]): AsyncGenerator<Uint8Array> {
  let n = 0;
  for (const size of sizes) {
    const chunk = new Uint8Array(size);
    for (let i = 0; i < size; i++) chunk[i] = (n + i) % 251;
    n += size;
    yield chunk;
  }
}

/** Busy for `ms`: the engine's synchronous work on a slice. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // work
  }
}

describe('fairSlices', () => {
  it('passes every byte through in order, a large read in slices of at most 64 KiB', async () => {
    const sizes = [10, 200_000, 65_536, 1];
    const slices: Uint8Array[] = [];
    for await (const slice of fairSlices(chunks(sizes))) slices.push(slice);
    expect(Math.max(...slices.map((s) => s.length))).toBeLessThanOrEqual(64 * 1024);
    const joined = Buffer.concat(slices);
    const parts: Buffer[] = [];
    for await (const chunk of chunks(sizes)) parts.push(Buffer.from(chunk));
    const expected = Buffer.concat(parts);
    expect(joined.equals(expected)).toBe(true);
  });

  it('gives the event loop its turn while busy streams still have work ready', async () => {
    const order: string[] = [];
    const timer = new Promise<void>((resolve) =>
      setTimeout(() => {
        order.push('timer');
        resolve();
      }, 0),
    );
    // 20 streams x 10 reads already buffered, 1 ms of work each: 200 ms that, unsliced, would
    // all run in microtasks before any timer.
    await Promise.all(
      Array.from({ length: 20 }, async (_, id) => {
        for await (const _slice of fairSlices(chunks(Array(10).fill(1024)))) spin(1);
        order.push(`stream ${id}`);
      }),
    );
    await timer;
    expect(order.indexOf('timer')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('timer')).toBeLessThan(order.length - 1);
  });

  it('lets uncontended work run at once, without waiting for a turn', async () => {
    await new Promise((r) => setTimeout(r, 20));
    expect(turn()).toBeUndefined();
  });
});
