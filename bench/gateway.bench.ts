/**
 * Gateway benchmark: what `--resumable` costs, and how long a takeover takes.
 *
 * Method:
 * - Upstream: the scenario mock, in this process, serving one fault-free scenario of DELTAS
 *   text deltas of 8 bytes (default 400), one event per write. A real redis-server is started
 *   on a free loopback port (no persistence); without it the Redis rows are skipped with a
 *   printed reason.
 * - Proxies, each in its own process (log level warn): plain (`lifeline proxy`), resumable with
 *   the memory store, resumable with the Redis store. The load client (this process, undici)
 *   runs CLIENTS concurrent clients (default 40) each running STREAMS streams in a row (default
 *   10) against each proxy in turn (all running at once, the order rotating per round), ROUNDS
 *   rounds (default 2) after one warm-up round each; medians.
 *   Every stream must end with message_stop.
 * - Reported per proxy: streams/s (wall time; the machine is shared, so this swings), CPU ms of
 *   the proxy process per 1,000 streams (from /proc: what it would sustain on a core of its
 *   own) and, from that, the added CPU per event over the plain proxy; for Redis, also the
 *   redis-server's CPU per 1,000 streams. The log's size per stream: the memory store's event
 *   bytes (`lifeline_resumable_log_bytes` over every stream run, all still kept), Redis
 *   `used_memory` growth over HOLD (default 1,000) more streams; and the proxy's RSS growth
 *   over those HOLD streams (objects around the bytes, and GC noise).
 * - Takeover latency (Redis, lease LEASE_MS, default 1,000 ms): a stream trickled by the mock
 *   runs on instance A; A is killed with SIGKILL; the client reconnects to B at once. Reported:
 *   from the kill to the first event B produced itself (the first one after what A had
 *   logged), TAKEOVERS runs (default 3). It includes the lease's expiry, B's check (readers
 *   wake every 500 ms at this lease) and the continuation request to the mock.
 *
 * GATEWAY_BENCH_BASELINE=DIR adds a row for the plain proxy of another checkout (e.g. the
 * main branch, `git archive main | tar -x -C DIR` with node_modules linked): with --resumable
 * off, this branch must be no worse.
 *
 * Env: GATEWAY_BENCH_CLIENTS, GATEWAY_BENCH_STREAMS, GATEWAY_BENCH_ROUNDS,
 * GATEWAY_BENCH_DELTAS, GATEWAY_BENCH_HOLD, GATEWAY_BENCH_LEASE_MS, GATEWAY_BENCH_TAKEOVERS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { parseScenario, startMock } from '../src/mock/index.js';
import { probeBinary } from '../test/helpers/binaries.js';
import { startRedis } from '../test/helpers/redis.js';
import { benchText } from './text.js';

const CLIENTS = Number(process.env.GATEWAY_BENCH_CLIENTS ?? 40);
const STREAMS = Number(process.env.GATEWAY_BENCH_STREAMS ?? 10);
const ROUNDS = Number(process.env.GATEWAY_BENCH_ROUNDS ?? 2);
const DELTAS = Number(process.env.GATEWAY_BENCH_DELTAS ?? 400);
const HOLD = Number(process.env.GATEWAY_BENCH_HOLD ?? 1_000);
const LEASE_MS = Number(process.env.GATEWAY_BENCH_LEASE_MS ?? 1_000);
const TAKEOVERS = Number(process.env.GATEWAY_BENCH_TAKEOVERS ?? 3);
const SCENARIO = 'bench-gateway';

/** ~DELTAS text deltas of 8 bytes (bench/text.ts). */
function scenarioText(): string {
  return benchText(7, DELTAS * 8);
}

interface Proxy {
  url: string;
  pid: number;
  process: ChildProcess;
}

/** `root`: a checkout to run the proxy from (default this one). */
async function startProxyProcess(args: string[], root = '.'): Promise<Proxy> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      `${root}/src/cli/main.ts`,
      'proxy',
      '--port',
      '0',
      '--log-level',
      'warn',
      ...args,
    ],
    { env: { ...process.env, LIFELINE_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += String(c);
      const m = /listening on (http:\/\/[^\s,]+)/.exec(text);
      if (m) resolve(m[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`proxy exited with ${code}: ${text}`)));
  });
  return { url, pid: child.pid as number, process: child };
}

async function stop(p: Proxy, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.process.exitCode !== null || p.process.signalCode !== null) return;
  const exited = once(p.process, 'exit');
  p.process.kill(signal);
  await exited;
}

function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssOf(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb * 1024;
}

const HEADERS = {
  'x-api-key': 'bench-key',
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
  'x-mock-scenario': SCENARIO,
};
const BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 4096,
  stream: true,
  messages: [{ role: 'user', content: 'bench' }],
});

async function oneStream(url: string, dispatcher: Agent, faults = '{}'): Promise<void> {
  const res = await request(`${url}/v1/messages`, {
    method: 'POST',
    headers: { ...HEADERS, 'x-mock-faults': faults },
    body: BODY,
    dispatcher,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200 || !text.includes('"type":"message_stop"')) {
    throw new Error(`${url}: status ${res.statusCode}, no message_stop`);
  }
}

async function load(proxy: Proxy, redisPid?: number) {
  const dispatcher = new Agent({ connections: CLIENTS, pipelining: 1 });
  const cpu0 = cpuMsOf(proxy.pid);
  const redisCpu0 = redisPid === undefined ? 0 : cpuMsOf(redisPid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < STREAMS; i++) await oneStream(proxy.url, dispatcher);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const streams = CLIENTS * STREAMS;
  await dispatcher.close();
  return {
    streamsPerSecond: streams / seconds,
    cpuPer1000: ((cpuMsOf(proxy.pid) - cpu0) / streams) * 1000,
    redisCpuPer1000:
      redisPid === undefined ? 0 : ((cpuMsOf(redisPid) - redisCpu0) / streams) * 1000,
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

/** Where the log's size comes from. */
const source = (redis: boolean) => (redis ? ' (Redis used_memory)' : ' (event bytes held)');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function redisPidOf(info: string): number {
  return Number(/process_id:(\d+)/.exec(info)?.[1]);
}

async function takeoverLatency(mockUrl: string, redisUrl: string, probe: Redis): Promise<number[]> {
  const out: number[] = [];
  for (let run = 0; run < TAKEOVERS; run++) {
    const args = [
      '--upstream',
      mockUrl,
      '--resumable',
      '--store',
      redisUrl,
      '--lease-ms',
      String(LEASE_MS),
    ];
    const a = await startProxyProcess(args);
    const b = await startProxyProcess(args);
    const faults = JSON.stringify({ '1': { kind: 'trickle', bytesPerWrite: 256, intervalMs: 5 } });
    const controller = new AbortController();
    const res = await request(`${a.url}/v1/messages`, {
      method: 'POST',
      headers: {
        ...HEADERS,
        'x-mock-faults': faults,
        'x-mock-run': `takeover-${run}-${Date.now()}`,
      },
      body: BODY,
      signal: controller.signal,
    });
    const id = res.headers['x-lifeline-stream-id'] as string;
    let seen = '';
    for await (const chunk of res.body) {
      seen += String(chunk);
      if (seen.length > 20_000) break;
    }
    await stop(a, 'SIGKILL');
    const killedAt = performance.now();
    controller.abort();
    const logged = Number(await probe.hget(`lifeline:{${id}}:meta`, 'seq'));
    const rest = await request(`${b.url}/v1/lifeline/streams/${id}`, {
      headers: { 'x-api-key': 'bench-key', 'last-event-id': `${id}:${logged}` },
    });
    let first = -1;
    let text = '';
    for await (const chunk of rest.body) {
      if (first < 0) first = performance.now() - killedAt;
      text += String(chunk);
    }
    if (!text.includes('message_stop')) throw new Error('takeover: the stream did not end');
    out.push(first);
    await stop(b);
  }
  return out;
}

async function main(): Promise<void> {
  const mock = await startMock({
    scenarios: [
      parseScenario(
        {
          name: SCENARIO,
          chunking: { text: 8 },
          message: {
            id: 'msg_bench',
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-4-5',
            content: [{ type: 'text', text: scenarioText() }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 10, output_tokens: DELTAS },
          },
        },
        'inline.json',
      ),
    ],
  });
  const redisProblem = probeBinary({ command: 'redis-server', args: ['--version'] });
  const redis = redisProblem === undefined ? await startRedis() : undefined;
  if (redis === undefined) console.log(`gateway bench: redis rows skipped (${redisProblem})`);
  const probe = redis === undefined ? undefined : new Redis(redis.url);
  const redisPid = probe === undefined ? undefined : redisPidOf(await probe.info('server'));
  const baseline = process.env.GATEWAY_BENCH_BASELINE;
  const variants: Array<{ name: string; args: string[]; redis: boolean; root?: string }> = [
    { name: 'plain', args: [], redis: false },
    ...(baseline === undefined
      ? []
      : [{ name: 'plain, baseline', args: [], redis: false, root: baseline }]),
    { name: 'resumable, memory', args: ['--resumable'], redis: false },
    ...(redis === undefined
      ? []
      : [{ name: 'resumable, redis', args: ['--resumable', '--store', redis.url], redis: true }]),
  ];
  console.log(
    `gateway bench: ${CLIENTS} clients x ${STREAMS} streams of ${DELTAS} deltas, ${ROUNDS} rounds (medians)`,
  );
  const rows: Array<{
    redis: boolean;
    name: string;
    sps: number;
    cpu: number;
    redisCpu: number;
    logBytes: number;
    rssPerStream: number;
  }> = [];
  // All proxies up at once; each round runs every variant, in a rotating order, so a change
  // in the machine's load during the run falls on all of them alike.
  const proxies: Proxy[] = [];
  for (const v of variants) {
    const proxy = await startProxyProcess(['--upstream', mock.url, ...v.args], v.root);
    proxies.push(proxy);
    await load(proxy, v.redis ? redisPid : undefined); // warm-up
  }
  const results: Array<Array<Awaited<ReturnType<typeof load>>>> = variants.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < variants.length; k++) {
      const i = (k + r) % variants.length;
      const v = variants[i] as (typeof variants)[number];
      results[i]?.push(await load(proxies[i] as Proxy, v.redis ? redisPid : undefined));
    }
  }
  for (const [i, v] of variants.entries()) {
    const proxy = proxies[i] as Proxy;
    const own = results[i] ?? [];
    // Log size: HOLD more streams, ended and kept for the TTL.
    const rss0 = rssOf(proxy.pid);
    const mem0 =
      probe === undefined ? 0 : Number(/used_memory:(\d+)/.exec(await probe.info('memory'))?.[1]);
    const dispatcher = new Agent({ connections: CLIENTS });
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < HOLD) {
          next++;
          await oneStream(proxy.url, dispatcher);
        }
      }),
    );
    await dispatcher.close();
    const mem1 =
      probe === undefined ? 0 : Number(/used_memory:(\d+)/.exec(await probe.info('memory'))?.[1]);
    const held = await metric(proxy.url, 'lifeline_resumable_log_bytes');
    const logBytes = v.redis
      ? (mem1 - mem0) / HOLD
      : held / (HOLD + CLIENTS * STREAMS * (ROUNDS + 1));
    const rssPerStream = (rssOf(proxy.pid) - rss0) / HOLD;
    rows.push({
      redis: v.redis,
      name: v.name,
      sps: median(own.map((x) => x.streamsPerSecond)),
      cpu: median(own.map((x) => x.cpuPer1000)),
      redisCpu: median(own.map((x) => x.redisCpuPer1000)),
      logBytes,
      rssPerStream,
    });
    await stop(proxy);
  }
  const plain = rows[0] as (typeof rows)[number];
  const events = DELTAS + 6;
  for (const row of rows) {
    const addedUs = ((row.cpu - plain.cpu) / 1000 / events) * 1000;
    console.log(
      `  ${row.name.padEnd(18)} ${row.sps.toFixed(0).padStart(5)} streams/s  ` +
        `proxy CPU ${row.cpu.toFixed(0).padStart(5)} ms/1,000 streams` +
        (row === plain ? '' : ` (+${addedUs.toFixed(2)} us/event)`) +
        (row.redisCpu > 0 ? `  redis-server CPU ${row.redisCpu.toFixed(0)} ms/1,000 streams` : '') +
        (row.logBytes > 0
          ? `  log ${(row.logBytes / 1024).toFixed(1)} KiB/stream${source(row.redis)}`
          : '') +
        `  RSS +${(row.rssPerStream / 1024).toFixed(1)} KiB per kept stream`,
    );
  }
  if (redis !== undefined && probe !== undefined) {
    const latencies = await takeoverLatency(mock.url, redis.url, probe);
    console.log(
      `  takeover (lease ${LEASE_MS} ms): kill -9 to the first continued event ${latencies
        .map((x) => `${Math.round(x)} ms`)
        .join(', ')}`,
    );
    probe.disconnect();
    await redis.stop();
  }
  await mock.close();
}

await main();
