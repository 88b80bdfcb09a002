/**
 * The proxy under pressure, as deployed: `lifeline proxy` and `lifeline mock` each in a process
 * of their own, 2,000 streams opened at once from this process with undici (one connection
 * each), one in five dropped mid-stream by the mock. Every stream must end with the scenario's
 * message (no reset, no error, no difference from a fault-free run) and the proxy must have
 * refused nothing. Timing is the benchmark's business (bench/proxy-pressure.ts), not this test's.
 *
 * The client holds 2,000 sockets and the proxy 4,000 (client side and upstream side), so the
 * machine needs a file-descriptor limit above that; Node raises its soft limit to the hard limit
 * at startup, and the test checks it first.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metric } from '../helpers/metrics.js';
import { API_KEY, loadMessage, readStreamed, strip } from './support.js';

const STREAMS = 2_000;
/** Sockets this test needs open at once, across its processes (each has its own limit). */
const FDS_NEEDED = 2 * STREAMS + 200;

const message = loadMessage('pressure', 16, 300);
/** Rendered events of the message (message_start, ping, ... message_stop), roughly. */
const EVENTS = 90;

/** Drops at varied places: after whole events, and inside an event's bytes. */
function faultFor(i: number): Record<string, unknown> {
  if (i % 5 !== 0) return {};
  const at = 4 + ((i * 7) % (EVENTS - 20));
  return i % 10 === 0
    ? { '1': { kind: 'drop', afterEvents: at } }
    : { '1': { kind: 'drop', event: at, bytes: 7 } };
}

function fileLimit(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

interface Child {
  url: string;
  process: ChildProcess;
}

/** Runs the lifeline CLI (from source) and waits for its "listening on URL" line. */
async function startCli(args: string[]): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, LIFELINE_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (c: Buffer) => {
      text += String(c);
      const m = /listening on (http:\/\/[^\s,]+)/.exec(text);
      if (m) resolve(m[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${text}`)));
  });
  return { url, process: child };
}

async function stop(child: Child | undefined): Promise<void> {
  if (child === undefined || child.process.exitCode !== null) return;
  const exited = once(child.process, 'exit');
  child.process.kill('SIGTERM');
  await exited;
}

let dir: string;
let mock: Child | undefined;
let proxy: Child | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-pressure-'));
  const scenario = join(dir, 'pressure.json');
  writeFileSync(scenario, JSON.stringify({ name: 'pressure', chunking: { text: 16 }, message }));
  mock = await startCli(['mock', '--port', '0', '--scenario', scenario, '--quiet']);
  proxy = await startCli([
    'proxy',
    '--port',
    '0',
    '--upstream',
    mock.url,
    '--log-level',
    'warn',
    '--shutdown-deadline-ms',
    '1000',
  ]);
});
afterAll(async () => {
  await stop(proxy);
  await stop(mock);
  rmSync(dir, { recursive: true, force: true });
});

/** One stream's outcome: the message, or what went wrong. */
async function stream(url: string, dispatcher: Agent, i: number): Promise<unknown> {
  try {
    const res = await request(`${url}/v1/messages`, {
      method: 'POST',
      dispatcher,
      headers: {
        'x-api-key': API_KEY,
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
        'x-mock-run': `pressure-${i}`,
        'x-mock-faults': JSON.stringify(faultFor(i)),
      },
      body: JSON.stringify({
        model: 'claude-opus-4-6',
        max_tokens: 1000,
        stream: true,
        messages: [{ role: 'user', content: 'go' }],
      }),
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
    if (res.statusCode !== 200) return `status ${res.statusCode}: ${await res.body.text()}`;
    return await readStreamed(res.body);
  } catch (err) {
    return `client error ${(err as { code?: string }).code ?? ''}: ${(err as Error).message}`;
  }
}

describe(`${STREAMS} concurrent streams through the proxy process`, () => {
  it('has the file descriptors it needs', () => {
    const limit = fileLimit();
    expect(
      limit,
      `ulimit -n is ${limit}; the test needs ${FDS_NEEDED} (raise the hard limit, e.g. ulimit -Hn 65536)`,
    ).toBeGreaterThanOrEqual(FDS_NEEDED);
  });

  // ~25 s alone on 2 cores; the margin is for a CI machine running other test files alongside.
  it('completes every stream with the fault-free message: no reset, no refusal', {
    timeout: 150_000,
  }, async () => {
    const url = proxy?.url as string;
    const dispatcher = new Agent({ connections: STREAMS + 10, keepAliveTimeout: 5_000 });
    let results: unknown[];
    try {
      results = await Promise.all(
        Array.from({ length: STREAMS }, (_, i) => stream(url, dispatcher, i)),
      );
    } finally {
      await dispatcher.close();
    }
    const failed = results.filter((r) => typeof r === 'string');
    expect(failed.slice(0, 5)).toEqual([]);
    expect(failed).toHaveLength(0);
    const expected = strip(message);
    const mismatched = results.filter((r) => JSON.stringify(strip(r)) !== JSON.stringify(expected));
    expect(mismatched).toHaveLength(0);

    const metrics = await (await request(`${url}/metrics`)).body.text();
    // Every fifth stream was dropped once and resumed once.
    expect(metric(metrics, 'lifeline_stream_failures_total')).toBe(STREAMS / 5);
    expect(metric(metrics, 'lifeline_recoveries_total')).toBe(STREAMS / 5);
    expect(metric(metrics, 'lifeline_refused_requests_total')).toBe(0);
    expect(metric(metrics, 'lifeline_active_streams')).toBe(0);
  });
});
