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
  });

  it('releases an attempt whose caller never reads again, after the ceiling', () => {
    const { detector, stalls } = watch();
    startText(detector);
    detector.chunk();
    vi.advanceTimersByTime(CEILING + FLOOR);
    expect(stalls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
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

describe('settings', () => {
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
