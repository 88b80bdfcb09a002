/**
 * Cooperative time slicing of stream work, so the event loop keeps accepting connections and
 * answering `/healthz` while thousands of streams are busy.
 *
 * Why: Node (libuv >= 1.45) accepts one connection per event-loop iteration, so the accept
 * rate is the iteration rate. The mock (and the API, when it is fast) can deliver a whole
 * message in one socket read, and the engine handles a read in one go (~1 ms for 50 KB); an
 * iteration handles every ready socket before it polls again, so with 2,000 streams ready at
 * once an iteration ran for seconds: the listen queue filled up, new connections waited (past
 * the backlog, they were reset) and `/healthz` took seconds to answer.
 *
 * How: upstream bodies reach the engine in slices of at most SLICE_BYTES. Before each slice a
 * stream asks for a turn. While the current budget window (TURN_BUDGET_MS) lasts and nobody is
 * queued, it goes on at once: an unloaded proxy never waits. Otherwise it joins a FIFO queue.
 * Once per iteration, in the check phase (setImmediate), a new window opens and the queue is
 * worked through round-robin, one slice per stream, until the window is spent; the rest wait
 * for the next iteration, after the loop has polled for I/O (and accepted a connection) again.
 * Waiting streams cost nothing per iteration: only the one whose turn it is runs.
 */

/**
 * Upstream bytes handed to the engine at once (~1 ms of its work): undici reads at most 64 KB,
 * so a read is one slice. Smaller slices cost more than they give: each is another output
 * chunk and, across iterations, another write syscall (16 KB cost ~10% more CPU per stream).
 */
const SLICE_BYTES = 64 * 1024;

/** Stream work one window (about one event-loop iteration) may do. */
const TURN_BUDGET_MS = 5;
/**
 * The window while connections keep arriving (one accepted in each of the last two
 * iterations): the listen queue is drained one connection per iteration, so iterations are
 * kept short until it is empty. Streams still get a slice per iteration.
 */
const BURST_BUDGET_MS = 0.25;

/** Connections accepted since the last tick, and whether the iteration before had one too. */
let acceptedSinceTick = 0;
let acceptedLastIteration = false;
let budgetMs = TURN_BUDGET_MS;

/** Called for every accepted connection (server.ts): a burst shortens the windows. */
export function noteConnection(): void {
  acceptedSinceTick++;
}

/** Start of the current budget window, or -1 when none is open. */
let windowStart = -1;
/** Streams waiting for a turn, longest first. */
const queue: Array<() => void> = [];
let tickScheduled = false;

function scheduleTick(): void {
  if (tickScheduled) return;
  tickScheduled = true;
  setImmediate(tick);
}

/** Check phase: a fresh window for the queue; with nobody waiting, the window closes. */
function tick(): void {
  tickScheduled = false;
  const accepted = acceptedSinceTick > 0;
  budgetMs = accepted && acceptedLastIteration ? BURST_BUDGET_MS : TURN_BUDGET_MS;
  acceptedLastIteration = accepted;
  acceptedSinceTick = 0;
  const next = queue.shift();
  if (next === undefined) {
    windowStart = -1;
    return;
  }
  windowStart = performance.now();
  // Also closes this window next iteration, and resumes whoever is still queued then.
  scheduleTick();
  next();
}

/** True while the window has budget left; opens a window when none is. */
function withinBudget(): boolean {
  const now = performance.now();
  if (windowStart < 0) {
    windowStart = now;
    scheduleTick();
    return true;
  }
  return now - windowStart <= budgetMs;
}

/** Waits for this stream's turn: queued behind the others; the turn passes on while budget lasts. */
function nextTurn(): Promise<void> {
  const mine = new Promise<void>((resolve) => queue.push(resolve));
  // Hand the turn to the longest-waiting stream while the window lasts; else at the next tick.
  if (withinBudget()) queue.shift()?.();
  else scheduleTick();
  return mine;
}

/**
 * A turn for a piece of work (a slice of a stream, a new request's start): undefined when it
 * may run now, else a promise of its turn. Await it before the work, not after.
 */
export function turn(): Promise<void> | undefined {
  return queue.length > 0 || !withinBudget() ? nextTurn() : undefined;
}

/** `body`, in slices of at most SLICE_BYTES, each one handed over in a turn. */
export async function* fairSlices(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
      const wait = turn();
      if (wait !== undefined) await wait;
      yield chunk.length <= SLICE_BYTES ? chunk : chunk.subarray(offset, offset + SLICE_BYTES);
    }
  }
}
