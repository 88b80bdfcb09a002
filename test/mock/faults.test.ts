import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  errorTypeForStatus,
  type Fault,
  faultForAttempt,
  parseFaultOverride,
  randomFault,
  resolveFault,
} from '../../src/mock/index.js';

const lengths = [300, 20, 120, 90, 90, 40, 200, 20];

describe('faultForAttempt', () => {
  const drop: Fault = { kind: 'drop', afterEvents: 1 };
  const eof: Fault = { kind: 'eof', afterEvents: 2 };

  it('prefers the attempt’s own entry over "*"', () => {
    expect(faultForAttempt({ '2': drop, '*': eof }, 2)).toBe(drop);
  });

  it('falls back to "*", then to no fault', () => {
    expect(faultForAttempt({ '2': drop, '*': eof }, 3)).toBe(eof);
    expect(faultForAttempt({ '2': drop }, 1)).toBeUndefined();
  });
});

describe('resolveFault', () => {
  it('turns afterEvents into a cut at byte 0 of that event', () => {
    expect(resolveFault({ kind: 'drop', afterEvents: 3 }, lengths)).toEqual({
      kind: 'drop',
      event: 3,
      bytes: 0,
      fires: true,
    });
  });

  it('keeps a bytes cut inside its event', () => {
    expect(resolveFault({ kind: 'reset', event: 1, bytes: 500 }, lengths)).toEqual({
      kind: 'reset',
      event: 1,
      bytes: 19,
      fires: true,
    });
  });

  it('does not fire a fault placed past the end of the response', () => {
    expect(resolveFault({ kind: 'eof', afterEvents: 8 }, lengths).fires).toBe(false);
    expect(resolveFault({ kind: 'drop', event: 9, bytes: 1 }, lengths).fires).toBe(false);
  });

  it('gives an http fault the error type the API uses for its status', () => {
    expect(resolveFault({ kind: 'http', status: 529 }, lengths)).toMatchObject({
      errorType: 'overloaded_error',
      message: 'Overloaded',
    });
    expect(errorTypeForStatus(429)).toBe('rate_limit_error');
    expect(errorTypeForStatus(502)).toBe('api_error');
  });
});

describe('random faults', () => {
  it('resolve the same way for the same seed and response', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 60 }),
        (seed, ls) => {
          expect(randomFault(seed, ls)).toEqual(randomFault(seed, ls));
        },
      ),
    );
  });

  it('always land inside the response', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.array(fc.integer({ min: 2, max: 500 }), { minLength: 1, maxLength: 60 }),
        (seed, ls) => {
          const fault = resolveFault({ kind: 'random', seed }, ls);
          expect(fault.fires).toBe(true);
          if (fault.kind === 'drop' || fault.kind === 'reset') {
            expect(fault.event).toBeLessThan(ls.length);
            expect(fault.bytes).toBeLessThan(ls[fault.event]!);
          }
          if ('afterEvents' in fault) expect(fault.afterEvents).toBeLessThan(ls.length);
        },
      ),
    );
  });
});

describe('parseFaultOverride', () => {
  it('reads one fault as the fault of attempt 1', () => {
    expect(parseFaultOverride('{"kind":"eof","afterEvents":4}')).toEqual({
      ok: true,
      faults: { '1': { kind: 'eof', afterEvents: 4 } },
    });
  });

  it('reads a fault map, {} included', () => {
    expect(parseFaultOverride('{}')).toEqual({ ok: true, faults: {} });
  });

  it('names the source and field of an invalid one', () => {
    expect(parseFaultOverride('{"2":{"kind":"http","status":200}}', '--fault')).toEqual({
      ok: false,
      message: '--fault: 2.status: Too small: expected number to be >=400',
    });
  });

  it('says when it is not JSON', () => {
    const parsed = parseFaultOverride('{kind:drop}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(/^x-mock-faults: not valid JSON/);
  });
});
