/**
 * The in-memory log's bounds: per-stream bytes, total bytes (ended logs evicted oldest first,
 * then the growing stream truncated), and the TTL after the end.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStreamStore } from '../../../src/proxy/resumable/memory-store.js';
import type { LogItem, StreamRecord } from '../../../src/proxy/resumable/store.js';
import { StreamLogError } from '../../../src/proxy/resumable/store.js';

const record = (id: string): StreamRecord => ({
  id,
  credential: 'ab'.repeat(32),
  createdAt: 0,
  status: 200,
  headers: {},
});

const event = (seq: number, size: number) => ({ seq, bytes: new Uint8Array(size).fill(97) });

async function collect(items: AsyncIterable<LogItem>): Promise<LogItem[]> {
  const out: LogItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('MemoryStreamStore', () => {
  it('serves the events after a seq, then live ones, then the end', async () => {
    const store = new MemoryStreamStore({ maxBytes: 1000, maxStreamBytes: 1000, ttlMs: 1000 });
    await store.create(record('s'), '');
    await store.append('s', [event(1, 1), event(2, 1)], '');
    const reading = collect(store.read('s', 1, new AbortController().signal));
    await store.append('s', [event(3, 1)], '');
    await store.finish('s', { kind: 'complete' }, '');
    const items = await reading;
    expect(
      items.map((i) => (i.kind === 'event' ? i.event.seq : i.kind === 'end' ? i.end.kind : 'idle')),
    ).toEqual([2, 3, 'complete']);
    await store.close();
  });

  it('truncates a stream past maxStreamBytes and frees its bytes', async () => {
    const store = new MemoryStreamStore({ maxBytes: 1000, maxStreamBytes: 100, ttlMs: 1000 });
    await store.create(record('s'), '');
    await store.append('s', [event(1, 60)], '');
    await expect(store.append('s', [event(2, 60)], '')).rejects.toMatchObject({
      reason: 'stream-too-large',
    });
    expect(store.bytes).toBe(0);
    expect((await store.status('s'))?.end?.kind).toBe('truncated');
    await store.close();
  });

  it('evicts ended logs oldest first to make room, never a running one', async () => {
    const store = new MemoryStreamStore({ maxBytes: 100, maxStreamBytes: 100, ttlMs: 60_000 });
    for (const id of ['a', 'b']) {
      await store.create(record(id), '');
      await store.append(id, [event(1, 40)], '');
      await store.finish(id, { kind: 'complete' }, '');
    }
    await store.create(record('c'), '');
    await store.append('c', [event(1, 40)], '');
    expect(await store.get('a')).toBeUndefined();
    expect(await store.get('b')).toBeDefined();
    expect(store.bytes).toBe(80);
    await store.close();
  });

  it('truncates the growing stream when running logs alone fill the store', async () => {
    const store = new MemoryStreamStore({ maxBytes: 100, maxStreamBytes: 100, ttlMs: 60_000 });
    await store.create(record('a'), '');
    await store.append('a', [event(1, 70)], '');
    await store.create(record('b'), '');
    const err = await store.append('b', [event(1, 40)], '').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamLogError);
    expect((err as StreamLogError).reason).toBe('store-full');
    expect((err as StreamLogError).message).toContain('resumableMaxBytes');
    expect((await store.status('a'))?.end).toBeUndefined();
    await store.close();
  });

  it('drops an ended log ttlMs after its end', async () => {
    const store = new MemoryStreamStore({ maxBytes: 100, maxStreamBytes: 100, ttlMs: 30 });
    await store.create(record('s'), '');
    await store.append('s', [event(1, 10)], '');
    await store.finish('s', { kind: 'complete' }, '');
    expect(await store.get('s')).toBeDefined();
    await new Promise((r) => setTimeout(r, 60));
    expect(await store.get('s')).toBeUndefined();
    expect(store.bytes).toBe(0);
  });

  it('ends a waiting reader when its signal aborts', async () => {
    const store = new MemoryStreamStore({ maxBytes: 100, maxStreamBytes: 100, ttlMs: 30 });
    await store.create(record('s'), '');
    const controller = new AbortController();
    const reading = collect(store.read('s', 0, controller.signal));
    setTimeout(() => controller.abort(), 10);
    expect(await reading).toEqual([]);
    await store.close();
  });
});
