/**
 * The proxy under pressure (issue 15): PRESSURE_STREAMS (default 2,000) streams opened at
 * once through `lifeline proxy`, one in five cut mid-stream by the mock, while a separate
 * process probes `GET /healthz` on a new connection every PROBE_INTERVAL_MS (default 20 ms),
 * as a load balancer or a Kubernetes probe would.
 *
 * Measured:
 * - every stream's text against the scenario's (mismatches), and every client-side failure by
 *   its code (ECONNRESET, UND_ERR_SOCKET...: resets) or status (529 when the proxy sheds load);
 * - `/healthz` latency from the prober (p50, p99, max, failures): the prober runs in its own
 *   process so the load client's busy event loop does not inflate what it measures;
 * - the proxy's RSS, sampled every 100 ms: before, peak while the streams are open, and 2 s
 *   after they all ended, with the peak and after growth scaled to 1,000 streams;
 * - the proxy's event-loop delay (lifeline_nodejs_eventloop_lag_p99_seconds at /metrics) and
 *   the kernel's listen-queue overflow counter (TcpExtListenOverflows, /proc/net/netstat).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

export interface PressureOptions {
  /** The proxy to load, its process id, and the scenario the mock streams. */
  url: string;
  pid: number;
  headers: Record<string, string>;
  body: string;
  /** The scenario's text: each stream's decoded text must equal it. */
  expected: string;
  /** Events per fault-free stream (faults cut between 20 and events - 20). */
  events: number;
  /** The bench script, run again in the prober role. */
  self: string;
}

const STREAMS = Number(process.env.PRESSURE_STREAMS ?? 2_000);
const PROBE_INTERVAL_MS = Number(process.env.PROBE_INTERVAL_MS ?? 20);

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** TcpExt ListenOverflows: SYNs/ACKs dropped because a listen queue was full (all sockets). */
function listenOverflows(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = (lines[i] as string).split(' ');
      if (names[0] !== 'TcpExt:') continue;
      const values = (lines[i + 1] as string).split(' ');
      return Number(values[names.indexOf('ListenOverflows')]);
    }
  } catch {
    // not Linux
  }
  return undefined;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** Prober role: GET /healthz on a fresh connection every interval until SIGTERM. */
export async function serveProbe(): Promise<void> {
  const url = process.env.PROBE_URL as string;
  const latencies: number[] = [];
  const failures: string[] = [];
  let stopping = false;
  process.on('SIGTERM', () => {
    stopping = true;
  });
  process.stdout.write('READY probe\n');
  while (!stopping) {
    const tick = performance.now();
    const dispatcher = new Agent({ connections: 1, pipelining: 0 });
    try {
      const res = await request(`${url}/healthz`, { dispatcher, headersTimeout: 30_000 });
      await res.body.text();
      if (res.statusCode === 200) latencies.push(performance.now() - tick);
      else failures.push(`status ${res.statusCode}`);
    } catch (err) {
      failures.push((err as { code?: string }).code ?? (err as Error).message);
    } finally {
      await dispatcher.destroy();
    }
    const wait = PROBE_INTERVAL_MS - (performance.now() - tick);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  process.stdout.write(`RESULT ${JSON.stringify({ latencies, failures })}\n`);
  process.exit(0);
}

async function startProbe(
  self: string,
  url: string,
): Promise<{
  child: ChildProcess;
  result: () => Promise<{ latencies: number[]; failures: string[] }>;
}> {
  const child = spawn(process.execPath, ['--import', 'tsx', self], {
    env: { ...process.env, LIFELINE_BENCH_ROLE: 'probe', PROBE_URL: url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout?.on('data', (c) => {
    out += String(c);
  });
  while (!out.includes('READY')) await new Promise((r) => setTimeout(r, 20));
  return {
    child,
    async result() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      const m = /RESULT (.*)/.exec(out);
      return m ? JSON.parse(m[1] as string) : { latencies: [], failures: ['no result'] };
    },
  };
}

async function eventLoopLagP99(url: string): Promise<number> {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  const m = /^lifeline_nodejs_eventloop_lag_p99_seconds (\S+)/m.exec(text);
  return m ? Number(m[1]) * 1000 : Number.NaN;
}

/** One stream's outcome: 'ok', 'mismatch', or what failed. */
async function oneStream(
  o: PressureOptions,
  dispatcher: Agent,
  i: number,
  decode: (chunks: Buffer[]) => string | undefined,
): Promise<string> {
  const faulted = i % 5 === 0;
  const cut = 20 + ((i * 7919) % Math.max(1, o.events - 40));
  try {
    const res = await request(`${o.url}/v1/messages`, {
      method: 'POST',
      dispatcher,
      headers: {
        ...o.headers,
        'x-mock-run': `pressure-${Date.now()}-${i}`,
        'x-mock-faults': JSON.stringify(faulted ? { '1': { kind: 'drop', afterEvents: cut } } : {}),
      },
      body: o.body,
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
    if (res.statusCode !== 200) {
      await res.body.text();
      return `status ${res.statusCode}`;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk);
    return decode(chunks) === o.expected ? 'ok' : 'mismatch';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export async function pressure(o: PressureOptions): Promise<void> {
  const { SseDecoder } = await import('../src/sse/index.js');
  const { MessageAccumulator, parseStreamEvent } = await import('../src/message/index.js');
  const decode = (chunks: Buffer[]) => {
    const acc = new MessageAccumulator();
    for (const e of new SseDecoder().push(Buffer.concat(chunks))) acc.push(parseStreamEvent(e));
    if (!acc.snapshot().stopped) return undefined;
    return (acc.toMessage().content[0] as { text?: string } | undefined)?.text;
  };
  console.log(
    `pressure: ${STREAMS} streams at once through lifeline, 1 in 5 dropped mid-stream; ` +
      `/healthz probed every ${PROBE_INTERVAL_MS} ms on a new connection from another process`,
  );
  const rssBefore = rssOf(o.pid);
  const overflowsBefore = listenOverflows();
  const probe = await startProbe(o.self, o.url);
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(o.pid));
  }, 100);
  const dispatcher = new Agent({ connections: STREAMS + 10, keepAliveTimeout: 5_000 });
  const started = performance.now();
  let lagP99 = Number.NaN;
  const lagProbe = setTimeout(async () => {
    lagP99 = await eventLoopLagP99(o.url).catch(() => Number.NaN);
  }, 3_000);
  const outcomes = await Promise.all(
    Array.from({ length: STREAMS }, (_, i) => oneStream(o, dispatcher, i, decode)),
  );
  const wall = performance.now() - started;
  clearTimeout(lagProbe);
  const probed = await probe.result();
  await dispatcher.close();
  await new Promise((r) => setTimeout(r, 2_000));
  clearInterval(sampler);
  const rssAfter = rssOf(o.pid);
  const overflowsAfter = listenOverflows();

  const counts = new Map<string, number>();
  for (const r of outcomes) counts.set(r, (counts.get(r) ?? 0) + 1);
  const resets = outcomes.filter((r) => /RESET|SOCKET|EPIPE/.test(r)).length;
  const per1000 = (bytes: number) => mib((bytes / STREAMS) * 1000);
  console.log(
    `streams: ${[...counts].map(([k, v]) => `${k} ${v}`).join(', ')} in ${(wall / 1000).toFixed(1)} s; ` +
      `resets ${resets}, mismatches ${counts.get('mismatch') ?? 0}`,
  );
  const l = probed.latencies;
  console.log(
    `/healthz under load (${l.length} probes): p50 ${quantile(l, 0.5).toFixed(1)} ms, ` +
      `p99 ${quantile(l, 0.99).toFixed(1)} ms, max ${quantile(l, 1).toFixed(1)} ms, ` +
      `failures ${probed.failures.length}${probed.failures.length > 0 ? ` (${[...new Set(probed.failures)].join(', ')})` : ''} ` +
      `(target p99 < 100 ms: ${quantile(l, 0.99) < 100 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `proxy event-loop delay p99 at 3 s into the load: ${lagP99.toFixed(1)} ms; ` +
      `listen-queue overflows during the run: ${
        overflowsBefore === undefined || overflowsAfter === undefined
          ? 'n/a'
          : overflowsAfter - overflowsBefore
      }`,
  );
  console.log(
    `proxy RSS: before ${mib(rssBefore)}, peak ${mib(peak)} (+${per1000(peak - rssBefore)} per 1,000 streams), ` +
      `2 s after ${mib(rssAfter)} (+${per1000(rssAfter - rssBefore)} per 1,000 streams)`,
  );
}
