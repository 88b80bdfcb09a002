/**
 * Stall detection: when has an upstream stream been silent for too long?
 *
 * A fixed timeout has to outlast the longest silence a healthy stream can have (a server tool
 * running, a long prompt before the first token), so a connection that died in the middle of a
 * text block is waited on just as long. The adaptive detector gives each silence a budget from
 * what the stream is doing and what it has shown so far (docs/resume.md, "Stalls"):
 *
 * - `waiting` (before the attempt's first content block): the ceiling on the first attempt,
 *   whose time to first content is unknown; on later attempts 4x the longest time to first
 *   content seen, at least the floor.
 * - `content` (text, tool input, between blocks): 4x the longest gap between byte arrivals
 *   seen while content streamed, at least the floor. A live text stream's gaps are tens of
 *   milliseconds, so a dead connection is caught at the floor.
 * - `thinking` (a thinking block open): as `content`, with 3x the floor as its minimum, since a
 *   model may think in silence (omitted or redacted thinking).
 * - `server-tool` (a server tool use has ended and its result has not started): the ceiling;
 *   a code execution or a web search runs for as long as it runs.
 * - A heartbeat (pings with nothing else between them) caps every budget at 3x its longest
 *   interval, at least the floor: an upstream that pings through silences has stopped pinging.
 * - Every stall doubles the budgets of the request's later attempts (never past the ceiling),
 *   so a budget that was too short cannot make a request fail on false stalls.
 *
 * All budgets lie between the floor and the ceiling (`stallFloorMs`, `stallTimeoutMs`). In
 * `fixed` mode every silence gets the ceiling (the single timeout lifeline had before).
 *
 * Cost: `chunk()` runs for every chunk and is a clock read, a subtraction and a compare; the
 * timer is re-armed only when it fires or when a budget shrinks (block boundaries), never per
 * chunk: resetting a timer per chunk costs more than the rest of a small chunk's handling.
 */
import { LifelineError } from '../errors.js';

/**
 * How the engine decides an upstream has stalled: `adaptive` (the default) gives each silence a
 * budget from what the stream is doing, between `stallFloorMs` and `stallTimeoutMs`; `fixed`
 * uses `stallTimeoutMs` for every silence.
 */
export type StallMode = 'adaptive' | 'fixed';

/** What the upstream is doing during a silence, as far as its events tell. */
export type StreamActivity = 'waiting' | 'content' | 'thinking' | 'server-tool';

export interface StallSettings {
  /** `adaptive` (default) or `fixed` (every silence gets `ceilingMs`). */
  mode: StallMode;
  /** The longest silence ever tolerated; in `fixed` mode, the only one (`stallTimeoutMs`). */
  ceilingMs: number;
  /** The shortest budget the adaptive mode gives a silence (`stallFloorMs`). */
  floorMs: number;
}

export const DEFAULT_STALL_SETTINGS: Readonly<StallSettings> = {
  mode: 'adaptive',
  ceilingMs: 90_000,
  floorMs: 10_000,
};

/** Budget multipliers (see the file header). */
export const STALL_FACTORS = {
  /** Of the longest gap seen in the same activity. */
  gap: 4,
  /** Of the longest time to first content seen, for a later attempt's wait. */
  firstContent: 4,
  /** Of the floor, the least a thinking block gets. */
  thinkingFloor: 3,
  /** Of the heartbeat (the longest interval between consecutive pings). */
  heartbeat: 3,
} as const;

/** What the detector knew when it declared a stall. */
export interface StallInfo {
  /** How long nothing came. */
  silentMs: number;
  /** The budget the silence exceeded. */
  budgetMs: number;
  activity: StreamActivity;
  mode: StallMode;
  /** Whether response headers had arrived. */
  headers: boolean;
}

/** The reason an attempt's controller is aborted with when the detector declares a stall. */
export class StallError extends LifelineError {
  readonly type = 'stall' as const;
  readonly info: StallInfo;
  constructor(info: StallInfo) {
    super(
      info.headers
        ? `no data from upstream for ${Math.round(info.silentMs)} ms ${ACTIVITY_TEXT[info.activity]} (${info.mode} stall budget ${Math.round(info.budgetMs)} ms)`
        : `no response headers within ${Math.round(info.silentMs)} ms (${info.mode} stall budget ${Math.round(info.budgetMs)} ms)`,
    );
    this.name = 'StallError';
    this.info = info;
  }
}

const ACTIVITY_TEXT: Record<StreamActivity, string> = {
  waiting: 'before the first content',
  content: 'while content streamed',
  thinking: 'in a thinking block',
  'server-tool': 'while a server tool ran',
};

/** Block types during which the model may think in silence. */
const THINKING_BLOCKS = new Set(['thinking', 'redacted_thinking']);
/** Blocks whose end starts a server-side tool run (the silence until its result). */
const SERVER_TOOL_USES = new Set(['server_tool_use', 'mcp_tool_use']);

/** Validates settings (a floor above the ceiling, a zero timeout); returns them clamped. */
export function stallSettings(
  options: { stall?: StallMode; stallTimeoutMs?: number; stallFloorMs?: number } = {},
): StallSettings {
  const mode = options.stall ?? DEFAULT_STALL_SETTINGS.mode;
  if (mode !== 'adaptive' && mode !== 'fixed') {
    throw new RangeError(`stall must be "adaptive" or "fixed", got ${JSON.stringify(mode)}`);
  }
  const ceilingMs = options.stallTimeoutMs ?? DEFAULT_STALL_SETTINGS.ceilingMs;
  if (!(ceilingMs > 0)) {
    throw new RangeError(`stallTimeoutMs must be a positive number of ms, got ${ceilingMs}`);
  }
  const floorMs = Math.min(options.stallFloorMs ?? DEFAULT_STALL_SETTINGS.floorMs, ceilingMs);
  if (!(floorMs > 0)) {
    throw new RangeError(`stallFloorMs must be a positive number of ms, got ${floorMs}`);
  }
  return { mode, ceilingMs, floorMs };
}

/**
 * One request's stall detector. It learns across the request's attempts (gaps, heartbeat,
 * time to first content) and watches one attempt at a time: `startAttempt` to `endAttempt`.
 */
export class StallDetector {
  readonly settings: StallSettings;
  private readonly now: () => number;

  // What the request has shown so far.
  private contentGapMs = 0;
  private thinkingGapMs = 0;
  private heartbeatMs = 0;
  private firstContentMs = 0;
  private stalls = 0;

  // The attempt being watched.
  private activity: StreamActivity = 'waiting';
  // Stryker disable all: startAttempt (and readingBody, before any chunk) sets these before any use
  private attemptStart = 0;
  private lastByteAt = 0;
  private headers = false;
  /** When the previous event was a ping, its time; otherwise -1. */
  private pingAt = -1;
  /** Index of the open server tool use block, or -1. */
  private serverToolBlock = -1;
  /** Server tool uses ended whose results have not started. */
  private runningServerTools = 0;
  /**
   * True while the engine is not reading the upstream (handling a chunk, or suspended while
   * the caller has not asked for more): a silence then is the caller's, not the upstream's.
   */
  private busy = false;
  /** When a check first found the engine busy in the current hold, or -1. */
  private heldAt = -1;
  // Stryker restore all
  private owner: object | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (clock time). */
  private timerAt = Number.POSITIVE_INFINITY;
  private onStall: ((error: StallError) => void) | undefined;

  constructor(
    settings: StallSettings = DEFAULT_STALL_SETTINGS,
    now: () => number = performance.now.bind(performance),
  ) {
    this.settings = settings;
    this.now = now;
  }

  /**
   * Starts watching an attempt (before its request is sent); `onStall` is called at most once.
   * `owner` is the attempt: `watching(owner)` tells whether it is still the one watched.
   */
  startAttempt(owner: object, onStall: (error: StallError) => void): void {
    this.endAttempt();
    const now = this.now();
    this.owner = owner;
    this.busy = false;
    // Stryker disable next-line all: readingBody resets it too, before any chunk can start a hold; kept so that an attempt never inherits the last one's hold
    this.heldAt = -1;
    this.activity = 'waiting';
    this.attemptStart = now;
    this.lastByteAt = now;
    this.headers = false;
    this.pingAt = -1;
    this.serverToolBlock = -1;
    this.runningServerTools = 0;
    this.onStall = onStall;
    this.arm(this.budgetMs());
  }

  /** Stops watching the current attempt (idempotent). */
  endAttempt(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.onStall = undefined;
    this.owner = undefined;
  }

  /** Whether `owner`'s attempt is the one being watched. */
  watching(owner: object): boolean {
    return this.owner === owner;
  }

  /**
   * The response headers arrived: they count as the attempt's first bytes. Until
   * `readingBody()`, the body is not being read, so no silence counts.
   */
  headersReceived(): void {
    this.headers = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  /** The engine starts reading the body. */
  readingBody(): void {
    this.busy = false;
    this.heldAt = -1;
    this.lastByteAt = this.now();
    if (this.onStall !== undefined) this.arm(this.budgetMs());
  }

  /**
   * Bytes arrived. Called for every chunk: keep it cheap. (A gap that includes time the caller
   * held the previous chunk is longer than the upstream's: it can only lengthen budgets.)
   */
  chunk(): void {
    const now = this.now();
    const gap = now - this.lastByteAt;
    this.lastByteAt = now;
    this.busy = true;
    if (this.activity === 'content') {
      if (gap > this.contentGapMs) this.contentGapMs = gap;
    } else if (this.activity === 'thinking') {
      if (gap > this.thinkingGapMs) this.thinkingGapMs = gap;
    }
  }

  /** The chunk is handled (and its output taken by the caller): waiting for the upstream again. */
  awaitingUpstream(): void {
    this.busy = false;
    this.heldAt = -1;
  }

  /** An event was parsed from the attempt's bytes (after `chunk()` for the chunk that held it). */
  event(type: string, data: Record<string, unknown>): void {
    if (type === 'ping') {
      const now = this.lastByteAt;
      if (this.pingAt >= 0 && now - this.pingAt > this.heartbeatMs) {
        this.heartbeatMs = now - this.pingAt;
        this.tighten();
      }
      this.pingAt = now;
      return;
    }
    this.pingAt = -1;
    if (type === 'content_block_start') {
      const block = data.content_block as { type?: unknown } | undefined;
      const blockType = typeof block?.type === 'string' ? block.type : '';
      if (this.activity === 'waiting') {
        const firstContent = this.lastByteAt - this.attemptStart;
        if (firstContent > this.firstContentMs) this.firstContentMs = firstContent;
      }
      if (this.runningServerTools > 0 && blockType.endsWith('_tool_result')) {
        this.runningServerTools--;
      }
      if (SERVER_TOOL_USES.has(blockType)) {
        this.serverToolBlock = typeof data.index === 'number' ? data.index : -1;
      }
      this.setActivity(THINKING_BLOCKS.has(blockType) ? 'thinking' : 'content');
    } else if (type === 'content_block_stop') {
      if (this.serverToolBlock >= 0 && data.index === this.serverToolBlock) {
        this.serverToolBlock = -1;
        this.runningServerTools++;
      }
      this.setActivity(this.runningServerTools > 0 ? 'server-tool' : 'content');
    } else if (type === 'message_delta') {
      this.runningServerTools = 0;
      this.setActivity('content');
    }
  }

  /** The budget of the current silence, ms. */
  budgetMs(): number {
    const { mode, ceilingMs, floorMs } = this.settings;
    if (mode === 'fixed') return ceilingMs;
    let budget: number;
    switch (this.activity) {
      case 'waiting':
        budget =
          this.firstContentMs > 0
            ? Math.max(floorMs, STALL_FACTORS.firstContent * this.firstContentMs)
            : ceilingMs;
        break;
      case 'content':
        budget = Math.max(floorMs, STALL_FACTORS.gap * this.contentGapMs);
        break;
      case 'thinking':
        budget = Math.max(
          STALL_FACTORS.thinkingFloor * floorMs,
          STALL_FACTORS.gap * this.thinkingGapMs,
        );
        break;
      case 'server-tool':
        budget = ceilingMs;
        break;
    }
    if (this.heartbeatMs > 0) {
      budget = Math.min(budget, Math.max(floorMs, STALL_FACTORS.heartbeat * this.heartbeatMs));
    }
    budget *= 2 ** this.stalls;
    return Math.min(ceilingMs, Math.max(floorMs, budget));
  }

  /** What the upstream is doing, as far as the detector knows. */
  get currentActivity(): StreamActivity {
    return this.activity;
  }

  private setActivity(activity: StreamActivity): void {
    // Stryker disable next-line ConditionalExpression: speed only: tightening for an unchanged activity re-arms nothing
    if (activity === this.activity) return;
    this.activity = activity;
    this.tighten();
  }

  /** A budget may have shrunk: fire earlier if so (a longer budget is seen when the timer fires). */
  private tighten(): void {
    if (this.onStall === undefined) return;
    // Stryker disable next-line ArithmeticOperator: speed only: a timer armed too early finds the silence short and re-arms for the rest
    const due = this.lastByteAt + this.budgetMs();
    // Stryker disable next-line ConditionalExpression,EqualityOperator: speed only: re-arming for a later due changes no stall (check re-arms for the rest)
    if (due < this.timerAt) this.arm(due - this.now());
  }

  private arm(ms: number): void {
    clearTimeout(this.timer);
    const delay = Math.max(0, ms);
    this.timerAt = this.now() + delay;
    this.timer = setTimeout(this.check, delay);
  }

  private readonly check = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const onStall = this.onStall;
    // Stryker disable next-line ConditionalExpression: unreachable: whatever clears onStall (endAttempt) clears the timer; the check narrows the type
    if (onStall === undefined) return;
    const budgetMs = this.budgetMs();
    const now = this.now();
    if (this.busy) {
      if (this.heldAt < 0) this.heldAt = now;
      if (now - this.heldAt < this.settings.ceilingMs) {
        // The engine is not reading (the caller has not asked for more): not the upstream's
        // silence. It counts again from when the engine reads; a caller that never asks
        // again still has the attempt aborted after the ceiling, releasing the connection.
        this.lastByteAt = now;
        this.arm(budgetMs);
        return;
      }
    }
    const silentMs = now - this.lastByteAt;
    if (silentMs < budgetMs) {
      this.arm(budgetMs - silentMs);
      return;
    }
    const info: StallInfo = {
      silentMs,
      budgetMs,
      activity: this.activity,
      mode: this.settings.mode,
      headers: this.headers,
    };
    this.stalls++;
    this.endAttempt();
    onStall(new StallError(info));
  };
}
