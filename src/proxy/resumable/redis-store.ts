/**
 * The log in Redis Streams (`--store redis://...`): every instance of the gateway reads every
 * stream, so a reconnect to any instance is served, and an instance can take over the stream
 * of one that died (takeover.ts).
 *
 * Keys per stream, in one hash slot (`{id}`) so the scripts below work on Redis Cluster too:
 * - `lifeline:{id}:log`: a Redis Stream, one entry per event with the explicit entry id
 *   `0-<seq>` (so `XREAD` from `0-<seq>` is exactly "after event seq"), field `e` the bytes;
 *   the end is one more entry `1-0` with field `end` (JSON), so a blocked reader sees it in band.
 * - `lifeline:{id}:meta`: a hash: `record` (JSON), `seq` (last event), `bytes`, `end` (JSON).
 * - `lifeline:{id}:lease`: the producing instance's lease (a random owner id, `PX leaseMs`).
 *
 * Every write is a Lua script that checks the lease first: an instance that lost its lease
 * (it stalled and another took over) cannot append one more event (fencing). While a stream
 * runs, its keys expire `ttlMs` after the last append or lease renewal; once ended, `ttlMs`
 * after the end. Readers block with `XREAD BLOCK` on a connection of their own.
 */
import { Redis } from 'ioredis';
import { LifelineError } from '../../errors.js';
import {
  type LeasedStreamStore,
  type LoggedEvent,
  type LogItem,
  type StreamEnd,
  StreamLogError,
  type StreamRecord,
  type StreamStatus,
} from './store.js';

export interface RedisStoreSettings {
  url: string;
  ttlMs: number;
  maxStreamBytes: number;
  /** How long a lease lasts without renewal, ms. */
  leaseMs: number;
  /** How long a reader blocks before it checks on the producer, ms. */
  blockMs?: number;
}

/** Entries read per XRANGE/XREAD call. */
const READ_COUNT = 512;
const END_ID = '1-0';

const keys = (id: string) =>
  [`lifeline:{${id}}:log`, `lifeline:{${id}}:meta`, `lifeline:{${id}}:lease`] as const;

/**
 * KEYS: log, meta, lease. ARGV: owner, ttlMs, maxStreamBytes, then seq, bytes pairs.
 * Returns 1, or an error: LEASE (not the owner), GONE (no such log), ENDED, TOO_LARGE.
 */
const APPEND = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return redis.error_reply('LEASE the stream is owned by another instance') end
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('GONE the stream log expired') end
if redis.call('HEXISTS', KEYS[2], 'end') == 1 then return redis.error_reply('ENDED the stream log has ended') end
local size = 0
for i = 5, #ARGV, 2 do size = size + string.len(ARGV[i]) end
local bytes = redis.call('HINCRBY', KEYS[2], 'bytes', size)
if bytes > tonumber(ARGV[3]) then return redis.error_reply('TOO_LARGE') end
local last = 0
for i = 4, #ARGV, 2 do
  redis.call('XADD', KEYS[1], '0-' .. ARGV[i], 'e', ARGV[i + 1])
  last = ARGV[i]
end
redis.call('HSET', KEYS[2], 'seq', last)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

/** KEYS: log, meta, lease. ARGV: owner, ttlMs, end JSON. Ends the log and frees the lease. */
const FINISH = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return redis.error_reply('LEASE the stream is owned by another instance') end
if redis.call('HEXISTS', KEYS[2], 'end') == 0 then
  redis.call('XADD', KEYS[1], '${END_ID}', 'end', ARGV[3])
  redis.call('HSET', KEYS[2], 'end', ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[3])
return 1
`;

/** KEYS: log, meta, lease. ARGV: owner, leaseMs, ttlMs. 1 when renewed, 0 when the lease is lost. */
const RENEW = `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

/**
 * KEYS: log, meta, lease. ARGV: owner, leaseMs. Takes a free lease of a stream that has not
 * ended: 1 when taken, 0 when another instance holds it or the stream is over or gone.
 */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[2]) == 0 or redis.call('HEXISTS', KEYS[2], 'end') == 1 then return 0 end
if redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`;

/** KEYS: lease. ARGV: owner. Deletes the lease if it is the owner's. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

interface Scripts {
  lifelineRelease(...args: Array<string | number>): Promise<number>;
  lifelineAppend(...args: Array<string | number | Buffer>): Promise<number>;
  lifelineFinish(...args: Array<string | number>): Promise<number>;
  lifelineRenew(...args: Array<string | number>): Promise<number>;
  lifelineAcquire(...args: Array<string | number>): Promise<number>;
}

type ScriptedRedis = Redis & Scripts;

/** A `redis://` URL with its password replaced, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparseable URL)';
  }
}

export class RedisStoreError extends LifelineError {
  readonly type = 'redis-store' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisStoreError';
  }
}

function scripted(url: string): ScriptedRedis {
  const redis = new Redis(url, {
    lazyConnect: true,
    // A write that cannot reach Redis fails fast: the stream goes on unlogged rather than stall.
    maxRetriesPerRequest: 1,
    enableAutoPipelining: true,
    connectTimeout: 5_000,
  });
  redis.defineCommand('lifelineAppend', { numberOfKeys: 3, lua: APPEND });
  redis.defineCommand('lifelineFinish', { numberOfKeys: 3, lua: FINISH });
  redis.defineCommand('lifelineRenew', { numberOfKeys: 3, lua: RENEW });
  redis.defineCommand('lifelineAcquire', { numberOfKeys: 3, lua: ACQUIRE });
  redis.defineCommand('lifelineRelease', { numberOfKeys: 1, lua: RELEASE });
  // Errors reach the commands that fail; the client's own event would crash the process.
  redis.on('error', () => {});
  return redis as ScriptedRedis;
}

function logError(err: unknown, id: string): StreamLogError {
  const text = err instanceof Error ? err.message : String(err);
  // Redis may prefix a script's error with its own code ("ERR TOO_LARGE").
  const code = /\b(TOO_LARGE|LEASE|GONE|ENDED)\b/.exec(text)?.[1];
  if (code === 'TOO_LARGE') {
    return new StreamLogError(
      'stream-too-large',
      "lifeline: this stream's log passed the per-stream limit (resumableMaxStreamBytes), so it can no longer be resumed; retry the request.",
    );
  }
  if (code === 'LEASE') {
    return new StreamLogError('lost', `lifeline: stream ${id} was taken over by another instance.`);
  }
  if (code === 'GONE' || code === 'ENDED') {
    return new StreamLogError('lost', `lifeline: the log of stream ${id} is gone or has ended.`);
  }
  return new StreamLogError(
    'store-unavailable',
    `lifeline: the Redis stream store is unavailable (${text}); this stream can no longer be resumed.`,
    { cause: err },
  );
}

export class RedisStreamStore implements LeasedStreamStore {
  readonly kind = 'redis' as const;
  readonly settings: RedisStoreSettings;
  readonly #redis: ScriptedRedis;
  /** Connections of blocked readers, closed with the store. */
  readonly #readers = new Set<Redis>();

  private constructor(settings: RedisStoreSettings, redis: ScriptedRedis) {
    this.settings = settings;
    this.#redis = redis;
  }

  /** Connects (and fails with a clear error when Redis cannot be reached). */
  static async connect(settings: RedisStoreSettings): Promise<RedisStreamStore> {
    const redis = scripted(settings.url);
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      redis.disconnect();
      throw new RedisStoreError(
        `cannot connect to the stream store ${redactRedisUrl(settings.url)} (${err instanceof Error ? err.message : String(err)}). ` +
          'Check that Redis runs and the URL is right, or use --store memory.',
        { cause: err },
      );
    }
    return new RedisStreamStore(settings, redis);
  }

  async create(record: StreamRecord, owner: string): Promise<void> {
    const [log, meta, lease] = keys(record.id);
    const ttl = this.settings.ttlMs;
    await this.#redis
      .multi()
      .del(log)
      .hset(meta, 'record', JSON.stringify(record), 'seq', '0', 'bytes', '0')
      .pexpire(meta, ttl)
      .set(lease, owner, 'PX', this.settings.leaseMs)
      .exec();
  }

  async append(id: string, events: readonly LoggedEvent[], owner: string): Promise<void> {
    const [log, meta, lease] = keys(id);
    const args: Array<string | number | Buffer> = [
      log,
      meta,
      lease,
      owner,
      this.settings.ttlMs,
      this.settings.maxStreamBytes,
    ];
    for (const e of events) {
      args.push(e.seq, Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength));
    }
    try {
      await this.#redis.lifelineAppend(...args);
    } catch (err) {
      const error = logError(err, id);
      if (error.reason === 'stream-too-large') {
        await this.#markTruncated(id, error.message, owner).catch(() => {});
      }
      throw error;
    }
  }

  async #markTruncated(id: string, message: string, owner: string): Promise<void> {
    const [log, meta, lease] = keys(id);
    const end = JSON.stringify({ kind: 'truncated', message } satisfies StreamEnd);
    await this.#redis.del(log);
    await this.#redis.lifelineFinish(log, meta, lease, owner, this.settings.ttlMs, end);
  }

  async finish(id: string, end: StreamEnd, owner: string): Promise<void> {
    const [log, meta, lease] = keys(id);
    try {
      await this.#redis.lifelineFinish(
        log,
        meta,
        lease,
        owner,
        this.settings.ttlMs,
        JSON.stringify(end),
      );
    } catch (err) {
      throw logError(err, id);
    }
  }

  async get(id: string): Promise<StreamRecord | undefined> {
    const text = await this.#redis.hget(keys(id)[1], 'record');
    return text === null ? undefined : (JSON.parse(text) as StreamRecord);
  }

  async status(id: string): Promise<StreamStatus | undefined> {
    const [seq, end] = await this.#redis.hmget(keys(id)[1], 'seq', 'end');
    if (seq === null || seq === undefined) return undefined;
    return {
      lastSeq: Number(seq),
      end: end === null || end === undefined ? undefined : (JSON.parse(end) as StreamEnd),
    };
  }

  /** Renews the lease; false when it is lost (another instance took the stream over). */
  async renew(id: string, owner: string): Promise<boolean> {
    const [log, meta, lease] = keys(id);
    return (
      (await this.#redis.lifelineRenew(
        log,
        meta,
        lease,
        owner,
        this.settings.leaseMs,
        this.settings.ttlMs,
      )) === 1
    );
  }

  /** Takes the lease of a stream whose producer is gone; false when it is not free. */
  async acquire(id: string, owner: string): Promise<boolean> {
    const [log, meta, lease] = keys(id);
    return (
      (await this.#redis.lifelineAcquire(log, meta, lease, owner, this.settings.leaseMs)) === 1
    );
  }

  /** Whether some instance holds the stream's lease now. */
  async leased(id: string): Promise<boolean> {
    return (await this.#redis.exists(keys(id)[2])) === 1;
  }

  async release(id: string, owner: string): Promise<void> {
    await this.#redis.lifelineRelease(keys(id)[2], owner);
  }

  /** Every event of the log (a takeover replays them). */
  async events(id: string): Promise<LoggedEvent[]> {
    const out: LoggedEvent[] = [];
    let start = '-';
    for (;;) {
      const entries = await this.#redis.xrangeBuffer(
        keys(id)[0],
        start,
        '(1-0',
        'COUNT',
        READ_COUNT,
      );
      for (const [entryId, fields] of entries) {
        const item = toItem(entryId.toString(), fields);
        if (item?.kind === 'event') out.push(item.event);
      }
      if (entries.length < READ_COUNT) return out;
      start = `(${(entries.at(-1) as [Buffer, Buffer[]])[0].toString()}`;
    }
  }

  async *read(id: string, afterSeq: number, signal: AbortSignal): AsyncIterable<LogItem> {
    const [log, meta] = keys(id);
    let last = `0-${afterSeq}`;
    // Catch up on the shared connection; block only once at the live end.
    for (;;) {
      const entries = await this.#redis.xrangeBuffer(log, `(${last}`, '+', 'COUNT', READ_COUNT);
      for (const [entryId, fields] of entries) {
        last = entryId.toString();
        const item = toItem(last, fields);
        if (item === undefined) continue;
        yield item;
        if (item.kind === 'end' || signal.aborted) return;
      }
      if (entries.length < READ_COUNT) break;
    }
    if (signal.aborted) return;
    const reader = this.#redis.duplicate();
    reader.on('error', () => {});
    this.#readers.add(reader);
    const onAbort = () => reader.disconnect();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const result = await reader.xreadBuffer(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          this.settings.blockMs ?? Math.min(1_000, Math.max(100, this.settings.leaseMs / 2)),
          'STREAMS',
          log,
          last,
        );
        if (signal.aborted) return;
        if (result === null) {
          // Nothing for a while: is the log still there? (It may have expired.)
          if ((await this.#redis.exists(meta)) === 0) return;
          yield { kind: 'idle' };
          continue;
        }
        for (const [, entries] of result) {
          for (const [entryId, fields] of entries) {
            last = entryId.toString();
            const item = toItem(last, fields);
            if (item === undefined) continue;
            yield item;
            if (item.kind === 'end' || signal.aborted) return;
          }
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      throw new StreamLogError(
        'store-unavailable',
        `lifeline: the Redis stream store became unavailable while stream ${id} was read (${err instanceof Error ? err.message : String(err)}).`,
        { cause: err },
      );
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.#readers.delete(reader);
      reader.disconnect();
    }
  }

  async close(): Promise<void> {
    for (const r of this.#readers) r.disconnect();
    this.#readers.clear();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

function toItem(entryId: string, fields: Buffer[]): LogItem | undefined {
  const name = fields[0]?.toString();
  const value = fields[1];
  if (value === undefined) return undefined;
  if (name === 'end') {
    const text = value.toString();
    return { kind: 'end', end: JSON.parse(text) as StreamEnd };
  }
  if (name !== 'e' || !entryId.startsWith('0-')) return undefined;
  return { kind: 'event', event: { seq: Number(entryId.slice(2)), bytes: value } };
}
