/**
 * `lifeline proxy --workers N|auto`: the primary process forks N node:cluster workers that
 * share the listening port (the primary accepts and hands connections out round-robin) and
 * each run the whole proxy. It prints one "listening on" line once all listen, restarts a
 * worker that dies (its streams are taken over by the others through the Redis store), and on
 * SIGTERM/SIGINT asks every worker to drain, then exits when they have.
 *
 * With --resumable the workers must share the log (`--store redis://...`): each worker's
 * memory is its own, and a reconnect may reach any of them.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';

/** Messages between the primary and its workers (over the cluster's IPC channel). */
export type WorkerMessage =
  | { type: 'lifeline-listening'; url: string }
  | { type: 'lifeline-shutdown' };

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    ((value as { type?: unknown }).type === 'lifeline-listening' ||
      (value as { type?: unknown }).type === 'lifeline-shutdown')
  );
}

/** `auto`: one worker per CPU the process may use. */
export function resolveWorkers(value: number | 'auto'): number {
  return value === 'auto' ? availableParallelism() : value;
}

/** A worker that dies this soon after it started is not restarted at once (a crash loop). */
const RESTART_BACKOFF_MS = 1_000;

export async function runPrimary(count: number): Promise<number> {
  let stopping = false;
  const listening = new Map<number, string>();
  const fork = (): Worker => {
    const worker = cluster.fork();
    const startedAt = Date.now();
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message) && message.type === 'lifeline-listening') {
        listening.set(worker.id, message.url);
      }
    });
    worker.once('exit', (code, signal) => {
      listening.delete(worker.id);
      if (stopping) return;
      const how = signal !== null ? `signal ${signal}` : `exit code ${code}`;
      const wait = Date.now() - startedAt < RESTART_BACKOFF_MS ? RESTART_BACKOFF_MS : 0;
      process.stderr.write(
        `lifeline proxy: worker ${worker.process.pid} stopped (${how}); starting another` +
          `${wait > 0 ? ` in ${wait} ms` : ''}. Its resumable streams are taken over by the ` +
          'other workers when their clients reconnect.\n',
      );
      setTimeout(fork, wait).unref();
    });
    return worker;
  };

  const workers: Worker[] = [];
  for (let i = 0; i < count; i++) workers.push(fork());
  const url = await new Promise<string | undefined>((resolve) => {
    const check = () => {
      if (listening.size === count) resolve([...listening.values()][0]);
    };
    for (const w of workers) {
      w.on('message', check);
      // A worker that cannot start (bad settings, port taken) exits with 2: so does the primary.
      w.once('exit', (code) => {
        if (listening.size < count && !stopping) {
          stopping = true;
          for (const other of workers) other.process.kill('SIGTERM');
          process.exitCode = typeof code === 'number' && code !== 0 ? code : 1;
          resolve(undefined);
        }
      });
    }
  });
  if (url === undefined) return Number(process.exitCode ?? 1);
  process.stderr.write(
    `lifeline proxy: listening on ${url} with ${count} workers (pids ${Object.values(
      cluster.workers ?? {},
    )
      .map((w) => w?.process.pid)
      .join(', ')}). Use it with ANTHROPIC_BASE_URL=${url}\n`,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        process.stderr.write(`lifeline proxy: ${signal} again, stopping the workers now\n`);
        for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
        process.exit(1);
      }
      stopping = true;
      process.stderr.write(`lifeline proxy: ${signal}: draining ${count} workers\n`);
      const alive = Object.values(cluster.workers ?? {}).filter(
        (w): w is Worker => w !== undefined,
      );
      let left = alive.length;
      if (left === 0) resolve();
      for (const w of alive) {
        w.once('exit', () => {
          left--;
          if (left === 0) resolve();
        });
        const message: WorkerMessage = { type: 'lifeline-shutdown' };
        w.send(message);
      }
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  return 0;
}
