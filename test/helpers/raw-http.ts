/**
 * A bare HTTP/1.1 client over a TCP socket, for tests that check what the mock puts on the
 * wire: the chunk framing, a chunk announced whole but cut short, a missing terminating chunk,
 * a reset. Every HTTP library would hide exactly these.
 */
import { connect } from 'node:net';

export interface ChunkedBody {
  /** Chunks received whole. */
  chunks: Buffer[];
  /** A chunk whose size line arrived but not all of its bytes. */
  partial?: { announced: number; received: Buffer };
  /** The terminating `0\r\n\r\n` arrived. */
  terminated: boolean;
  /** All body bytes received (whole chunks, then the partial one). */
  body: Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Bytes after the head, as received. */
  rest: Buffer;
  /** The socket error, if it ended with one (e.g. ECONNRESET). */
  error?: string;
  /** Milliseconds from the request to the socket's close. */
  elapsedMs: number;
  /** Milliseconds from the request to each data arrival. */
  arrivals: number[];
}

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends one request with `connection: close` and collects everything until the socket closes. */
export function rawRequest(url: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const body = Buffer.from(request.body ?? '');
  const lines = [
    `${request.method ?? 'POST'} ${request.path ?? '/v1/messages'} HTTP/1.1`,
    `host: ${hostname}:${port}`,
    'connection: close',
    `content-length: ${body.length}`,
    ...Object.entries(request.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const parts: Buffer[] = [];
    const arrivals: number[] = [];
    let error: string | undefined;
    socket.on('data', (data) => {
      parts.push(data);
      arrivals.push(performance.now() - started);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => {
      const all = Buffer.concat(parts);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(
          new Error(`no HTTP head received (${all.length} bytes${error ? `, ${error}` : ''})`),
        );
        return;
      }
      const [statusLine = '', ...headerLines] = all
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        rest: all.subarray(end + 4),
        ...(error !== undefined ? { error } : {}),
        elapsedMs: performance.now() - started,
        arrivals,
      });
    });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    socket.write(body);
  });
}

/** Decodes a chunked body as far as it goes, keeping a chunk that was cut short. */
export function decodeChunked(rest: Buffer): ChunkedBody {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset < rest.length) {
    const lineEnd = rest.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(rest.subarray(offset, lineEnd).toString('latin1'), 16);
    const start = lineEnd + 2;
    if (size === 0) {
      return { chunks, terminated: true, body: Buffer.concat(chunks) };
    }
    if (start + size + 2 > rest.length) {
      const received = rest.subarray(start, Math.min(rest.length, start + size));
      return {
        chunks,
        partial: { announced: size, received },
        terminated: false,
        body: Buffer.concat([...chunks, received]),
      };
    }
    chunks.push(rest.subarray(start, start + size));
    offset = start + size + 2;
  }
  return { chunks, terminated: false, body: Buffer.concat(chunks) };
}

/** Splits SSE bytes into whole events (`...\n\n`) and a trailing incomplete one. */
export function splitEvents(body: Buffer): { events: string[]; tail: string } {
  const text = body.toString('utf8');
  const pieces = text.split('\n\n');
  const tail = pieces.pop() ?? '';
  return { events: pieces.map((p) => `${p}\n\n`), tail };
}

/**
 * Writes raw bytes to a TCP server and resolves with everything it sent back, once it has closed
 * the socket. The socket is not half-closed (`end()`): to a server, a client that half-closes
 * has left, and it would drop the request.
 */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.on('data', (c) => {
      reply += String(c);
    });
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
    socket.write(bytes);
  });
}
