/**
 * A TCP relay that plays a flaky network between a client and a server: it forwards bytes
 * both ways and resets the client's connection after a chosen number of response bytes
 * (per connection, in the order connections arrive). A real drop on a real socket: the
 * client sees ECONNRESET mid-body, as after a Wi-Fi change or a load balancer's timeout.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface FlakyRelay {
  url: string;
  /** The first request line of every connection, in order (e.g. `GET /v1/lifeline/...`). */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * `cuts[i]`: reset connection i (0-based) after this many bytes from the server; connections
 * past the list, or with `undefined`, are left alone.
 */
export async function startFlakyRelay(
  target: string,
  cuts: ReadonlyArray<number | undefined>,
): Promise<FlakyRelay> {
  const { hostname, port } = new URL(target);
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    const cut = cuts[connections++];
    const upstream = connect(Number(port), hostname);
    sockets.add(client);
    sockets.add(upstream);
    let head = '';
    let recorded = false;
    let down = 0;
    client.on('data', (chunk: Buffer) => {
      if (!recorded) {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n');
        if (end !== -1) {
          recorded = true;
          requests.push(head.slice(0, end));
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (cut !== undefined && down + chunk.length >= cut) {
        client.write(chunk.subarray(0, Math.max(0, cut - down)));
        down = cut;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      down += chunk.length;
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
