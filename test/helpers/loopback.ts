/**
 * Loopback servers for the doctor tests: an Anthropic-shaped upstream that streams SSE events
 * as they are produced or holds them back and sends them in one burst (what a buffering proxy
 * does), and a CONNECT proxy. All listen on 127.0.0.1, port 0.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

export const EVENT_COUNT = 10;
export const EVENT_GAP_MS = 50;

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface Loopback {
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function event(i: number): string {
  const data = {
    type: 'content_block_delta',
    index: 0,
    delta: { type: 'text_delta', text: `${i}\n` },
  };
  return `event: content_block_delta\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * `mode: 'streaming'` writes EVENT_COUNT events EVENT_GAP_MS apart; `'buffered'` waits as long
 * and then writes them all at once, as nginx with proxy_buffering on would deliver them.
 * Serves GET /v1/models, GET /stream and POST /v1/messages (streamed the same way).
 */
export async function startUpstream(mode: 'streaming' | 'buffered'): Promise<Loopback> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_test' });
      res.end(
        JSON.stringify({ data: [{ id: 'claude-opus-4-6', type: 'model' }], has_more: false }),
      );
      return;
    }
    if (req.url === '/stream' || (req.method === 'POST' && req.url === '/v1/messages')) {
      if (mode === 'streaming') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (let i = 0; i < EVENT_COUNT; i += 1) {
          res.write(event(i));
          await sleep(EVENT_GAP_MS);
        }
      } else {
        await sleep(EVENT_COUNT * EVENT_GAP_MS);
        res.writeHead(200, { 'content-type': 'text/event-stream', server: 'nginx/1.24.0' });
        let all = '';
        for (let i = 0; i < EVENT_COUNT; i += 1) all += event(i);
        res.write(all);
      }
      res.end();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"type":"error","error":{"type":"not_found_error","message":"Not found"}}');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return listening(server, seen, sockets);
}

/** A minimal CONNECT proxy (what undici's ProxyAgent speaks); records each target. */
export async function startConnectProxy(): Promise<Loopback> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405);
    res.end();
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    seen.push({ method: 'CONNECT', url: req.url ?? '', headers: req.headers, body: '' });
    const [host = '', port = '80'] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    sockets.add(client);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return listening(server, seen, sockets);
}

/** A port that was free a moment ago: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function listening(
  server: Server,
  seen: SeenRequest[],
  sockets: Set<Socket>,
): Promise<Loopback> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
