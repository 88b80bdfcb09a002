/**
 * The stall detector on fake time: which budget each silence gets (activity, learned gaps,
 * heartbeat, time to first content, earlier stalls), when the timer fires, and that a silence
 * the engine causes itself (the caller not reading) is never the upstream's stall.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  StallDetector,
  StallError,
  type StallSettings,
  stallSettings,
} from '../../src/engine/stall.js';

const FLOOR = 1_000;
const CEILING = 20_000;
const adaptive: StallSettings = { mode: 'adaptive', floorMs: FLOOR, ceilingMs: CEILING };

beforeEach(() => {
  vi.useFakeTimers();
  // The detector's clock is performance.now(): ms since the process started, a small number.
  vi.setSystemTime(60_000);
});
afterEach(() => {
  vi.useRealTimers();
});

/** A detector on the fake clock, watching an attempt whose body is being read. */
function watch(
  settings: StallSettings = adaptive,
  detector = new StallDetector(settings, Date.now),
) {
  const stalls: StallError[] = [];
  detector.startAttempt({}, (error) => stalls.push(error));
  detector.headersReceived();
  detector.readingBody();
  return { detector, stalls };
}

/** One chunk holding one event, as the engine hands them over. */
function receive(detector: StallDetector, type: string, data: Record<string, unknown> = {}) {
  detector.chunk();
  detector.event(type, { type, ...data });
  detector.awaitingUpstream();
}

const blockStart = (index: number, blockType: string) => ({
  index,
  content_block: { type: blockType },
});

/** message_start, ping and a text block's start and first delta, 20 ms apart. */
function startText(detector: StallDetector) {
  receive(detector, 'message_start');
  receive(detector, 'ping');
  vi.advanceTimersByTime(20);
  receive(detector, 'content_block_start', blockStart(0, 'text'));
  vi.advanceTimersByTime(20);
  receive(detector, 'content_block_delta', { index: 0 });
}

describe('fixed mode', () => {
  it('gives every silence the ceiling, whatever the stream is doing', () => {
    const { detector, stalls } = watch({ ...adaptive, mode: 'fixed' });
    startText(detector);
    expect(detector.budgetMs()).toBe(CEILING);
    vi.advanceTimersByTime(CEILING - 1);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]?.info).toMatchObject({ mode: 'fixed', budgetMs: CEILING });
  });
});

describe('adaptive budgets', () => {
  it('waits up to the ceiling for the first attempt’s first content', () => {
    const { detector, stalls } = watch();
    receive(detector, 'message_start');
    expect(detector.currentActivity).toBe('waiting');
    expect(detector.budgetMs()).toBe(CEILING);
    vi.advanceTimersByTime(CEILING - 1);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls[0]?.info.activity).toBe('waiting');
  });

  it('catches a dead connection mid-text at the floor, the timer brought forward from the ceiling', () => {
    const { detector, stalls } = watch();
    startText(detector);
    expect(detector.currentActivity).toBe('content');
    expect(detector.budgetMs()).toBe(FLOOR);
    vi.advanceTimersByTime(FLOOR - 1);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]).toBeInstanceOf(StallError);
    expect(stalls[0]?.info).toMatchObject({
      activity: 'content',
      budgetMs: FLOOR,
      silentMs: FLOOR,
    });
    expect(stalls[0]?.message).toBe(
      `no data from upstream for ${FLOOR} ms while content streamed (adaptive stall budget ${FLOOR} ms)`,
    );
  });

  it('learns the stream’s own gaps: 4x the longest content gap seen', () => {
    const { detector, stalls } = watch();
    startText(detector);
    vi.advanceTimersByTime(900);
    receive(detector, 'content_block_delta', { index: 0 });
    expect(detector.budgetMs()).toBe(3_600);
    vi.advanceTimersByTime(3_599);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls[0]?.info.budgetMs).toBe(3_600);
  });

  it('does not learn from the wait before the first content or a server tool’s run', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    vi.advanceTimersByTime(5_000);
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    vi.advanceTimersByTime(8_000);
    receive(detector, 'content_block_start', blockStart(1, 'code_execution_tool_result'));
    receive(detector, 'content_block_stop', { index: 1 });
    receive(detector, 'content_block_start', blockStart(2, 'text'));
    expect(detector.budgetMs()).toBe(FLOOR);
    receive(detector, 'content_block_stop', { index: 2 });
    receive(detector, 'content_block_start', blockStart(3, 'thinking'));
    expect(detector.budgetMs()).toBe(3 * FLOOR);
  });

  it('gives a thinking block at least 3x the floor', () => {
    const { detector, stalls } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'thinking'));
    expect(detector.currentActivity).toBe('thinking');
    expect(detector.budgetMs()).toBe(3 * FLOOR);
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'redacted_thinking'));
    vi.advanceTimersByTime(3 * FLOOR - 1);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls[0]?.info.activity).toBe('thinking');
  });

  it('lets a server tool run up to the ceiling, then tightens again once its result starts', () => {
    const { detector, stalls } = watch();
    startText(detector);
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'server_tool_use'));
    // While the tool's input streams, it is content like any other.
    expect(detector.budgetMs()).toBe(FLOOR);
    receive(detector, 'content_block_stop', { index: 1 });
    expect(detector.currentActivity).toBe('server-tool');
    expect(detector.budgetMs()).toBe(CEILING);
    vi.advanceTimersByTime(CEILING - 1);
    expect(stalls).toHaveLength(0);
    receive(detector, 'content_block_start', blockStart(2, 'web_search_tool_result'));
    expect(detector.currentActivity).toBe('content');
    expect(detector.budgetMs()).toBe(FLOOR);
    vi.advanceTimersByTime(FLOOR);
    expect(stalls).toHaveLength(1);
  });

  it('waits for every parallel server tool’s result', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 1 });
    receive(detector, 'content_block_start', blockStart(2, 'web_search_tool_result'));
    receive(detector, 'content_block_stop', { index: 2 });
    expect(detector.currentActivity).toBe('server-tool');
    receive(detector, 'content_block_start', blockStart(3, 'web_search_tool_result'));
    receive(detector, 'content_block_stop', { index: 3 });
    expect(detector.currentActivity).toBe('content');
  });

  it('caps every budget at 3x a heartbeat of consecutive pings', () => {
    const { detector, stalls } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'ping');
    vi.advanceTimersByTime(2_000);
    receive(detector, 'ping');
    expect(detector.budgetMs()).toBe(6_000);
    vi.advanceTimersByTime(5_999);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls[0]?.info).toMatchObject({ activity: 'server-tool', budgetMs: 6_000 });
  });

  it('does not take the time between two pings with content between them for a heartbeat', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'ping');
    vi.advanceTimersByTime(100);
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    vi.advanceTimersByTime(100);
    receive(detector, 'ping');
    expect(detector.budgetMs()).toBe(CEILING);
  });

  it('gives a later attempt 4x the longest time to first content seen, at least the floor', () => {
    const detector = new StallDetector(adaptive, Date.now);
    const first = watch(adaptive, detector);
    receive(detector, 'message_start');
    vi.advanceTimersByTime(700);
    receive(detector, 'content_block_start', blockStart(0, 'text'));
    detector.endAttempt();
    const second = watch(adaptive, detector);
    expect(detector.currentActivity).toBe('waiting');
    expect(detector.budgetMs()).toBe(2_800);
    vi.advanceTimersByTime(2_800);
    expect(first.stalls).toHaveLength(0);
    expect(second.stalls).toHaveLength(1);
  });

  it('doubles the budgets after each stall, never past the ceiling', () => {
    const detector = new StallDetector(adaptive, Date.now);
    const budgets: number[] = [];
    for (let i = 0; i < 7; i++) {
      const { stalls } = watch(adaptive, detector);
      startText(detector);
      budgets.push(detector.budgetMs());
      vi.advanceTimersByTime(detector.budgetMs());
      expect(stalls).toHaveLength(1);
    }
    expect(budgets).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 20_000, 20_000]);
  });

  it('learns a thinking block’s own gaps: 4x the longest, once past 3x the floor', () => {
    const { detector, stalls } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'thinking'));
    vi.advanceTimersByTime(700);
    receive(detector, 'content_block_delta', { index: 0 });
    expect(detector.budgetMs()).toBe(3 * FLOOR);
    vi.advanceTimersByTime(1_000);
    receive(detector, 'content_block_delta', { index: 0 });
    expect(detector.budgetMs()).toBe(4_000);
    vi.advanceTimersByTime(3_999);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls[0]?.info).toMatchObject({ activity: 'thinking', budgetMs: 4_000 });
  });

  it('keeps thinking gaps and content gaps apart', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'thinking'));
    vi.advanceTimersByTime(2_000);
    receive(detector, 'content_block_delta', { index: 0 });
    expect(detector.budgetMs()).toBe(8_000);
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'text'));
    // The thinking block's slow gaps say nothing about the text's.
    expect(detector.budgetMs()).toBe(FLOOR);
    vi.advanceTimersByTime(500);
    receive(detector, 'content_block_delta', { index: 1 });
    expect(detector.budgetMs()).toBe(2_000);
    receive(detector, 'content_block_stop', { index: 1 });
    receive(detector, 'content_block_start', blockStart(2, 'thinking'));
    expect(detector.budgetMs()).toBe(8_000);
  });

  it('keeps the longest gap seen, not the last', () => {
    const { detector } = watch();
    startText(detector);
    vi.advanceTimersByTime(900);
    receive(detector, 'content_block_delta', { index: 0 });
    vi.advanceTimersByTime(10);
    receive(detector, 'content_block_delta', { index: 0 });
    expect(detector.budgetMs()).toBe(3_600);
  });

  it('treats a block start without a block, or without a type, as content', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', { index: 0 });
    expect(detector.currentActivity).toBe('content');
    expect(detector.budgetMs()).toBe(FLOOR);
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 1 });
    receive(detector, 'content_block_start', { index: 2, content_block: {} });
    expect(detector.currentActivity).toBe('content');
  });

  it('lets an MCP tool run up to the ceiling like a server tool', () => {
    const { detector, stalls } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'mcp_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    expect(detector.currentActivity).toBe('server-tool');
    expect(detector.budgetMs()).toBe(CEILING);
    vi.advanceTimersByTime(CEILING - 1);
    expect(stalls).toHaveLength(0);
    receive(detector, 'content_block_start', blockStart(1, 'mcp_tool_result'));
    expect(detector.currentActivity).toBe('content');
    receive(detector, 'content_block_stop', { index: 1 });
    expect(detector.currentActivity).toBe('content');
  });

  it('gives a client tool use the content budget once it ends', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    expect(detector.currentActivity).toBe('content');
    expect(detector.budgetMs()).toBe(FLOOR);
  });

  it('does not let a tool result without a running tool shorten the next tool’s run', () => {
    // A continuation can open with the result of a tool that ran during the previous attempt.
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'web_search_tool_result'));
    receive(detector, 'content_block_stop', { index: 0 });
    expect(detector.currentActivity).toBe('content');
    receive(detector, 'content_block_start', blockStart(1, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 1 });
    expect(detector.currentActivity).toBe('server-tool');
    expect(detector.budgetMs()).toBe(CEILING);
  });

  it('ends a server tool’s run at message_delta: the rest gets the content budget', () => {
    const { detector, stalls } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    expect(detector.currentActivity).toBe('server-tool');
    receive(detector, 'message_delta', { delta: { stop_reason: 'pause_turn' } });
    expect(detector.currentActivity).toBe('content');
    expect(detector.budgetMs()).toBe(FLOOR);
    vi.advanceTimersByTime(FLOOR);
    expect(stalls[0]?.info.activity).toBe('content');
  });

  it('forgets a server tool at message_delta, so a later block stop is content', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'message_delta', { delta: { stop_reason: 'pause_turn' } });
    receive(detector, 'content_block_stop', { index: 5 });
    expect(detector.currentActivity).toBe('content');
  });

  it('keeps the longest heartbeat, not the last', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'ping');
    vi.advanceTimersByTime(2_000);
    receive(detector, 'ping');
    vi.advanceTimersByTime(500);
    receive(detector, 'ping');
    expect(detector.budgetMs()).toBe(6_000);
  });

  it('caps the budget at the floor for a fast heartbeat', () => {
    const { detector } = watch();
    receive(detector, 'message_start');
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'ping');
    vi.advanceTimersByTime(100);
    receive(detector, 'ping');
    expect(detector.budgetMs()).toBe(FLOOR);
  });

  it('takes no heartbeat from an attempt’s first ping, early in the process', () => {
    let t = 1_000;
    const detector = new StallDetector(adaptive, () => t);
    detector.startAttempt({}, () => {});
    detector.headersReceived();
    detector.readingBody();
    t = 2_000;
    receive(detector, 'ping');
    expect(detector.budgetMs()).toBe(CEILING);
    detector.endAttempt();
  });

  it('counts a heartbeat from a ping at clock time 0', () => {
    // performance.now() starts near 0: a ping then is a ping like any other.
    let t = 0;
    const detector = new StallDetector(adaptive, () => t);
    detector.startAttempt({}, () => {});
    detector.headersReceived();
    detector.readingBody();
    receive(detector, 'ping');
    t = 2_000;
    receive(detector, 'ping');
    expect(detector.budgetMs()).toBe(6_000);
    detector.endAttempt();
  });

  it('learns the time to first content from the attempt’s first block only, and keeps the longest', () => {
    const detector = new StallDetector(adaptive, Date.now);
    watch(adaptive, detector);
    vi.advanceTimersByTime(700);
    receive(detector, 'content_block_start', blockStart(0, 'text'));
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(200);
      receive(detector, 'content_block_delta', { index: 0 });
    }
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'text'));
    detector.endAttempt();
    watch(adaptive, detector);
    expect(detector.budgetMs()).toBe(2_800);
    vi.advanceTimersByTime(200);
    receive(detector, 'content_block_start', blockStart(0, 'text'));
    detector.endAttempt();
    watch(adaptive, detector);
    expect(detector.budgetMs()).toBe(2_800);
    detector.endAttempt();
  });

  it('gives a later attempt at least the floor when its first content came fast', () => {
    const detector = new StallDetector(adaptive, Date.now);
    watch(adaptive, detector);
    vi.advanceTimersByTime(50);
    receive(detector, 'content_block_start', blockStart(0, 'text'));
    detector.endAttempt();
    watch(adaptive, detector);
    expect(detector.budgetMs()).toBe(FLOOR);
    detector.endAttempt();
  });

  it('doubles a thinking budget after a stall too, up to the ceiling', () => {
    const detector = new StallDetector(adaptive, Date.now);
    const { stalls } = watch(adaptive, detector);
    receive(detector, 'content_block_start', blockStart(0, 'text'));
    vi.advanceTimersByTime(FLOOR);
    expect(stalls).toHaveLength(1);
    watch(adaptive, detector);
    receive(detector, 'content_block_start', blockStart(0, 'thinking'));
    expect(detector.budgetMs()).toBe(6 * FLOOR);
    detector.endAttempt();
  });

  it('keeps every budget between the floor and the ceiling', () => {
    const { detector } = watch({ mode: 'adaptive', floorMs: 1_000, ceilingMs: 2_000 });
    startText(detector);
    vi.advanceTimersByTime(1_900);
    receive(detector, 'content_block_delta', { index: 0 });
    expect(detector.budgetMs()).toBe(2_000);
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'thinking'));
    expect(detector.budgetMs()).toBe(2_000);
  });
});

describe('silences that are not the upstream’s', () => {
  it('counts nothing between the response headers and the first read of the body', () => {
    const detector = new StallDetector(adaptive, Date.now);
    const stalls: StallError[] = [];
    detector.startAttempt({}, (error) => stalls.push(error));
    detector.headersReceived();
    vi.advanceTimersByTime(10 * CEILING);
    expect(stalls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    detector.readingBody();
    vi.advanceTimersByTime(CEILING);
    expect(stalls).toHaveLength(1);
  });

  it('gives no response headers the waiting budget, and says so', () => {
    const detector = new StallDetector(adaptive, Date.now);
    const stalls: StallError[] = [];
    detector.startAttempt({}, (error) => stalls.push(error));
    vi.advanceTimersByTime(CEILING);
    expect(stalls[0]?.message).toBe(
      `no response headers within ${CEILING} ms (adaptive stall budget ${CEILING} ms)`,
    );
  });

  it('does not fire while the engine holds a chunk (the caller is not reading), until the ceiling', () => {
    const { detector, stalls } = watch();
    startText(detector);
    detector.chunk(); // handed downstream; the caller takes its time
    vi.advanceTimersByTime(CEILING - 1);
    expect(stalls).toHaveLength(0);
    detector.awaitingUpstream();
    vi.advanceTimersByTime(FLOOR);
    expect(stalls).toHaveLength(1);
    // The silence it reports leaves the hold out.
    expect(stalls[0]?.info.silentMs).toBeLessThanOrEqual(FLOOR);
  });

  it('releases an attempt whose caller never reads again, after the ceiling', () => {
    const { detector, stalls } = watch();
    startText(detector);
    detector.chunk();
    vi.advanceTimersByTime(CEILING + FLOOR);
    expect(stalls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('releases a held attempt at the ceiling after the hold was first seen, not later', () => {
    const { detector, stalls } = watch();
    startText(detector);
    detector.chunk();
    // The timer fires a floor after the text block started (20 ms before this chunk): it sees
    // the hold there.
    vi.advanceTimersByTime(FLOOR - 20 + CEILING - 1);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls).toHaveLength(1);
  });

  it('counts a hold from the first check that finds the engine busy in it', () => {
    const { detector, stalls } = watch();
    startText(detector);
    detector.chunk();
    vi.advanceTimersByTime(CEILING / 2);
    detector.awaitingUpstream();
    // A new hold: its own ceiling, not the rest of the previous one.
    detector.chunk();
    vi.advanceTimersByTime(CEILING - 1);
    expect(stalls).toHaveLength(0);
  });

  it('sets no timer for an attempt no longer watched', () => {
    const detector = new StallDetector(adaptive, Date.now);
    detector.startAttempt({}, () => {});
    detector.endAttempt();
    detector.readingBody();
    expect(vi.getTimerCount()).toBe(0);
    detector.chunk();
    detector.event('content_block_start', blockStart(0, 'text'));
    expect(vi.getTimerCount()).toBe(0);
    detector.event('ping', {});
    vi.advanceTimersByTime(1_000);
    detector.event('ping', {});
    expect(vi.getTimerCount()).toBe(0);
  });

  it('watches one attempt at a time', () => {
    const first = {};
    const second = {};
    const detector = new StallDetector(adaptive, Date.now);
    const stalls: string[] = [];
    detector.startAttempt(first, () => stalls.push('first'));
    detector.startAttempt(second, () => stalls.push('second'));
    expect(detector.watching(first)).toBe(false);
    expect(detector.watching(second)).toBe(true);
    vi.advanceTimersByTime(CEILING);
    expect(stalls).toEqual(['second']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts each attempt afresh: waiting, no headers, no tool running, not held', () => {
    const detector = new StallDetector(adaptive, Date.now);
    const { stalls } = watch(adaptive, detector);
    receive(detector, 'content_block_start', blockStart(0, 'server_tool_use'));
    receive(detector, 'content_block_stop', { index: 0 });
    detector.chunk(); // held when the attempt is given up
    detector.endAttempt();
    expect(stalls).toHaveLength(0);
    const next: StallError[] = [];
    detector.startAttempt({}, (error) => next.push(error));
    expect(detector.currentActivity).toBe('waiting');
    detector.readingBody();
    receive(detector, 'content_block_start', blockStart(0, 'thinking'));
    receive(detector, 'content_block_stop', { index: 0 });
    receive(detector, 'content_block_start', blockStart(1, 'text'));
    receive(detector, 'content_block_stop', { index: 1 });
    expect(detector.currentActivity).toBe('content');
    vi.advanceTimersByTime(FLOOR);
    expect(next).toHaveLength(1);
    expect(next[0]?.info.headers).toBe(false);
  });

  it('gives a hold in a new attempt its own ceiling, when the last attempt ended in a hold', () => {
    const detector = new StallDetector(adaptive, Date.now);
    watch(adaptive, detector);
    startText(detector);
    detector.chunk();
    vi.advanceTimersByTime(CEILING / 2); // held, and seen held
    detector.endAttempt();
    const { stalls } = watch(adaptive, detector);
    detector.chunk(); // the new attempt's first chunk, held
    vi.advanceTimersByTime(CEILING - 1);
    expect(stalls).toHaveLength(0);
  });

  it('counts the wait for a new attempt’s headers even when the last attempt ended in a hold', () => {
    const detector = new StallDetector(adaptive, Date.now);
    watch(adaptive, detector);
    vi.advanceTimersByTime(700);
    receive(detector, 'content_block_start', blockStart(0, 'text'));
    detector.chunk();
    detector.endAttempt();
    const stalls: StallError[] = [];
    detector.startAttempt({}, (error) => stalls.push(error));
    vi.advanceTimersByTime(2_800);
    expect(stalls).toHaveLength(1);
    expect(stalls[0]?.info).toMatchObject({ headers: false, budgetMs: 2_800 });
  });

  it('does not mistake a ping before a block start in a new attempt for a heartbeat', () => {
    const detector = new StallDetector(adaptive, Date.now);
    watch(adaptive, detector);
    receive(detector, 'ping');
    detector.endAttempt();
    vi.advanceTimersByTime(2_000);
    watch(adaptive, detector);
    receive(detector, 'ping');
    expect(detector.budgetMs()).toBe(CEILING);
    detector.endAttempt();
  });

  it('stops watching when the attempt ends', () => {
    const owner = {};
    const detector = new StallDetector(adaptive, Date.now);
    const stalls: StallError[] = [];
    detector.startAttempt(owner, (error) => stalls.push(error));
    expect(detector.watching(owner)).toBe(true);
    detector.endAttempt();
    expect(detector.watching(owner)).toBe(false);
    vi.advanceTimersByTime(10 * CEILING);
    expect(stalls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the stall error', () => {
  it('says what the upstream was doing, in whole ms', () => {
    const info = { silentMs: 1_234.6, budgetMs: 999.5, mode: 'adaptive', headers: true } as const;
    const message = (activity: 'waiting' | 'content' | 'thinking' | 'server-tool') =>
      new StallError({ ...info, activity }).message;
    expect(message('waiting')).toBe(
      'no data from upstream for 1235 ms before the first content (adaptive stall budget 1000 ms)',
    );
    expect(message('content')).toBe(
      'no data from upstream for 1235 ms while content streamed (adaptive stall budget 1000 ms)',
    );
    expect(message('thinking')).toBe(
      'no data from upstream for 1235 ms in a thinking block (adaptive stall budget 1000 ms)',
    );
    expect(message('server-tool')).toBe(
      'no data from upstream for 1235 ms while a server tool ran (adaptive stall budget 1000 ms)',
    );
    expect(
      new StallError({ ...info, mode: 'fixed', headers: false, activity: 'waiting' }).message,
    ).toBe('no response headers within 1235 ms (fixed stall budget 1000 ms)');
  });

  it('is a StallError of type stall carrying what the detector knew', () => {
    const info = {
      silentMs: 1,
      budgetMs: 1,
      activity: 'content',
      mode: 'adaptive',
      headers: true,
    } as const;
    const error = new StallError(info);
    expect(error.name).toBe('StallError');
    expect(error.type).toBe('stall');
    expect(error.info).toEqual(info);
  });

  it('reports the headers it had', () => {
    const { detector, stalls } = watch();
    startText(detector);
    vi.advanceTimersByTime(FLOOR);
    expect(stalls[0]?.info).toEqual({
      silentMs: FLOOR,
      budgetMs: FLOOR,
      activity: 'content',
      mode: 'adaptive',
      headers: true,
    });
  });
});

describe('a new detector', () => {
  it('is waiting, with the ceiling as its budget', () => {
    const detector = new StallDetector(adaptive, Date.now);
    expect(detector.currentActivity).toBe('waiting');
    expect(detector.budgetMs()).toBe(CEILING);
  });

  it('runs on performance.now() and the default settings when given none', () => {
    const detector = new StallDetector();
    expect(detector.settings).toEqual({ mode: 'adaptive', floorMs: 10_000, ceilingMs: 90_000 });
    const stalls: StallError[] = [];
    detector.startAttempt({}, (error) => stalls.push(error));
    detector.headersReceived();
    detector.readingBody();
    detector.chunk();
    detector.event('content_block_start', blockStart(0, 'text'));
    detector.awaitingUpstream();
    // (Vitest's fake timers move performance.now() too.)
    vi.advanceTimersByTime(9_999);
    expect(stalls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(stalls[0]?.info).toMatchObject({ budgetMs: 10_000, silentMs: 10_000 });
  });
});

describe('settings', () => {
  it('takes the given mode, ceiling and floor', () => {
    expect(stallSettings({ stall: 'fixed', stallTimeoutMs: 5_000, stallFloorMs: 500 })).toEqual({
      mode: 'fixed',
      floorMs: 500,
      ceilingMs: 5_000,
    });
    expect(stallSettings({ stall: 'adaptive', stallFloorMs: 500 })).toEqual({
      mode: 'adaptive',
      floorMs: 500,
      ceilingMs: 90_000,
    });
  });

  it('refuses a ceiling or a floor that is not a number', () => {
    expect(() => stallSettings({ stallTimeoutMs: Number.NaN })).toThrow(
      'stallTimeoutMs must be a positive number of ms, got NaN',
    );
    expect(() => stallSettings({ stallFloorMs: Number.NaN })).toThrow(
      'stallFloorMs must be a positive number of ms, got NaN',
    );
    expect(() => stallSettings({ stallFloorMs: 0 })).toThrow(
      'stallFloorMs must be a positive number of ms, got 0',
    );
    expect(() => stallSettings({ stall: 'smart' as never })).toThrow(
      'stall must be "adaptive" or "fixed", got "smart"',
    );
  });

  it('defaults to adaptive between 10 s and 90 s', () => {
    expect(stallSettings()).toEqual({ mode: 'adaptive', floorMs: 10_000, ceilingMs: 90_000 });
  });

  it('clamps the floor to the ceiling (a short stallTimeoutMs keeps its meaning)', () => {
    expect(stallSettings({ stallTimeoutMs: 2_000 })).toEqual({
      mode: 'adaptive',
      floorMs: 2_000,
      ceilingMs: 2_000,
    });
  });

  it('refuses an unknown mode and non-positive times with the option’s name', () => {
    expect(() => stallSettings({ stall: 'smart' as never })).toThrow(
      /stall must be "adaptive" or "fixed"/,
    );
    expect(() => stallSettings({ stallTimeoutMs: 0 })).toThrow(/stallTimeoutMs must be a positive/);
    expect(() => stallSettings({ stallFloorMs: -1 })).toThrow(/stallFloorMs must be a positive/);
  });
});
