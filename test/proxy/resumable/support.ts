/**
 * Clients for the resumable-downstream tests: a raw HTTP/1.0 client over a TCP socket that can
 * hang up after any number of body bytes (HTTP/1.0, so the body is the bytes until close, with
 * no chunk framing to decode), and the reader that turns what a client got into events.
 */
import { connect } from 'node:net';
import { seededRandom } from '../../../src/mock/faults.js';
import { SseDecoder } from '../../../src/sse/index.js';

export interface RawResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** True when the client hung up itself (at `cutAfter` body bytes). */
  cut: boolean;
}

/**
 * One request over a fresh socket. `cutAfter`: hang up once this many body bytes arrived
 * (the client loses its connection at an arbitrary byte, mid-event or not).
 */
export function rawExchange(
  url: string,
  request: { method: string; path: string; headers: Record<string, string>; body?: string },
  cutAfter?: number,
): Promise<RawResult> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''));
    const body = request.body ?? '';
    const head = [
      `${request.method} ${request.path} HTTP/1.0`,
      `host: ${hostname}:${port}`,
      ...Object.entries(request.headers).map(([k, v]) => `${k}: ${v}`),
      ...(body !== '' ? [`content-length: ${Buffer.byteLength(body)}`] : []),
      '',
      '',
    ].join('\r\n');
    socket.write(head + body);
    let received = Buffer.alloc(0);
    let headEnd = -1;
    let cut = false;
    const finish = () => {
      if (headEnd === -1) {
        reject(new Error(`no response head (got ${received.length} bytes)`));
        return;
      }
      const lines = received.subarray(0, headEnd).toString('latin1').split('\r\n');
      const status = Number(lines[0]?.split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let rest = received.subarray(headEnd + 4);
      if (cutAfter !== undefined && rest.length > cutAfter) rest = rest.subarray(0, cutAfter);
      resolve({ status, headers, body: Buffer.from(rest), cut });
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (headEnd === -1) headEnd = received.indexOf('\r\n\r\n');
      if (cutAfter !== undefined && headEnd !== -1 && received.length - headEnd - 4 >= cutAfter) {
        cut = true;
        socket.destroy();
        finish();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!cut) finish();
    });
  });
}

export interface ReceivedEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/**
 * The events a client got in full (a cut event is not one: its blank line never came), as an
 * SSE parser dispatches them.
 */
export function completeEvents(body: Uint8Array): ReceivedEvent[] {
  const out: ReceivedEvent[] = [];
  const decoder = new SseDecoder();
  for (const e of decoder.push(body)) out.push({ id: e.id, event: e.event, data: e.data });
  return out;
}

/** The seq of an event id `<stream id>:<seq>`. */
export function seqOf(id: string | undefined): number {
  const n = Number(id?.slice(id.lastIndexOf(':') + 1));
  if (!Number.isInteger(n)) throw new Error(`not an event id: ${id}`);
  return n;
}

/** Deterministic pseudo-random numbers (the mock's mulberry32), so a failing cut can be replayed. */
export const seeded = seededRandom;

export interface CliProcess {
  url: string;
  process: import('node:child_process').ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
}

/** Runs the lifeline CLI from source in a child process; resolves at its "listening on" line. */
export async function startCliProcess(args: string[]): Promise<CliProcess> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, LIFELINE_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      text += String(c);
      const m = /listening on (http:\/\/[^\s,]+)/.exec(text);
      if (m) resolve(m[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) =>
      reject(new Error(`lifeline ${args[0]} exited with ${code}: ${text}`)),
    );
  });
  return { url, process: child, output: () => text };
}

/** SIGKILL: the process dies at once, as in a crash or an OOM kill; nothing runs after. */
export async function killNine(child: CliProcess): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.kill('SIGKILL');
  await exited;
}
