/**
 * Faults the mock injects into a response, and how a declared fault becomes a concrete one.
 *
 * A fault is declared per attempt in a scenario (`faults: {"1": ..., "*": ...}`) or in the
 * `x-mock-faults` header. Positions count the rendered events of the response being sent
 * (`message_start` = 0, `ping` = 1, ...). `random` is resolved with a seeded PRNG against the
 * response it applies to, so one seed always produces the same fault for the same response.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();

/** `afterEvents: N` or `event: N, bytes: K`: where a drop or reset cuts the stream. */
const cutShape = {
  afterEvents: count.optional(),
  event: count.optional(),
  bytes: count.optional(),
};

function checkCut(
  value: {
    afterEvents?: number | undefined;
    event?: number | undefined;
    bytes?: number | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const byEvents = value.afterEvents !== undefined;
  const byBytes = value.event !== undefined || value.bytes !== undefined;
  if (byEvents === byBytes) {
    ctx.addIssue({
      code: 'custom',
      message: 'give either afterEvents, or event and bytes',
      path: byEvents ? ['event'] : ['afterEvents'],
    });
  } else if (byBytes && (value.event === undefined || value.bytes === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'event and bytes go together',
      path: value.event === undefined ? ['event'] : ['bytes'],
    });
  }
}

export const dropFaultSchema = z
  .object({ kind: z.literal('drop'), ...cutShape })
  .strict()
  .superRefine(checkCut);
export const resetFaultSchema = z
  .object({ kind: z.literal('reset'), ...cutShape })
  .strict()
  .superRefine(checkCut);
export const eofFaultSchema = z.object({ kind: z.literal('eof'), afterEvents: count }).strict();
export const stallFaultSchema = z
  .object({
    kind: z.literal('stall'),
    afterEvents: count,
    ms: count,
    // biome-ignore lint/suspicious/noThenProperty: the scenario format's field name; a string, so never a thenable.
    then: z.enum(['continue', 'drop']).optional(),
  })
  .strict();
export const errorFaultSchema = z
  .object({
    kind: z.literal('error'),
    afterEvents: count,
    errorType: z.string().min(1),
    message: z.string().optional(),
  })
  .strict();
export const httpFaultSchema = z
  .object({
    kind: z.literal('http'),
    status: z.number().int().min(400).max(599),
    headers: z.record(z.string(), z.string()).optional(),
    errorType: z.string().min(1).optional(),
    message: z.string().optional(),
  })
  .strict();
export const trickleFaultSchema = z
  .object({
    kind: z.literal('trickle'),
    bytesPerWrite: z.number().int().positive(),
    intervalMs: count,
  })
  .strict();
export const randomFaultSchema = z
  .object({ kind: z.literal('random'), seed: z.number().int() })
  .strict();

/** The zod schema of one fault (the `x-mock-faults` header's values and a scenario's `faults`). */
export const faultSchema = z.discriminatedUnion('kind', [
  dropFaultSchema,
  resetFaultSchema,
  eofFaultSchema,
  stallFaultSchema,
  errorFaultSchema,
  httpFaultSchema,
  trickleFaultSchema,
  randomFaultSchema,
]);

/** One fault to inject into an attempt, by `kind` (see `FAULT_KINDS`). */
export type Fault = z.infer<typeof faultSchema>;
/** The kinds of fault the mock injects. */
export type FaultKind = Fault['kind'];
/** Every fault kind the mock injects. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'drop',
  'reset',
  'eof',
  'stall',
  'error',
  'http',
  'trickle',
  'random',
];

/** Faults keyed by attempt number within a run (`"1"`, `"2"`, ...) or `"*"` for every attempt. */
export const faultMapSchema = z.record(
  z.string().regex(/^(\*|[1-9][0-9]*)$/, 'keys are attempt numbers ("1", "2", ...) or "*"'),
  faultSchema,
);
/** Faults keyed by attempt number within a run (`"1"`, `"2"`, ...) or `"*"` for every attempt. */
export type FaultMap = z.infer<typeof faultMapSchema>;

/** The fault for one attempt: its own entry first, else `"*"`, else none. */
export function faultForAttempt(faults: FaultMap, attempt: number): Fault | undefined {
  return faults[String(attempt)] ?? faults['*'];
}

/**
 * A fault with concrete positions for one response. `cut` positions are clamped to the
 * response (a cut past its end never fires: `fires` is false and the stream completes).
 */
export type ResolvedFault =
  | { kind: 'drop' | 'reset'; event: number; bytes: number; fires: boolean }
  | { kind: 'eof'; afterEvents: number; fires: boolean }
  | {
      kind: 'stall';
      afterEvents: number;
      ms: number;
      afterStall: 'continue' | 'drop';
      fires: boolean;
    }
  | { kind: 'error'; afterEvents: number; errorType: string; message: string; fires: boolean }
  | {
      kind: 'http';
      status: number;
      headers: Record<string, string>;
      errorType: string;
      message: string;
      fires: true;
    }
  | { kind: 'trickle'; bytesPerWrite: number; intervalMs: number; fires: true };

/** The `error.type` the API uses for an HTTP status. */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

const DEFAULT_ERROR_MESSAGES: Record<string, string> = {
  overloaded_error: 'Overloaded',
  api_error: 'Internal server error',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit',
  timeout_error: 'Request timed out',
};

export function defaultErrorMessage(errorType: string): string {
  return DEFAULT_ERROR_MESSAGES[errorType] ?? `Mock ${errorType}`;
}

/** mulberry32: a small, fast, seedable PRNG; good enough to spread fault positions. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Turns a declared fault into concrete positions for a response of `eventLengths.length`
 * events (their encoded byte lengths).
 */
export function resolveFault(fault: Fault, eventLengths: readonly number[]): ResolvedFault {
  const n = eventLengths.length;
  switch (fault.kind) {
    case 'drop':
    case 'reset': {
      if (fault.afterEvents !== undefined) {
        return {
          kind: fault.kind,
          event: fault.afterEvents,
          bytes: 0,
          fires: fault.afterEvents < n,
        };
      }
      const event = fault.event ?? 0;
      const length = eventLengths[event];
      if (length === undefined) return { kind: fault.kind, event, bytes: 0, fires: false };
      // K >= the event's length would be a cut after the event, not inside it: keep it inside,
      // which is what a "bytes into event N" fault is for.
      return {
        kind: fault.kind,
        event,
        bytes: Math.min(fault.bytes ?? 0, length - 1),
        fires: true,
      };
    }
    case 'eof':
      return { kind: 'eof', afterEvents: fault.afterEvents, fires: fault.afterEvents < n };
    case 'stall':
      return {
        kind: 'stall',
        afterEvents: fault.afterEvents,
        ms: fault.ms,
        afterStall: fault.then ?? 'continue',
        fires: fault.afterEvents < n,
      };
    case 'error':
      return {
        kind: 'error',
        afterEvents: fault.afterEvents,
        errorType: fault.errorType,
        message: fault.message ?? defaultErrorMessage(fault.errorType),
        fires: fault.afterEvents < n,
      };
    case 'http': {
      const errorType = fault.errorType ?? errorTypeForStatus(fault.status);
      return {
        kind: 'http',
        status: fault.status,
        headers: fault.headers ?? {},
        errorType,
        message: fault.message ?? defaultErrorMessage(errorType),
        fires: true,
      };
    }
    case 'trickle':
      return {
        kind: 'trickle',
        bytesPerWrite: fault.bytesPerWrite,
        intervalMs: fault.intervalMs,
        fires: true,
      };
    case 'random':
      return resolveFault(randomFault(fault.seed, eventLengths), eventLengths);
  }
}

/**
 * The concrete fault a seed stands for, against a response of these events. Kept to faults a
 * resume can recover from quickly (short stalls, retryable errors, `retry-after: 0`).
 */
export function randomFault(
  seed: number,
  eventLengths: readonly number[],
): Exclude<Fault, { kind: 'random' }> {
  const next = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const n = Math.max(1, eventLengths.length);
  // Never after the last event: a fault after message_stop would not be one.
  const position = () => int(0, n - 1);
  const kinds = [
    'drop',
    'drop-bytes',
    'reset',
    'eof',
    'stall',
    'error',
    'http',
    'trickle',
  ] as const;
  const kind = kinds[int(0, kinds.length - 1)] ?? 'drop';
  switch (kind) {
    case 'drop':
      return { kind: 'drop', afterEvents: position() };
    case 'drop-bytes': {
      const event = position();
      const length = eventLengths[event] ?? 1;
      return { kind: 'drop', event, bytes: int(1, Math.max(1, length - 1)) };
    }
    case 'reset':
      return { kind: 'reset', afterEvents: position() };
    case 'eof':
      return { kind: 'eof', afterEvents: position() };
    case 'stall':
      return {
        kind: 'stall',
        afterEvents: position(),
        ms: int(20, 300),
        // biome-ignore lint/suspicious/noThenProperty: the scenario format's field name; a string, so never a thenable.
        then: next() < 0.5 ? 'continue' : 'drop',
      };
    case 'error':
      return {
        kind: 'error',
        afterEvents: position(),
        errorType: next() < 0.5 ? 'overloaded_error' : 'api_error',
      };
    case 'http': {
      const status = [429, 500, 529][int(0, 2)] ?? 529;
      return { kind: 'http', status, headers: { 'retry-after': '0' } };
    }
    case 'trickle':
      return { kind: 'trickle', bytesPerWrite: int(64, 2048), intervalMs: int(0, 2) };
  }
}
