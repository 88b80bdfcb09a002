/**
 * Proxy benchmark: the same load client against the mock upstream directly, through nginx
 * (the plain streaming proxy to beat) and through `lifeline proxy`, in one run.
 *
 * Method:
 * - Upstream: the scenario mock in its own process, serving one fault-free scenario of many
 *   small deltas (default 400 text deltas of 8 bytes, one event per write, as the API
 *   streams). The lifeline proxy runs in its own process too (defaults, log level warn);
 *   nginx runs with one worker, `proxy_buffering off`, HTTP/1.1 keep-alive to the upstream,
 *   access log off. Both proxies are single-threaded, like the mock and the load client.
 *   A fourth target, node-pipe, is the floor of any Node proxy (undici Pool up, `pipeline`
 *   down, nothing parsed): lifeline minus node-pipe is the engine's cost.
 * - Load client (this process): undici, CLIENTS concurrent clients (default 50) each running
 *   STREAMS streams in a row (default 20), over keep-alive connections. A round runs the
 *   three targets one after another in a rotating order; ROUNDS rounds (default 3) after one
 *   warm-up round; medians over rounds are reported.
 * - Measured per target under load: streams/s and body bytes/s over the wall time of its
 *   load, and first-byte latency (which under saturation is mostly queueing). Then, unloaded:
 *   one client runs LATENCY_STREAMS streams in a row (default 200) and the time to the first
 *   body byte (first-byte latency; "added" = minus direct's) and per-event time (time from
 *   first to last byte / events; the mock writes the events back to back) are taken. Every stream must end with `message_stop`, and
 *   one stream per target is decoded and compared with the scenario's text, so a fast wrong
 *   proxy cannot win.
 * - CPU: the user + system time each proxy process used during its load phase, per 1,000
 *   streams (from /proc). On a machine shared by client, mock and proxies, throughput swings
 *   with other load; CPU per stream is what each proxy would sustain on a core of its own.
 * - Memory: HOLD streams (default 500) are opened at once and held mid-stream (the mock
 *   stalls them after 50 events); the proxy's RSS while they are open minus its RSS before
 *   is scaled to 1,000 streams. For nginx, the worker's RSS is measured the same way.
 * - Ratios printed: lifeline/nginx throughput (target >= 0.90) and the p50 first-byte latency
 *   lifeline adds over direct (target < 1 ms).
 *
 * Env: PROXY_BENCH_CLIENTS, PROXY_BENCH_STREAMS, PROXY_BENCH_ROUNDS, PROXY_BENCH_DELTAS,
 * PROXY_BENCH_HOLD; PROXY_BENCH_NODE_ARGS are node flags for the proxy process (profiling:
 * "--cpu-prof --cpu-prof-dir=DIR"). nginx: /usr/sbin/nginx (NGINX_BIN); without it the nginx column is skipped
 * with a printed reason.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { pressure, serveProbe } from './proxy-pressure.js';
import { benchText } from './text.js';

const ROLE = process.env.LIFELINE_BENCH_ROLE;
const CLIENTS = Number(process.env.PROXY_BENCH_CLIENTS ?? 50);
const STREAMS = Number(process.env.PROXY_BENCH_STREAMS ?? 20);
const ROUNDS = Number(process.env.PROXY_BENCH_ROUNDS ?? 3);
const DELTAS = Number(process.env.PROXY_BENCH_DELTAS ?? 400);
const HOLD = Number(process.env.PROXY_BENCH_HOLD ?? 500);
const LATENCY_STREAMS = Number(process.env.PROXY_BENCH_LATENCY_STREAMS ?? 200);
/** `pressure`: only the 2,000-stream phase (proxy-pressure.ts); anything else: every phase. */
const ONLY = process.env.PROXY_BENCH_ONLY;
const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const SCENARIO = 'bench-small-deltas';
const SELF = fileURLToPath(import.meta.url);

/** ~DELTAS text deltas of 8 bytes (bench/text.ts). */
function scenarioText(seed: number): string {
  return benchText(seed, DELTAS * 8);
}

// ---- child roles -------------------------------------------------------------------------

async function serveMock(): Promise<void> {
  const { parseScenario, startMock } = await import('../src/mock/index.js');
  const text = scenarioText(Number(process.env.BENCH_SEED ?? 1));
  const scenario = parseScenario(
    {
      name: SCENARIO,
      chunking: { text: 8 },
      message: {
        id: 'msg_bench',
        type: 'message',
        role: 'assistant',
        model: 'claude-opus-4-6',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: DELTAS * 2 },
      },
    },
    'bench.json',
  );
  const mock = await startMock({ scenarios: [scenario] });
  process.stdout.write(`READY ${mock.url}\n`);
  process.on('SIGTERM', () => mock.close().then(() => process.exit(0)));
}

async function serveProxy(): Promise<void> {
  const { startProxy } = await import('../src/proxy/index.js');
  const proxy = await startProxy({
    port: 0,
    upstream: process.env.BENCH_UPSTREAM as string,
    logLevel: 'warn',
  });
  process.stdout.write(`READY ${proxy.url}\n`);
  process.on('SIGTERM', () => proxy.close(100).then(() => process.exit(0)));
}

/**
 * The floor for any Node proxy: undici Pool upstream, `pipeline` down, nothing parsed. What
 * lifeline costs beyond it is the engine; what it costs beyond nginx is mostly Node's I/O.
 */
async function servePipe(): Promise<void> {
  const { createServer } = await import('node:http');
  const { pipeline } = await import('node:stream/promises');
  const { Pool } = await import('undici');
  const pool = new Pool(process.env.BENCH_UPSTREAM as string, { connections: null });
  const server = createServer({ noDelay: true }, async (req, res) => {
    try {
      const { connection: _c, host: _h, ...headers } = req.headers;
      const up = await pool.request({
        method: req.method as 'POST',
        path: req.url ?? '/',
        headers: headers as Record<string, string>,
        body: req,
      });
      res.writeHead(up.statusCode, up.headers as Record<string, string>);
      await pipeline(up.body, res);
    } catch {
      res.destroy();
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`READY http://127.0.0.1:${port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}

// ---- the load client ------------------------------------------------------------------------

interface Child {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startChild(role: string, env: Record<string, string> = {}): Promise<Child> {
  // e.g. PROXY_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the proxy.
  const nodeArgs =
    role === 'proxy' ? (process.env.PROXY_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SELF], {
    env: { ...process.env, ...env, LIFELINE_BENCH_ROLE: role },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c) => {
      out += String(c);
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.on('exit', (code) =>
      reject(new Error(`${role} exited with ${code} before it was ready`)),
    );
  });
  return { url, pid: child.pid as number, stop: () => stopProcess(child) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startNginx(upstream: string): Promise<(Child & { workerPid(): number }) | string> {
  if (spawnSync(NGINX, ['-v']).status !== 0) return `${NGINX} is not available`;
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-nginx-'));
  const port = await freePort();
  const up = new URL(upstream);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream mock { server ${up.host}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await request(`${url}/v1/models`);
      await res.body.text();
      break;
    } catch (err) {
      if (i > 100 || child.exitCode !== null) {
        return `nginx did not start (${(err as Error).message}; see ${dir}/error.log)`;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    pid: child.pid as number,
    workerPid() {
      const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
      return Number(children.trim().split(/\s+/)[0]);
    },
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU time (user + system) a process has used, in ms (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

const BODY = JSON.stringify({
  model: 'claude-opus-4-6',
  max_tokens: 4096,
  stream: true,
  messages: [{ role: 'user', content: 'bench' }],
});
const HEADERS = {
  'x-api-key': 'bench-key',
  'anthropic-version': '2023-06-01',
  'content-type': 'application/json',
  'x-mock-scenario': SCENARIO,
  'x-mock-faults': '{}',
};

interface StreamTiming {
  firstByteMs: number;
  totalMs: number;
  bytes: number;
}

const MESSAGE_STOP = '"type":"message_stop"';

async function oneStream(url: string, dispatcher: Agent, keep?: Buffer[]): Promise<StreamTiming> {
  const started = performance.now();
  const res = await request(`${url}/v1/messages`, {
    method: 'POST',
    headers: HEADERS,
    body: BODY,
    dispatcher,
  });
  if (res.statusCode !== 200) {
    throw new Error(`${url}: status ${res.statusCode}: ${await res.body.text()}`);
  }
  let firstByteMs = -1;
  let bytes = 0;
  let tail = '';
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    if (firstByteMs < 0) firstByteMs = performance.now() - started;
    bytes += chunk.length;
    tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 64))).slice(-64);
    keep?.push(chunk);
  }
  const totalMs = performance.now() - started;
  if (!tail.includes(MESSAGE_STOP)) throw new Error(`${url}: a stream ended without message_stop`);
  return { firstByteMs, totalMs, bytes };
}

/** One client, streams one after another: the latency a proxy adds when it is not saturated. */
async function latency(url: string): Promise<{ firstByte: number[]; perEvent: number[] }> {
  const dispatcher = new Agent({ connections: 1 });
  const firstByte: number[] = [];
  const perEvent: number[] = [];
  for (let i = 0; i < LATENCY_STREAMS; i++) {
    const t = await oneStream(url, dispatcher);
    firstByte.push(t.firstByteMs);
    perEvent.push((t.totalMs - t.firstByteMs) / DELTAS);
  }
  await dispatcher.close();
  return { firstByte, perEvent };
}

interface LoadResult {
  /** CPU the proxy process used per 1,000 streams, ms (none for direct). */
  cpuPer1000: number | undefined;
  streamsPerSec: number;
  bytesPerSec: number;
  firstByte: number[];
  perEvent: number[];
}

async function load(url: string, pid?: () => number): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: CLIENTS, keepAliveTimeout: 30_000 });
  const timings: StreamTiming[] = [];
  const cpuBefore = pid === undefined ? 0 : cpuMsOf(pid());
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = 0; i < STREAMS; i++) timings.push(await oneStream(url, dispatcher));
    }),
  );
  const wall = (performance.now() - started) / 1000;
  const cpu = pid === undefined ? undefined : cpuMsOf(pid()) - cpuBefore;
  await dispatcher.close();
  const bytes = timings.reduce((s, t) => s + t.bytes, 0);
  return {
    cpuPer1000: cpu === undefined ? undefined : (cpu / timings.length) * 1000,
    streamsPerSec: timings.length / wall,
    bytesPerSec: bytes / wall,
    firstByte: timings.map((t) => t.firstByteMs),
    perEvent: timings.map((t) => (t.totalMs - t.firstByteMs) / DELTAS),
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

/** Decodes one stream and checks its text against the scenario's. */
async function verify(name: string, url: string, expected: string): Promise<void> {
  const { SseDecoder } = await import('../src/sse/index.js');
  const { MessageAccumulator, parseStreamEvent } = await import('../src/message/index.js');
  const dispatcher = new Agent();
  const chunks: Buffer[] = [];
  await oneStream(url, dispatcher, chunks);
  await dispatcher.close();
  const acc = new MessageAccumulator();
  for (const e of new SseDecoder().push(Buffer.concat(chunks))) acc.push(parseStreamEvent(e));
  const block = acc.toMessage().content[0] as { text?: string } | undefined;
  if (block?.text !== expected)
    throw new Error(`${name}: the streamed text differs from the scenario's`);
}

/** Opens HOLD streams that the mock stalls after 50 events; returns RSS growth per 1,000. */
async function rssPer1000(url: string, pid: () => number): Promise<number> {
  const dispatcher = new Agent({ connections: HOLD + 10, keepAliveTimeout: 1_000 });
  const before = rssOf(pid());
  const controller = new AbortController();
  setMaxListeners(HOLD + 10, controller.signal);
  let started = 0;
  const streams = Array.from({ length: HOLD }, async (_, i) => {
    try {
      const res = await request(`${url}/v1/messages`, {
        method: 'POST',
        headers: {
          ...HEADERS,
          'x-mock-run': `hold-${url}-${i}`,
          'x-mock-faults': JSON.stringify({ '1': { kind: 'stall', afterEvents: 50, ms: 60_000 } }),
        },
        body: BODY,
        dispatcher,
        signal: controller.signal,
      });
      started++;
      for await (const _ of res.body) {
        // read what comes; the mock stalls the stream after 50 events
      }
    } catch {
      // aborted below
    }
  });
  const deadline = performance.now() + 20_000;
  while (started < HOLD && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  const during = rssOf(pid());
  controller.abort();
  await Promise.all(streams);
  await dispatcher.destroy();
  return ((during - before) / HOLD) * 1000;
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const ms = (n: number) => `${n.toFixed(2)} ms`;

async function main(): Promise<void> {
  const seed = Date.now() % 100_000;
  console.log(
    `proxy bench: ${CLIENTS} clients x ${STREAMS} streams of ${DELTAS} text deltas per target ` +
      `per round, ${ROUNDS} rounds + 1 warm-up (seed ${seed})`,
  );
  const mock = await startChild('mock', { BENCH_SEED: String(seed) });
  const lifeline = await startChild('proxy', { BENCH_UPSTREAM: mock.url });
  const pressurePhase = () =>
    pressure({
      url: lifeline.url,
      pid: lifeline.pid,
      headers: HEADERS,
      body: BODY,
      expected: scenarioText(seed),
      events: DELTAS + 6,
      self: SELF,
    });
  if (ONLY === 'pressure') {
    try {
      await pressurePhase();
    } finally {
      await lifeline.stop();
      await mock.stop();
    }
    return;
  }
  const pipe = await startChild('pipe', { BENCH_UPSTREAM: mock.url });
  const nginx = await startNginx(mock.url);
  if (typeof nginx === 'string') console.log(`nginx column skipped: ${nginx}`);
  const targets: Array<{ name: string; url: string; pid?: () => number }> = [
    { name: 'direct', url: mock.url },
    ...(typeof nginx === 'string'
      ? []
      : [{ name: 'nginx', url: nginx.url, pid: () => nginx.workerPid() }]),
    { name: 'node-pipe', url: pipe.url, pid: () => pipe.pid },
    { name: 'lifeline', url: lifeline.url, pid: () => lifeline.pid },
  ];
  try {
    const expected = scenarioText(seed);
    for (const t of targets) await verify(t.name, t.url, expected);

    const results = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
    const quiet = new Map<string, Array<{ firstByte: number[]; perEvent: number[] }>>(
      targets.map((t) => [t.name, []]),
    );
    for (let round = 0; round <= ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const t of order) {
        const r = await load(t.url, t.pid);
        if (round > 0) results.get(t.name)?.push(r);
      }
      for (const t of order) {
        const r = await latency(t.url);
        if (round > 0) quiet.get(t.name)?.push(r);
      }
    }

    const summary = targets.map((t) => {
      const rs = results.get(t.name) ?? [];
      const qs = quiet.get(t.name) ?? [];
      return {
        name: t.name,
        streamsPerSec: median(rs.map((r) => r.streamsPerSec)),
        cpuPer1000:
          rs[0]?.cpuPer1000 === undefined ? undefined : median(rs.map((r) => r.cpuPer1000 ?? 0)),
        bytesPerSec: median(rs.map((r) => r.bytesPerSec)),
        loadedFirstByteP50: median(rs.map((r) => quantile(r.firstByte, 0.5))),
        loadedFirstByteP99: median(rs.map((r) => quantile(r.firstByte, 0.99))),
        firstByteP50: median(qs.map((r) => quantile(r.firstByte, 0.5))),
        firstByteP99: median(qs.map((r) => quantile(r.firstByte, 0.99))),
        perEventP50: median(qs.map((r) => quantile(r.perEvent, 0.5))),
      };
    });
    const direct = summary.find((s) => s.name === 'direct')!;
    console.log(
      `under load (${CLIENTS} clients):                       | one client, ${LATENCY_STREAMS} streams in a row:`,
    );
    console.log(
      'target     streams/s  CPU s/1k    MB/s  1st byte p50    p99 | 1st byte p50 (added)        p99   per event p50',
    );
    for (const s of summary) {
      const cpu = s.cpuPer1000 === undefined ? '-' : (s.cpuPer1000 / 1000).toFixed(2);
      console.log(
        `${s.name.padEnd(10)} ${s.streamsPerSec.toFixed(1).padStart(9)} ${cpu.padStart(9)} ${(s.bytesPerSec / 1e6).toFixed(2).padStart(7)} ` +
          `${ms(s.loadedFirstByteP50).padStart(11)} ${ms(s.loadedFirstByteP99).padStart(10)} | ` +
          `${ms(s.firstByteP50).padStart(9)} (+${ms(s.firstByteP50 - direct.firstByteP50)}) ` +
          `${ms(s.firstByteP99).padStart(10)}   ${(s.perEventP50 * 1000).toFixed(2)} us`,
      );
    }

    const rssLifeline = await rssPer1000(lifeline.url, () => lifeline.pid);
    let rssNginx: number | undefined;
    if (typeof nginx !== 'string') rssNginx = await rssPer1000(nginx.url, () => nginx.workerPid());
    console.log(
      `RSS per 1,000 open streams: lifeline ${mib(rssLifeline)}` +
        (rssNginx !== undefined ? `, nginx ${mib(rssNginx)}` : ''),
    );

    const life = summary.find((s) => s.name === 'lifeline')!;
    const ng = summary.find((s) => s.name === 'nginx');
    const added = life.firstByteP50 - direct.firstByteP50;
    if (ng !== undefined) {
      const ratio = life.streamsPerSec / ng.streamsPerSec;
      console.log(
        `lifeline/nginx throughput: ${ratio.toFixed(2)} (target >= 0.90: ${ratio >= 0.9 ? 'met' : 'MISSED'}); ` +
          `nginx/direct: ${(ng.streamsPerSec / direct.streamsPerSec).toFixed(2)}; ` +
          `nginx added p50 first byte: ${ms(ng.firstByteP50 - direct.firstByteP50)}`,
      );
    }
    console.log(
      `lifeline added p50 first byte: ${ms(added)} (target < 1 ms: ${added < 1 ? 'met' : 'MISSED'})`,
    );
    const floor = summary.find((s) => s.name === 'node-pipe')!;
    console.log(
      `lifeline/node-pipe throughput: ${(life.streamsPerSec / floor.streamsPerSec).toFixed(2)} ` +
        `(node-pipe/nginx: ${ng === undefined ? 'n/a' : (floor.streamsPerSec / ng.streamsPerSec).toFixed(2)})`,
    );
    // Throughput on a machine shared by client, mock and proxy swings with the other loads;
    // CPU per stream does not: it is what each proxy would sustain on a core of its own.
    const perCore = (s: (typeof summary)[number]) =>
      s.cpuPer1000 === undefined || s.cpuPer1000 === 0 ? Number.NaN : 1e6 / s.cpuPer1000;
    console.log(
      `streams/s per core from CPU use: lifeline ${perCore(life).toFixed(0)}, node-pipe ` +
        `${perCore(floor).toFixed(0)}` +
        (ng === undefined
          ? ''
          : `, nginx ${perCore(ng).toFixed(0)}; lifeline/nginx: ${(perCore(life) / perCore(ng)).toFixed(2)}`),
    );
    console.log('');
    await pressurePhase();
  } finally {
    if (typeof nginx !== 'string') await nginx.stop();
    await lifeline.stop();
    await pipe.stop();
    await mock.stop();
  }
}

if (ROLE === 'mock') await serveMock();
else if (ROLE === 'proxy') await serveProxy();
else if (ROLE === 'pipe') await servePipe();
else if (ROLE === 'probe') await serveProbe();
else await main();
