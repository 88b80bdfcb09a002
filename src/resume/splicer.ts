/**
 * The splicer: turns the events of one or more upstream attempts into ONE coherent stream.
 *
 * It applies the hold-back rules while streaming, so that a resume never has to take back
 * bytes already sent downstream (docs/resume.md, "Hold-back and splicing"):
 * - text streams live, except trailing whitespace, held until more text or the block end;
 * - tool inputs and other non-text blocks (server results, unknown future blocks) are held
 *   until `content_block_stop`, then sent whole;
 * - thinking is held until its signature arrives (option `thinking: 'stream'` sends it live);
 * - `message_delta` is held until `message_stop`, so usage can be summed over attempts.
 *
 * And the splicing rules: one `message_start`; indices renumbered so a continuation's blocks
 * follow those already sent; a continuation's first text block merged into the open text
 * block (after the seam rule); blocks the continuation regenerates but that were already sent
 * (see planner `skip`) dropped; one `message_delta` with summed usage; one `message_stop`.
 *
 * Events pass through as their original bytes whenever nothing about them changes.
 */

import { LifelineError } from '../errors.js';
import { MessageAccumulator } from '../message/index.js';
import type {
  BetaMessage,
  ContentBlock,
  StreamEvent,
  UnknownStreamEvent,
} from '../protocol/index.js';
import { blockCategory, isClientToolUse } from '../protocol/index.js';
import { isRetryableErrorType } from './failure.js';
import type { Strategy } from './planner.js';
import { assemble, sameBlock } from './regenerated.js';
import type { SeamRecord } from './report.js';
import { decideSeam, type SeamContext, type SeamMode, seamContext } from './seam/index.js';
import { encodeEventBytes, textDeltaBytes } from './wire.js';

export { encodeEventBytes } from './wire.js';

export interface UpstreamEvent {
  /** The event type (`message_start`, ...), from the SSE `event:` field or the data's `type`. */
  type: string;
  /** The parsed data. */
  data: Record<string, unknown>;
  /** The event's original bytes, forwarded unchanged when nothing about the event changes. */
  raw?: Uint8Array | undefined;
}

/** How the splicer treats thinking and the seam of a continuation turn (engine options `thinking`, `seam`, `seamExcerpts`). */
export interface SplicerOptions {
  /** `hold` (default): thinking is sent once signed. `stream`: sent live (a drop inside it cannot be resumed). */
  thinking?: 'hold' | 'stream';
  /**
   * `auto` (default): the seam rules of src/resume/seam/ remove what a continuation turn
   * restates. `append`: a continuation's text is appended as written (a deliberately naive seam,
   * for audits that must show what the rules prevent).
   */
  seam?: 'auto' | 'append';
  /** Keep the text around each seam in its record (`excerpt`): user content, so off by default. */
  seamExcerpts?: boolean;
}

export type PushResult =
  /** Keep reading this attempt. */
  | 'continue'
  /** The message is complete downstream (`message_stop` sent). */
  | 'done'
  /** A retryable SSE `error` event arrived: treat as a failure of this attempt. */
  | 'retryable-error'
  /** A non-retryable `error` event was passed downstream; the stream is over. */
  | 'fatal-error'
  /** The continuation diverged from an already-sent client tool use: finish at the tool. */
  | 'end-at-tool';

/** What an attempt received that never reached the client (it was held back, then lost). */
export interface DiscardedContent {
  blocks: number;
  bytes: number;
  /** The block that was open when the attempt failed, as far as it was received. */
  openBlock?: { type: string; name?: string; receivedBytes: number; partial: string } | undefined;
}

type Json = Record<string, unknown>;

interface Usage {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

/**
 * The open downstream text block. Its `content_block_start` is held (`pendingStart`) until the
 * first non-whitespace text arrives: a block the client has seen started but empty would
 * otherwise have to absorb whatever a continuation sends first.
 */
interface OpenText {
  downIndex: number;
  heldWs: string;
  pendingStart: { data: Json; raw: Uint8Array | undefined } | undefined;
}

/** A continuation's first text block while its seam is undecided (src/resume/seam/). */
interface SeamState {
  /** 'open': merge into the open downstream text block; 'new': a new block after a closed text block. */
  target: 'open' | 'new';
  context: SeamContext;
  /** For a 'new' target: the whitespace the closed block already ends with. */
  deliveredWs: string;
  /** The continuation's text so far. */
  buffer: string;
  /** The upstream block's `content_block_start` data (for a 'new' target). */
  start: Json;
}

/** Where an upstream block's events go. `downIndex` is always a downstream block index. */
type Route =
  | {
      kind: 'text';
      /** Unassigned while a seam that will open a new block is undecided. */
      downIndex: number | undefined;
      seam?: SeamState | undefined;
      /** citations_delta events, held until the block stops (see #blockDelta). */
      citations?: UpstreamEvent[];
    }
  | { kind: 'held'; events: UpstreamEvent[]; bytes: number; compareTo?: ContentBlock | undefined }
  | { kind: 'live'; downIndex: number }
  | { kind: 'dropped' };

interface Attempt {
  strategy: Strategy | 'first';
  skip: ContentBlock[];
  routes: Map<number, Route>;
  usage: Usage;
  messageDelta: Json | undefined;
  messageDeltaRaw: Uint8Array | undefined;
  /** Regenerated tool-use ids mapped to the ids already sent. */
  idMap: Map<string, string>;
  /**
   * A resumed attempt's seam, until its first text block: the text delivered before it (the
   * open block's, or the last block's when that is text). Thinking may come first (a
   * continuation that opens with its own thinking); any other block ends the chance.
   */
  seamFrom: { text: string; downIndex: number } | undefined;
}

const encoder = new TextEncoder();

/** The upstream broke the protocol in a way the splicer cannot repair. */
export class SpliceProtocolError extends LifelineError {
  readonly type = 'protocol' as const;
  constructor(message: string) {
    super(`upstream stream is malformed: ${message}`);
    this.name = 'SpliceProtocolError';
  }
}
const WS_TAIL = /\s+$/;
/** Characters of text kept on each side of a seam in its excerpt. */
const EXCERPT = 60;

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function emptyUsage(): Usage {
  return { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 };
}

export class Splicer {
  readonly #options: Required<SplicerOptions>;
  readonly #seams: SeamRecord[] = [];
  /** What the client has received, as a message. */
  readonly #downstream = new MessageAccumulator();
  #started = false;
  #ended = false;
  #nextOut = 0;
  /** The open downstream text block and its held-back trailing whitespace. */
  #open: OpenText | undefined;
  #attempt: Attempt;
  readonly #usages: Usage[] = [];
  #containerId: string | undefined;
  #messageDeltaSeen = false;
  #emittedBytes = 0;
  #unrecoverable: string | undefined;

  constructor(options: SplicerOptions = {}) {
    this.#options = {
      thinking: options.thinking ?? 'hold',
      seam: options.seam ?? 'auto',
      seamExcerpts: options.seamExcerpts ?? false,
    };
    this.#attempt = this.#newAttempt('first', []);
  }

  #newAttempt(strategy: Strategy | 'first', skip: ContentBlock[]): Attempt {
    const usage = emptyUsage();
    this.#usages.push(usage);
    return {
      strategy,
      skip: [...skip],
      routes: new Map(),
      usage,
      messageDelta: undefined,
      messageDeltaRaw: undefined,
      idMap: new Map(),
      seamFrom: strategy === 'first' ? undefined : this.#deliveredTextEnd(),
    };
  }

  /** The text a resumed attempt's first text block continues, if any, and its block. */
  #deliveredTextEnd(): { text: string; downIndex: number } | undefined {
    const open = this.#open;
    if (open !== undefined) {
      return open.pendingStart === undefined
        ? { text: this.#downstream.snapshot().open?.text ?? '', downIndex: open.downIndex }
        : undefined;
    }
    const blocks = this.#downstream.snapshot().blocks;
    const last = blocks[blocks.length - 1] as (ContentBlock & { text?: string }) | undefined;
    return last?.type === 'text'
      ? { text: (last.text ?? '').replace(WS_TAIL, ''), downIndex: blocks.length - 1 }
      : undefined;
  }

  /** Whitespace a closed text block ends with (already delivered). */
  #closedTrailingWs(downIndex: number): string {
    const block = this.#downstream.snapshot().blocks[downIndex] as { text?: unknown } | undefined;
    return typeof block?.text === 'string' ? (WS_TAIL.exec(block.text)?.[0] ?? '') : '';
  }

  /** Starts the next attempt, planned with `strategy`. */
  beginAttempt(strategy: Strategy, skip: ContentBlock[]): void {
    this.#attempt = this.#newAttempt(strategy, skip);
    this.#messageDeltaSeen = false;
  }

  /** A continuation's text is held while its seam is undecided. */
  get seamPending(): boolean {
    for (const route of this.#attempt.routes.values()) {
      if (route.kind === 'text' && route.seam !== undefined) return true;
    }
    return false;
  }

  /** Every seam decided so far, in order. */
  get seams(): SeamRecord[] {
    return this.#seams;
  }

  get started(): boolean {
    return this.#started;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get emittedBytes(): number {
    return this.#emittedBytes;
  }

  /** Set when what was sent downstream cannot be continued (only a failure is left). */
  get unrecoverable(): string | undefined {
    return this.#unrecoverable;
  }

  get containerId(): string | undefined {
    return this.#containerId;
  }

  /** The message as the client has it (complete blocks; the open text block's emitted text). */
  downstream(): MessageAccumulator {
    return this.#downstream;
  }

  /**
   * The message as delivered so far, for a caller whose stream could not be completed: complete
   * blocks plus the open text block's delivered text (nothing the client received is lost).
   */
  partialMessage(): BetaMessage | undefined {
    if (!this.#started) return undefined;
    const message = this.#downstream.toMessage();
    const open = this.#downstream.snapshot().open;
    if (this.#open !== undefined && this.#open.pendingStart === undefined && open !== undefined) {
      const block: Record<string, unknown> = {
        ...(open.start as object),
        type: 'text',
        text: open.text,
      };
      if (open.citations !== undefined) block.citations = open.citations;
      message.content = [...message.content, block as unknown as BetaMessage['content'][number]];
    }
    return message;
  }

  /** Characters of content the client has: text, thinking, tool input JSON, other blocks. */
  deliveredChars(): number {
    const snap = this.#downstream.snapshot();
    let chars = this.#open?.pendingStart === undefined ? (snap.open?.text?.length ?? 0) : 0;
    for (const block of snap.blocks) {
      const b = block as unknown as Record<string, unknown>;
      if (typeof b.text === 'string') chars += b.text.length;
      else if (typeof b.thinking === 'string') chars += b.thinking.length;
      else if (b.input !== undefined) chars += JSON.stringify(b.input).length;
      else chars += JSON.stringify(b).length;
    }
    return chars;
  }

  /** What the planner needs to know about the downstream message. */
  view(): {
    blocks: ContentBlock[];
    openText: string | undefined;
    openCitations: unknown[] | undefined;
    containerId: string | undefined;
    finished: boolean;
  } {
    const snap = this.#downstream.snapshot();
    return {
      blocks: snap.blocks,
      openText:
        this.#open === undefined || this.#open.pendingStart !== undefined
          ? undefined
          : (snap.open?.text ?? ''),
      openCitations: this.#open === undefined ? undefined : snap.open?.citations,
      containerId: this.#containerId,
      finished: this.#messageDeltaSeen,
    };
  }

  #emit(out: Uint8Array[], type: string, data: Json, raw?: Uint8Array): void {
    const bytes = raw ?? encodeEventBytes(type, data);
    out.push(bytes);
    this.#emittedBytes += bytes.length;
    // The accumulator never mutates the event: copy only when `type` must be set.
    this.#downstream.push(
      (data.type === type ? data : { ...data, type }) as StreamEvent | UnknownStreamEvent,
    );
  }

  /** Sends an upstream block event at downstream index `downIndex`: its own bytes when the index is unchanged. */
  #forward(out: Uint8Array[], ev: UpstreamEvent, downIndex: number): void {
    const same = num(ev.data.index) === downIndex;
    this.#emit(out, ev.type, { ...ev.data, index: downIndex }, same ? ev.raw : undefined);
  }

  /** Sends a text delta through the trailing-whitespace hold. */
  #emitText(out: Uint8Array[], downIndex: number, text: string, raw?: Uint8Array): void {
    const open = this.#open;
    if (open === undefined) return;
    const combined = open.heldWs + text;
    // Most deltas end in a visible ASCII character: skip the regex for them.
    const last = combined.charCodeAt(combined.length - 1);
    const m = last > 0x20 && last < 0x7f ? null : WS_TAIL.exec(combined);
    const body = m ? combined.slice(0, m.index) : combined;
    open.heldWs = m ? m[0] : '';
    if (body === '') return;
    this.#flushStart(out, open);
    const data = {
      type: 'content_block_delta',
      index: downIndex,
      delta: { type: 'text_delta', text: body },
    };
    this.#emit(
      out,
      'content_block_delta',
      data,
      body === text && raw !== undefined ? raw : textDeltaBytes(downIndex, body),
    );
  }

  #flushStart(out: Uint8Array[], open: OpenText): void {
    if (open.pendingStart === undefined) return;
    const { data, raw } = open.pendingStart;
    open.pendingStart = undefined;
    this.#emit(out, 'content_block_start', data, raw);
  }

  /** Closes the open downstream text block (flushing held whitespace). */
  #closeOpen(out: Uint8Array[], raw?: Uint8Array): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#flushStart(out, open);
    if (open.heldWs !== '') {
      this.#emit(out, 'content_block_delta', {
        type: 'content_block_delta',
        index: open.downIndex,
        delta: { type: 'text_delta', text: open.heldWs },
      });
    }
    this.#emit(
      out,
      'content_block_stop',
      { type: 'content_block_stop', index: open.downIndex },
      raw,
    );
    this.#open = undefined;
  }

  #ensureStarted(): void {
    if (!this.#started) {
      throw new SpliceProtocolError('a content block arrived before message_start');
    }
  }

  /** Handles one upstream event; appends what to send downstream to `out`. */
  push(ev: UpstreamEvent, out: Uint8Array[]): PushResult {
    if (this.#ended) return 'done';
    const a = this.#attempt;
    const d = ev.data;
    switch (ev.type) {
      case 'message_start': {
        const message = (d.message ?? {}) as Json;
        const usage = (message.usage ?? {}) as Json;
        a.usage.input = num(usage.input_tokens);
        a.usage.cacheCreation = num(usage.cache_creation_input_tokens);
        a.usage.cacheRead = num(usage.cache_read_input_tokens);
        a.usage.output = num(usage.output_tokens);
        const container = message.container as { id?: unknown } | null | undefined;
        if (container && typeof container.id === 'string' && this.#containerId === undefined) {
          this.#containerId = container.id;
        }
        if (!this.#started) {
          this.#started = true;
          this.#emit(out, 'message_start', d, ev.raw);
        }
        return 'continue';
      }
      case 'content_block_start':
        this.#ensureStarted();
        return this.#blockStart(ev, out);
      case 'content_block_delta':
        return this.#blockDelta(ev, out);
      case 'content_block_stop':
        return this.#blockStop(ev, out);
      case 'message_delta': {
        a.messageDelta = d;
        a.messageDeltaRaw = ev.raw;
        const usage = (d.usage ?? {}) as Json;
        if (typeof usage.output_tokens === 'number') a.usage.output = usage.output_tokens;
        if (typeof usage.input_tokens === 'number') a.usage.input = usage.input_tokens;
        const delta = (d.delta ?? {}) as Json;
        const container = delta.container as { id?: unknown } | null | undefined;
        if (container && typeof container.id === 'string') this.#containerId ??= container.id;
        this.#messageDeltaSeen = true;
        return 'continue';
      }
      case 'message_stop':
        this.finish(out, ev.raw);
        return 'done';
      case 'error': {
        const error = (d.error ?? {}) as Json;
        if (typeof error.type === 'string' && isRetryableErrorType(error.type))
          return 'retryable-error';
        out.push(ev.raw ?? encodeEventBytes('error', d));
        this.#ended = true;
        return 'fatal-error';
      }
      default:
        // Pings and unknown event types pass through untouched.
        out.push(ev.raw ?? encodeEventBytes(ev.type, d));
        return 'continue';
    }
  }

  #blockStart(ev: UpstreamEvent, out: Uint8Array[]): PushResult {
    const a = this.#attempt;
    const index = num(ev.data.index);
    const block = (ev.data.content_block ?? {}) as Json & { type?: unknown };
    const type = typeof block.type === 'string' ? block.type : 'unknown';
    const category = blockCategory(type);

    if (a.skip.length > 0) {
      // The continuation should first regenerate the blocks already sent: hold and compare.
      a.routes.set(index, { kind: 'held', events: [ev], bytes: 0, compareTo: a.skip[0] });
      return 'continue';
    }

    const seamFrom = a.seamFrom;
    if (category !== 'thinking') a.seamFrom = undefined;
    if (category === 'text') {
      if (seamFrom !== undefined) {
        // A resumed attempt's first text block continues the delivered text: seam it.
        const mode = this.#seamMode(a.strategy);
        const open = this.#open?.downIndex === seamFrom.downIndex ? this.#open : undefined;
        // A closed block (closed by the continuation's own thinking, or before the failure)
        // already delivered its trailing whitespace: the seam weighs it as held whitespace.
        const deliveredWs = open === undefined ? this.#closedTrailingWs(seamFrom.downIndex) : '';
        a.routes.set(index, {
          kind: 'text',
          downIndex: open?.downIndex,
          seam: {
            target: open !== undefined ? 'open' : 'new',
            context: seamContext(seamFrom.text, open?.heldWs ?? deliveredWs, mode),
            deliveredWs,
            buffer: '',
            start: block,
          },
        });
        return 'continue';
      }
      this.#closeOpen(out);
      const downIndex = this.#nextOut++;
      this.#open = {
        downIndex,
        heldWs: '',
        pendingStart: {
          data: { ...ev.data, index: downIndex },
          raw: downIndex === index ? ev.raw : undefined,
        },
      };
      a.routes.set(index, { kind: 'text', downIndex });
      return 'continue';
    }

    if (category === 'thinking' && this.#options.thinking === 'stream') {
      this.#closeOpen(out);
      const downIndex = this.#nextOut++;
      a.routes.set(index, { kind: 'live', downIndex: downIndex });
      this.#forward(out, ev, downIndex);
      return 'continue';
    }
    a.routes.set(index, { kind: 'held', events: [ev], bytes: ev.raw?.length ?? 0 });
    return 'continue';
  }

  #blockDelta(ev: UpstreamEvent, out: Uint8Array[]): PushResult {
    const index = num(ev.data.index);
    const route = this.#attempt.routes.get(index);
    if (route === undefined) return 'continue'; // a delta for a block never started: nothing to attach it to
    const delta = (ev.data.delta ?? {}) as Json;
    switch (route.kind) {
      case 'text': {
        if (route.seam !== undefined) return this.#seamDelta(route, ev, out);
        const downIndex = route.downIndex;
        if (downIndex === undefined) return 'continue';
        if (delta.type === 'text_delta' && typeof delta.text === 'string') {
          this.#emitText(out, downIndex, delta.text, downIndex === index ? ev.raw : undefined);
        } else {
          if (delta.type === 'citations_delta') {
            // Citations close a cited span, after all its text. Held until the block stops, so a
            // drop between two of them never leaves the client half a citation list that a
            // continuation would have to complete.
            route.citations ??= [];
            route.citations.push(ev);
            return 'continue';
          }
          // Unknown deltas of a text block: pass through, renumbered.
          if (this.#open?.downIndex === downIndex) this.#flushStart(out, this.#open);
          this.#forward(out, ev, downIndex);
        }
        return 'continue';
      }
      case 'held': {
        route.events.push(ev);
        route.bytes += ev.raw?.length ?? 0;
        if (delta.type === 'signature_delta' && route.compareTo === undefined) {
          // Signed thinking can be replayed: send what was held and stream the rest live.
          const downIndex = this.#flushHeld(route.events, out);
          this.#attempt.routes.set(index, { kind: 'live', downIndex: downIndex });
        }
        return 'continue';
      }
      case 'live':
        this.#forward(out, ev, route.downIndex);
        return 'continue';
      case 'dropped':
        return 'continue';
    }
  }

  #blockStop(ev: UpstreamEvent, out: Uint8Array[]): PushResult {
    const a = this.#attempt;
    const index = num(ev.data.index);
    const route = a.routes.get(index);
    if (route === undefined) return 'continue';
    a.routes.set(index, { kind: 'dropped' });
    switch (route.kind) {
      case 'text': {
        if (route.seam !== undefined) this.#resolveSeam(route, out, 'stop');
        const downIndex = route.downIndex;
        // Unassigned after the seam: a whitespace-only continuation of a closed block, dropped.
        if (downIndex === undefined) return 'continue';
        if (route.citations !== undefined && this.#open?.downIndex === downIndex) {
          this.#flushStart(out, this.#open);
          for (const c of route.citations) this.#forward(out, c, downIndex);
        }
        if (this.#open?.downIndex === downIndex)
          this.#closeOpen(out, downIndex === index ? ev.raw : undefined);
        return 'continue';
      }
      case 'held': {
        route.events.push(ev);
        if (route.compareTo !== undefined) return this.#compareSkipped(route, out);
        this.#flushHeld(route.events, out);
        return 'continue';
      }
      case 'live':
        this.#forward(out, ev, route.downIndex);
        return 'continue';
      case 'dropped':
        return 'continue';
    }
  }

  /** Sends a held block whole at the next downstream index; returns that index. */
  #flushHeld(events: UpstreamEvent[], out: Uint8Array[]): number {
    this.#closeOpen(out);
    const downIndex = this.#nextOut++;
    const idMap = this.#attempt.idMap;
    for (const held of events) {
      let data: Json = { ...held.data, index: downIndex };
      let changed = num(held.data.index) !== downIndex;
      if (held.type === 'content_block_start') {
        const block = held.data.content_block as Json;
        const mapped =
          typeof block.tool_use_id === 'string' ? idMap.get(block.tool_use_id) : undefined;
        if (mapped !== undefined) {
          data = { ...data, content_block: { ...block, tool_use_id: mapped } };
          changed = true;
        }
      }
      this.#emit(out, held.type, data, changed ? undefined : held.raw);
    }
    return downIndex;
  }

  /** A regenerated block arrived complete while blocks already sent are expected: drop it if it repeats one. */
  #compareSkipped(route: Extract<Route, { kind: 'held' }>, out: Uint8Array[]): PushResult {
    const a = this.#attempt;
    const expected = a.skip[0];
    const got = assemble(route.events);
    if (expected !== undefined && got !== undefined && sameBlock(expected, got)) {
      a.skip.shift();
      const oldId = (expected as { id?: unknown }).id;
      const newId = (got as { id?: unknown }).id;
      if (typeof oldId === 'string' && typeof newId === 'string' && oldId !== newId)
        a.idMap.set(newId, oldId);
      return 'continue';
    }
    // The continuation went another way. A client tool use already sent cannot be taken back:
    // end the message there so the client runs it. A server tool use was run by the API: keep
    // what follows.
    if (expected !== undefined && isClientToolUse((expected as { type: string }).type))
      return 'end-at-tool';
    a.skip = [];
    this.#flushHeld(route.events, out);
    return 'continue';
  }

  #seamDelta(
    route: Extract<Route, { kind: 'text' }>,
    ev: UpstreamEvent,
    out: Uint8Array[],
  ): PushResult {
    const seam = route.seam as SeamState;
    const delta = (ev.data.delta ?? {}) as Json;
    if (delta.type !== 'text_delta' || typeof delta.text !== 'string') {
      // A citation or unknown delta before the seam is decided: decide with what we have.
      this.#resolveSeam(route, out, 'delta');
      const downIndex = route.downIndex;
      if (downIndex !== undefined) {
        if (delta.type === 'citations_delta') {
          route.citations ??= [];
          route.citations.push(ev);
        } else {
          if (this.#open?.downIndex === downIndex) this.#flushStart(out, this.#open);
          this.#emit(out, 'content_block_delta', { ...ev.data, index: downIndex });
        }
      }
      return 'continue';
    }
    seam.buffer += delta.text;
    this.#resolveSeam(route, out, 'more');
    return 'continue';
  }

  #seamMode(strategy: Strategy | 'first'): SeamMode {
    if (strategy !== 'continue') return 'prefill';
    return this.#options.seam === 'append' ? 'append' : 'continuation';
  }

  /**
   * Decides the seam once enough of the continuation's text has arrived (src/resume/seam/), or
   * now: at the block's end (`stop`), or at a citation or unknown delta (`delta`, the block goes
   * on after it), and sends the joined text. `more`: only if the text so far decides it.
   */
  #resolveSeam(
    route: Extract<Route, { kind: 'text' }>,
    out: Uint8Array[],
    at: 'more' | 'delta' | 'stop',
  ): void {
    const seam = route.seam;
    if (seam === undefined) return;
    const decision = decideSeam(seam.context, seam.buffer, at !== 'more');
    if (decision === undefined) return;
    route.seam = undefined;
    let text = decision.text;
    let offset = 0;
    if (seam.target === 'new') {
      // A closed block that ends with whitespace already has the seam's whitespace; one that
      // does not (closed by the continuation's thinking right after a word) gets the
      // continuation's. A continuation block that ends with only whitespace is dropped; one
      // that goes on after a citation or unknown delta is opened, for that delta and the text
      // after it (dropping it there would lose the rest of the block).
      if (seam.deliveredWs !== '') text = text.replace(/^\s+/, '');
      if (at === 'stop' && text.trim() === '') return;
      this.#closeOpen(out);
      route.downIndex = this.#nextOut++;
      this.#open = {
        downIndex: route.downIndex,
        heldWs: '',
        pendingStart: {
          data: { type: 'content_block_start', index: route.downIndex, content_block: seam.start },
          raw: undefined,
        },
      };
    } else {
      const open = this.#open;
      if (open === undefined || route.downIndex === undefined) return;
      offset = this.#downstream.snapshot().open?.text.length ?? 0;
      open.heldWs = ''; // joined into `text` by the seam
    }
    // Decided at a citation or unknown delta, before the text could decide it: a restatement
    // that comes after that delta goes unexamined, so the join cannot be vouched for.
    this.#recordSeam(
      route.downIndex,
      offset,
      seam,
      at === 'delta' ? { ...decision, confidence: 'low' } : decision,
    );
    this.#emitText(out, route.downIndex, text);
  }

  #recordSeam(
    blockIndex: number,
    offset: number,
    seam: SeamState,
    decision: NonNullable<ReturnType<typeof decideSeam>>,
  ): void {
    const record: SeamRecord = {
      attempt: this.#usages.length,
      blockIndex,
      offset,
      trimmed: decision.trimmed,
      rule: decision.rule,
      removed: decision.removed,
      whitespace: decision.whitespace,
      confidence: decision.confidence,
    };
    if (this.#options.seamExcerpts) {
      record.excerpt = {
        before: seam.context.previous.slice(-EXCERPT),
        removed: seam.buffer.slice(0, Math.min(decision.trimmed, 4 * EXCERPT)),
        after: decision.text.slice(0, EXCERPT),
      };
    }
    this.#seams.push(record);
  }

  /** Sends the final `message_delta` (usage summed over attempts) and `message_stop`. */
  finish(out: Uint8Array[], stopRaw?: Uint8Array, override?: { stopReason: string }): void {
    if (this.#ended) return;
    this.#closeOpen(out);
    const a = this.#attempt;
    const single = this.#usages.length === 1 && override === undefined;
    const base = (a.messageDelta ?? { type: 'message_delta', delta: {}, usage: {} }) as Json;
    if (single && a.messageDeltaRaw !== undefined) {
      this.#emit(out, 'message_delta', base, a.messageDeltaRaw);
    } else {
      const sum = this.#usages.reduce(
        (s, u) => ({
          input: s.input + u.input,
          output: s.output + u.output,
          cacheCreation: s.cacheCreation + u.cacheCreation,
          cacheRead: s.cacheRead + u.cacheRead,
        }),
        emptyUsage(),
      );
      const usage: Json = {
        ...((base.usage ?? {}) as Json),
        input_tokens: sum.input,
        output_tokens: sum.output,
      };
      if (sum.cacheCreation > 0) usage.cache_creation_input_tokens = sum.cacheCreation;
      if (sum.cacheRead > 0) usage.cache_read_input_tokens = sum.cacheRead;
      const delta: Json = { stop_sequence: null, ...((base.delta ?? {}) as Json) };
      if (override !== undefined) delta.stop_reason = override.stopReason;
      this.#emit(out, 'message_delta', { ...base, type: 'message_delta', delta, usage });
    }
    this.#emit(out, 'message_stop', { type: 'message_stop' }, stopRaw);
    this.#ended = true;
  }

  /**
   * Ends the current attempt as failed: everything held back is discarded (and reported); the
   * open text block stays open for the continuation to extend.
   */
  failAttempt(out: Uint8Array[]): DiscardedContent {
    const a = this.#attempt;
    if (this.#open?.pendingStart !== undefined) {
      // The client never saw this block start: forget it; the continuation regenerates it.
      this.#open = undefined;
      this.#nextOut--;
    }
    let blocks = 0;
    for (const route of a.routes.values()) {
      // A block streamed live downstream. Signed thinking is complete once its signature is in:
      // close it. Unsigned live thinking (option `thinking: 'stream'`) cannot be continued.
      if (route.kind !== 'live') continue;
      const open = this.#downstream.snapshot().open;
      if (open?.signature) {
        this.#emit(out, 'content_block_stop', {
          type: 'content_block_stop',
          index: route.downIndex,
        });
      } else {
        this.#unrecoverable =
          'the stream dropped inside thinking that was streamed live (option thinking: "stream")';
      }
    }
    let bytes = 0;
    let openBlock: DiscardedContent['openBlock'];
    for (const route of a.routes.values()) {
      if (route.kind !== 'held') continue;
      blocks++;
      bytes += route.bytes;
      const start = (route.events[0]?.data.content_block ?? {}) as Json;
      let partial = '';
      for (const e of route.events) {
        const delta = e.data.delta as Json | undefined;
        if (delta === undefined) continue;
        const piece = delta.partial_json ?? delta.thinking ?? delta.text;
        if (typeof piece === 'string') partial += piece;
      }
      openBlock = {
        type: typeof start.type === 'string' ? start.type : 'unknown',
        ...(typeof start.name === 'string' ? { name: start.name } : {}),
        receivedBytes: encoder.encode(partial).length,
        partial,
      };
    }
    a.routes.clear();
    return { blocks, bytes, openBlock };
  }
}
