/**
 * `lifeline verify --cut`: lifeline itself cuts the upstream stream, client side, so a seam can
 * be produced and audited against any upstream (the real API with the user's key included).
 *
 * The fetch lifeline wraps is wrapped once more: the first response of a run that streams
 * (200, `text/event-stream`) has its body cut right after its n-th complete SSE event, counted
 * with the project's SSE framer (comments are not events). The body then fails the way undici
 * fails when the server closes mid-body, `TypeError: terminated` caused by a `SocketError`
 * (`UND_ERR_SOCKET`, "other side closed"), and the upstream body is cancelled, so the connection
 * really closes. The engine sees a socket drop and resumes as on a real one.
 *
 * `random`: the cut falls after one text delta chosen uniformly among the text deltas of the
 * attempt that have another text delta of the same block after them, so the seam has text on
 * both sides. Choosing uniformly needs the whole attempt: it is read to its end first (with SSE
 * comments sent on meanwhile, so the engine's stall timer stays quiet), then replayed up to the
 * cut. The choice is seeded: run r of seed s always picks the same position of the same stream.
 */
import type { FetchLike } from '../../integrations/fetch.js';
import { seededRandom } from '../../mock/faults.js';
import { type SseEvent, type SseFrame, SseFramer } from '../../sse/index.js';

export type CutSpec = { kind: 'event'; event: number } | { kind: 'random'; seed: number };

/** Where in the stream the cut fell. */
export type CutWhere =
  /** Inside a text block: a text seam. */
  | 'text'
  | 'thinking'
  /** Inside a tool_use (or server tool use) input. */
  | 'tool-input'
  /** Inside a block of another type. */
  | 'block'
  /** No block open: after message_start, or after one block stopped and before the next. */
  | 'between-blocks'
  /** After the content, at message_delta. */
  | 'after-content'
  /** The stream ended (or failed) before the cut point. */
  | 'not-reached'
  /** `random`: the attempt had no text block with two text deltas. */
  | 'no-text';

export interface CutInfo {
  /** Whether lifeline cut the stream. */
  cut: boolean;
  /** The attempt whose stream was (to be) cut: the first that streamed, normally 1. */
  attempt: number;
  /** Events 1..event were delivered, then the stream failed. */
  event?: number | undefined;
  /** Events of the whole attempt, when it was read to its end (random cuts, cuts not reached). */
  events?: number | undefined;
  where: CutWhere;
  blockIndex?: number | undefined;
  blockType?: string | undefined;
  /** The open text block's text delivered before the cut (`where: 'text'`). */
  partialText?: string | undefined;
  /** `random`: how many text deltas could have been cut after. */
  candidates?: number | undefined;
  /** `random`: the uncut attempt's text blocks, joined by newlines (a reference for the audit). */
  uncutText?: string | undefined;
  /** Why there was no cut. */
  note?: string | undefined;
}

/** What undici throws when the server closes the socket mid-body. */
class CutSocketError extends Error {
  readonly code = 'UND_ERR_SOCKET';
  constructor(message: string) {
    super(message);
    this.name = 'SocketError';
  }
}

function cutError(event: number): TypeError {
  return new TypeError('terminated', {
    cause: new CutSocketError(
      `other side closed (cut by lifeline verify --cut after event ${event})`,
    ),
  });
}

/** How often a keep-alive comment goes out while a random cut reads the whole attempt. */
const KEEP_ALIVE_MS = 5_000;
const KEEP_ALIVE = new TextEncoder().encode(
  ': lifeline verify: reading the whole attempt to choose a random cut\n\n',
);

interface BlockState {
  type: string;
  text: string;
  open: boolean;
  /** Events (1-based numbers) of the block's text deltas. */
  textDeltas: number[];
}

/** Follows a stream's events: the blocks, their text, where the stream is. */
export class StreamTracker {
  events = 0;
  readonly blocks = new Map<number, BlockState>();
  #afterContent = false;

  /** Takes the next event; returns its type. */
  push(event: SseEvent): string {
    this.events++;
    let data: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(event.data);
      if (typeof parsed === 'object' && parsed !== null) data = parsed as Record<string, unknown>;
    } catch {
      // not JSON: counted, not followed
    }
    const type = typeof data.type === 'string' ? data.type : (event.event ?? 'message');
    const index = typeof data.index === 'number' ? data.index : undefined;
    if (type === 'content_block_start' && index !== undefined) {
      const block = data.content_block as { type?: unknown; text?: unknown } | undefined;
      this.blocks.set(index, {
        type: typeof block?.type === 'string' ? block.type : 'unknown',
        text: typeof block?.text === 'string' ? block.text : '',
        open: true,
        textDeltas: [],
      });
    } else if (type === 'content_block_delta' && index !== undefined) {
      const delta = data.delta as { type?: unknown; text?: unknown } | undefined;
      const block = this.blocks.get(index);
      if (block !== undefined && delta?.type === 'text_delta' && typeof delta.text === 'string') {
        block.text += delta.text;
        block.textDeltas.push(this.events);
      }
    } else if (type === 'content_block_stop' && index !== undefined) {
      const block = this.blocks.get(index);
      if (block !== undefined) block.open = false;
    } else if (type === 'message_delta') {
      this.#afterContent = true;
    }
    return type;
  }

  /** Where the stream is now, as a cut there would see it. */
  position(): Pick<CutInfo, 'where' | 'blockIndex' | 'blockType' | 'partialText'> {
    const open = [...this.blocks.entries()].filter(([, b]) => b.open).at(-1);
    if (open === undefined)
      return { where: this.#afterContent ? 'after-content' : 'between-blocks' };
    const [blockIndex, block] = open;
    const where: CutWhere =
      block.type === 'text'
        ? 'text'
        : block.type === 'thinking' || block.type === 'redacted_thinking'
          ? 'thinking'
          : block.type.endsWith('tool_use')
            ? 'tool-input'
            : 'block';
    return {
      where,
      blockIndex,
      blockType: block.type,
      ...(where === 'text' ? { partialText: block.text } : {}),
    };
  }

  /** The first text block's text (a continuation's text as the model wrote it). */
  firstText(): string | undefined {
    const first = [...this.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .find(([, b]) => b.type === 'text');
    return first?.[1].text;
  }

  /** The text blocks' text, in block order, joined by newlines. */
  text(): string {
    return [...this.blocks.entries()]
      .sort(([a], [b]) => a - b)
      .filter(([, b]) => b.type === 'text')
      .map(([, b]) => b.text)
      .join('\n');
  }

  /** Text deltas with another text delta of their block after them: where `random` may cut. */
  candidates(): number[] {
    const out: number[] = [];
    for (const block of this.blocks.values()) out.push(...block.textDeltas.slice(0, -1));
    return out.sort((a, b) => a - b);
  }
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function eventOf(frame: SseFrame): SseEvent | undefined {
  return frame.isComment ? undefined : frame.toEvent();
}

async function cancelQuietly(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    await reader.cancel();
  } catch {
    // already failed or closed
  }
}

/** `--cut N`: passes the stream through, frame by frame, and fails it after event N. */
async function* cutAtEvent(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  n: number,
  report: (info: Omit<CutInfo, 'attempt'>) => void,
): AsyncGenerator<Uint8Array> {
  const framer = new SseFramer();
  const tracker = new StreamTracker();
  let passed = false; // message_stop came at or before event n: nothing to cut
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (err) {
      if (!passed) {
        report({
          cut: false,
          where: 'not-reached',
          events: tracker.events,
          note: `the upstream failed after ${tracker.events} events, before the cut`,
        });
      }
      throw err;
    }
    if (chunk.done) break;
    const out: Uint8Array[] = [];
    for (const frame of framer.push(chunk.value)) {
      out.push(frame.raw);
      const event = eventOf(frame);
      if (event === undefined) continue;
      const type = tracker.push(event);
      if (passed) continue;
      if (type === 'message_stop' && tracker.events <= n) {
        // Reported now: the engine stops reading at message_stop.
        passed = true;
        report({
          cut: false,
          where: 'not-reached',
          events: tracker.events,
          note: `the stream had ${tracker.events} events, so there was nothing to cut after event ${n}`,
        });
        continue;
      }
      if (tracker.events !== n) continue;
      yield join(out);
      report({ cut: true, event: n, ...tracker.position() });
      await cancelQuietly(reader);
      throw cutError(n);
    }
    if (out.length > 0) yield join(out);
  }
  const { rest } = framer.end();
  if (rest.length > 0) yield rest;
  if (!passed) {
    report({
      cut: false,
      where: 'not-reached',
      events: tracker.events,
      note: `the stream ended after ${tracker.events} events, without message_stop, before the cut`,
    });
  }
}

/** The seeded choice for one run: a number in [0, 1). */
export function runRandom(seed: number, run: number): number {
  return seededRandom((seed ^ Math.imul(run, 0x9e3779b1)) >>> 0)();
}

/** `--cut random`: reads the whole attempt, picks a text delta, replays up to it and fails. */
async function* cutAtRandom(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  seed: number,
  run: number,
  report: (info: Omit<CutInfo, 'attempt'>) => void,
): AsyncGenerator<Uint8Array> {
  const framer = new SseFramer();
  const tracker = new StreamTracker();
  // Each frame with the number of events up to and including it.
  const frames: { raw: Uint8Array; events: number; event: SseEvent | undefined }[] = [];
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
  for (;;) {
    pending ??= reader.read();
    let timer: NodeJS.Timeout | undefined;
    const tick = new Promise<'tick'>((resolve) => {
      timer = setTimeout(() => resolve('tick'), KEEP_ALIVE_MS);
    });
    let next: ReadableStreamReadResult<Uint8Array> | 'tick';
    try {
      next = await Promise.race([pending, tick]);
    } catch (err) {
      // A real failure before the end: deliver what came, then fail as it did.
      report({
        cut: false,
        where: 'not-reached',
        events: tracker.events,
        note: `the upstream failed after ${tracker.events} events, before a cut could be chosen`,
      });
      if (frames.length > 0) yield join(frames.map((f) => f.raw));
      throw err;
    } finally {
      clearTimeout(timer);
    }
    if (next === 'tick') {
      yield KEEP_ALIVE;
      continue;
    }
    pending = undefined;
    if (next.done) break;
    for (const frame of framer.push(next.value)) {
      const event = eventOf(frame);
      if (event !== undefined) tracker.push(event);
      // frame.raw may be a view of a chunk the next read reuses: keep a copy.
      frames.push({ raw: frame.raw.slice(), events: tracker.events, event });
    }
  }
  const { rest } = framer.end();
  const candidates = tracker.candidates();
  if (candidates.length === 0) {
    report({
      cut: false,
      where: 'no-text',
      events: tracker.events,
      candidates: 0,
      note: 'the response has no text block with two or more text deltas: no text seam to make',
    });
    yield join([...frames.map((f) => f.raw), rest]);
    return;
  }
  const event = candidates[Math.floor(runRandom(seed, run) * candidates.length)]!;
  // The frames up to the chosen event's (comments before it included, none after it), and the
  // position there, replayed.
  const sent = frames.slice(
    0,
    frames.findIndex((f) => f.events === event && f.event !== undefined) + 1,
  );
  const replay = new StreamTracker();
  for (const f of sent) if (f.event !== undefined) replay.push(f.event);
  report({
    cut: true,
    event,
    events: tracker.events,
    candidates: candidates.length,
    uncutText: tracker.text(),
    ...replay.position(),
  });
  yield join(sent.map((f) => f.raw));
  throw cutError(event);
}

/** Passes a stream through unchanged, following its events. */
async function* follow(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  tracker: StreamTracker,
): AsyncGenerator<Uint8Array> {
  const framer = new SseFramer();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const frame of framer.push(value)) {
      const event = eventOf(frame);
      if (event !== undefined) tracker.push(event);
    }
    yield value;
  }
}

function toStream(
  chunks: AsyncGenerator<Uint8Array>,
  upstream: ReadableStreamDefaultReader<Uint8Array>,
) {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await chunks.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel(reason) {
        await chunks.return(undefined);
        try {
          await upstream.cancel(reason);
        } catch {
          // already closed
        }
      },
    },
    // Pull only when read, so the bytes before a cut are read before the cut fails the stream.
    { highWaterMark: 0 },
  );
}

function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').includes('text/event-stream');
}

/**
 * Wraps `base` so the first response of the run that streams is cut as `spec` says. `report`
 * is called once, when the cut happens or when it turns out there is none to make.
 */
export function cuttingFetch(
  base: FetchLike,
  spec: CutSpec,
  run: number,
  report: (info: CutInfo) => void,
  /** Each later attempt that streams, followed as the engine reads it (its text as the model wrote it). */
  observe?: (attempt: number, tracker: StreamTracker) => void,
): FetchLike {
  let armed = true;
  let attempt = 0;
  return async (input, init) => {
    attempt++;
    const response = await base(input, init);
    if (response.status !== 200 || response.body === null || !isEventStream(response)) {
      return response;
    }
    if (!armed) {
      if (observe === undefined) return response;
      const tracker = new StreamTracker();
      observe(attempt, tracker);
      const reader = response.body.getReader();
      return new Response(toStream(follow(reader, tracker), reader), {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    armed = false;
    const reader = response.body.getReader();
    const at = attempt;
    const tell = (info: Omit<CutInfo, 'attempt'>) => report({ attempt: at, ...info });
    const chunks =
      spec.kind === 'event'
        ? cutAtEvent(reader, spec.event, tell)
        : cutAtRandom(reader, spec.seed, run, tell);
    return new Response(toStream(chunks, reader), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
