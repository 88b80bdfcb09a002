/**
 * A TCP relay that makes the receiving side fall behind the upstream on its first connection.
 */
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/**
 * A TCP relay to the mock that holds back what the mock sends on its first connection until
 * the mock has closed it, then hands the proxy all of it and the FIN at once: the proxy's
 * process was busy while the upstream wrote (the loaded 2-core machine of the incident). Later
 * connections (the continuation) pass straight through.
 */
export async function startLateRelay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let first = true;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    if (!first) {
      upstream.pipe(client);
      return;
    }
    first = false;
    const held: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => held.push(chunk));
    upstream.on('close', () => client.end(Buffer.concat(held)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
