/**
 * The fault matrix: for every shipped scenario, both model generations (prefill allowed:
 * claude-opus-4-1; continuation turn only: claude-opus-4-6) and continuation turns that
 * restate none or several of the last words, inject a fault at event boundaries and at byte
 * offsets inside events (inside multi-byte characters and inside HTTP chunks), of every kind
 * (drop, reset, clean EOF, stall, SSE error event). For every case, the real SDK's
 * `finalMessage()` through the middleware must equal the fault-free run's (ids and usage
 * aside), and the raw bytes the client saw must form one well-formed stream: one
 * message_start, contiguous block indices each started and stopped once, one message_delta,
 * one message_stop.
 *
 * Large scenarios are sampled (every block boundary plus evenly spaced events) so the matrix
 * stays within a CI budget; the printed size says exactly how many cases ran.
 *
 * Continuation behaviours (the mock's restartWord, restateChars, restateLines, reopenFence,
 * preamble, restateAll: how a model may restate what it wrote when asked to continue) run on
 * claude-opus-4-6 over every scenario with text they apply to. Only a cut inside a text block
 * gives a continuation anything to restate, so their cases are cuts inside text, drawn with a
 * fixed seed from each kind of cut point (mid-word, after a space, after a newline, at
 * punctuation, in Chinese/Japanese/Thai, inside a fenced code block), with the fault kinds
 * dealt over them in turn (drop and reset at the boundary and inside the next event, inside a
 * multi-byte character when it has one, clean EOF, SSE error event), plus the text block's end
 * (before and after content_block_stop), a stall and a double fault per variant. (A TCP reset
 * loses what the client had not read, so it may cut earlier than named: restateChars, drawn for
 * Chinese/Japanese/Thai cuts, gets drops instead.)
 * MATRIX_SEAM=full runs every text cut instead of a sample (slow);
 * MATRIX_BEHAVIOURS=restartWord,lines1 and MATRIX_ONLY=seam-code narrow a run; a failure
 * names the variant, the fault, and for each continuation (from the mock's request log) where
 * the partial text ended and how the continuation started.
 */
import { writeFileSync } from 'node:fs';
import type { Middleware } from '@anthropic-ai/sdk';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifelineMiddleware } from '../../src/integrations/index.js';
import {
  type ContinuationBehaviour,
  continuationText,
  cutWord,
  lastCodePoints,
  loadScenarios,
  type MockServer,
  openFenceAt,
  type Scenario,
  seededRandom,
  startMock,
} from '../../src/mock/index.js';
import { type RecoveryReport, StreamInterruptedError } from '../../src/resume/index.js';
import { streamProblems } from '../helpers/stream-shape.js';

const SCENARIO_DIR = new URL('../fixtures/scenarios/', import.meta.url).pathname;
// A continuation opening with adaptive thinking adds a block by design: tested on its own.
const EXCLUDED = new Set(['continuation-thinking']);
const STALL_MS = 5_000;
// Single-text-block scenarios written for the seam: every variant of them (r0 and r3 too)
// runs sampled text cuts, not the whole fault set: the text is all they have.
const TEXT_ONLY = new Set([
  'seam-markdown',
  'seam-code',
  'seam-japanese',
  'seam-chinese',
  'seam-mixed',
]);
const SEAM_SEED = 20_251_129;

/** Where a cut inside a text block falls: what a continuation turn can restate differs. */
type CutClass = 'in-fence' | 'cjk' | 'after-newline' | 'space' | 'mid-word' | 'punctuation';

/** The text block a cut after N whole events falls inside. */
interface TextCut {
  /** The partial text as the resume request carries it (trailing whitespace stripped). */
  partial: string;
  /** The rest of the scenario's block after it. */
  rest: string;
  cls: CutClass;
}

interface Behaviour {
  /** The variant label: `r0`, `r3` (restated words) or the behaviour's name. */
  label: string;
  fields: ContinuationBehaviour;
  /** The cut classes it applies to (all when absent); cuts drawn per class. */
  classes?: CutClass[];
  perClass: number;
}

/** The continuation behaviours of the mock, each run on claude-opus-4-6. */
const BEHAVIOURS: Behaviour[] = [
  { label: 'restartWord', fields: { restartWord: true }, perClass: 3 },
  // Restating characters is what a model does in scripts without spaces.
  { label: 'chars4', fields: { restateChars: 4 }, classes: ['cjk'], perClass: 16 },
  { label: 'lines1', fields: { restateLines: 1 }, perClass: 3 },
  { label: 'lines2', fields: { restateLines: 2 }, perClass: 3 },
  // Outside a fence reopenFence changes nothing: that is the r0 variant.
  { label: 'fence-tag', fields: { reopenFence: 'tag' }, classes: ['in-fence'], perClass: 24 },
  { label: 'fence-bare', fields: { reopenFence: 'bare' }, classes: ['in-fence'], perClass: 24 },
  {
    label: 'preamble',
    fields: { preamble: 'Continuing from where I left off:' },
    perClass: 3,
  },
  { label: 'all', fields: { restateAll: true }, perClass: 3 },
];

/** Every behaviour field unset: a fixture's own behaviour does not leak into a variant. */
const NO_BEHAVIOUR: ContinuationBehaviour = {
  restartWord: undefined,
  restateChars: undefined,
  restateLines: undefined,
  restateAll: undefined,
  reopenFence: undefined,
  preamble: undefined,
};

interface Variant {
  name: string;
  base: string;
  model: string;
  behaviour: Behaviour;
  /** Behaviour variants run sampled text cuts; the base generations run the full fault set. */
  sampled: boolean;
  /** A base generation (r0 on both models, r3), or a continuation behaviour. */
  kind: 'generation' | 'behaviour';
  eventLengths: number[];
  eventTypes: string[];
  multibyteOffsets: Map<number, number>;
  /** The text cut after N whole events, for each N that falls inside a text block. */
  cuts: Map<number, TextCut>;
  /** Event indices that end a text block's deltas (the next is its content_block_stop). */
  textEnds: number[];
}

interface Case {
  variant: Variant;
  label: string;
  faults: Record<string, unknown>;
}

const NO_SPACE_SCRIPT =
  /[\p{sc=Han}\p{sc=Hiragana}\p{sc=Katakana}\p{sc=Thai}\u3000-\u303f\uff00-\uffef]/u;

function classify(received: string, partial: string, rest: string): CutClass {
  if (openFenceAt(partial) !== undefined) return 'in-fence';
  // In a script without spaces, and no space in the last 4 code points: a model restating
  // characters there restates those (restateChars 4), not "s 東京" or "\n\n日本".
  if (
    NO_SPACE_SCRIPT.test([...partial.slice(-2)].at(-1) ?? '') &&
    !/\s/u.test(lastCodePoints(partial, 4))
  )
    return 'cjk';
  if (/\n\s*$/u.test(received)) return 'after-newline';
  if (/^\s/u.test(rest) || /\s$/u.test(received)) return 'space';
  return cutWord(partial, rest) !== '' ? 'mid-word' : 'punctuation';
}

/** The text cut after each number of whole events, from the rendered events. */
function textCuts(events: readonly Buffer[]): { cuts: Map<number, TextCut>; textEnds: number[] } {
  type Data = {
    type?: string;
    index?: number;
    content_block?: { type?: string };
    delta?: { type?: string; text?: string };
  };
  const parsed = events.map(
    (b) => JSON.parse(/^data: (.*)$/mu.exec(b.toString('utf8'))?.[1] ?? '{}') as Data,
  );
  const full = new Map<number, string>();
  for (const e of parsed) {
    if (e.type === 'content_block_delta' && e.delta?.type === 'text_delta')
      full.set(e.index ?? -1, (full.get(e.index ?? -1) ?? '') + (e.delta.text ?? ''));
  }
  const cuts = new Map<number, TextCut>();
  const textEnds: number[] = [];
  let open: { index: number; text: boolean; received: string } | undefined;
  parsed.forEach((e, n) => {
    if (open?.text && open.received.trimEnd() !== '') {
      const partial = open.received.trimEnd();
      const rest = (full.get(open.index) ?? '').slice(partial.length);
      cuts.set(n, { partial, rest, cls: classify(open.received, partial, rest) });
    }
    if (e.type === 'content_block_start')
      open = { index: e.index ?? -1, text: e.content_block?.type === 'text', received: '' };
    else if (e.type === 'content_block_delta' && e.delta?.type === 'text_delta' && open)
      open.received += e.delta.text ?? '';
    else if (e.type === 'content_block_stop') {
      if (open?.text && open.received !== '') textEnds.push(n);
      open = undefined;
    }
  });
  return { cuts, textEnds };
}

let mock: MockServer;
const variants: Variant[] = [];
/** Each variant's message content, by variant name. */
const contents = new Map<string, readonly unknown[]>();
const baselines = new Map<string, unknown>();

function strip(message: Anthropic.Beta.BetaMessage): unknown {
  const {
    id: _id,
    usage: _usage,
    ...rest
  } = JSON.parse(JSON.stringify(message)) as Anthropic.Beta.BetaMessage;
  return rest;
}

/** Keeps a copy of the bytes lifeline hands to the SDK. */
function capture(sink: { bytes?: Promise<Uint8Array> }): Middleware {
  return async (request, next) => {
    const response = await next(request);
    if (response.body === null) return response;
    const [a, b] = response.body.tee();
    sink.bytes = new Response(b).arrayBuffer().then(
      (buf) => new Uint8Array(buf),
      () => new Uint8Array(), // the stream failed: the test asserts on the SDK's error instead
    );
    return new Response(a, response);
  };
}

function clientFor(
  sink: { bytes?: Promise<Uint8Array> },
  reports: RecoveryReport[],
  maxAttempts = 6,
) {
  return new Anthropic({
    apiKey: 'test-key',
    baseURL: mock.url,
    maxRetries: 0,
    middleware: [
      capture(sink),
      lifelineMiddleware({
        logger: false,
        onReport: (r) => reports.push(r),
        stallTimeoutMs: STALL_MS,
        keepAliveMs: 0,
        policy: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts },
      }),
    ],
  });
}

let runSeq = 0;
async function runCase(
  variant: Variant,
  faults: Record<string, unknown>,
  maxAttempts = 6,
  runId = `matrix-${runSeq++}`,
) {
  const sink: { bytes?: Promise<Uint8Array> } = {};
  const reports: RecoveryReport[] = [];
  const client = clientFor(sink, reports, maxAttempts);
  const stream = client.beta.messages.stream(
    { model: variant.model, max_tokens: 4096, messages: [{ role: 'user', content: 'go' }] },
    {
      headers: {
        'x-mock-scenario': variant.name,
        'x-mock-run': runId,
        'x-mock-faults': JSON.stringify(faults),
      },
    },
  );
  const final = await stream.finalMessage();
  const bytes = await (sink.bytes ?? Promise.resolve(new Uint8Array()));
  return { final, bytes, report: reports[0] };
}

function sampleIndices(total: number, wanted: number): number[] {
  if (total <= wanted) return Array.from({ length: total }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < wanted; i++) out.add(Math.floor((i * total) / wanted));
  return [...out];
}

/** The byte offset inside event `n` to cut at: inside a multi-byte character when it has one. */
function insideEvent(v: Variant, n: number): number {
  const len = v.eventLengths[n] ?? 0;
  return v.multibyteOffsets.get(n) ?? Math.max(1, Math.floor(len / 2));
}

const CUT_FAULTS = ['drop', 'reset', 'eof', 'error', 'drop-inside', 'reset-inside'] as const;

function cutFault(v: Variant, kind: (typeof CUT_FAULTS)[number], n: number) {
  switch (kind) {
    case 'drop':
    case 'reset':
      return { label: `${kind} after ${n} events`, fault: { kind, afterEvents: n } };
    case 'eof':
      return { label: `eof after ${n}`, fault: { kind, afterEvents: n } };
    case 'error':
      return {
        label: `error event after ${n}`,
        fault: { kind, afterEvents: n, errorType: 'overloaded_error' },
      };
    case 'drop-inside':
    case 'reset-inside': {
      const bytes = insideEvent(v, n);
      const what = v.multibyteOffsets.has(n) ? 'inside a multi-byte char of' : 'in';
      const k = kind === 'drop-inside' ? 'drop' : 'reset';
      return {
        label: `${k} ${what} event ${n} at byte ${bytes}`,
        fault: { kind: k, event: n, bytes },
      };
    }
  }
}

/** Text cuts of the classes a behaviour applies to, `perClass` of each, drawn with a seed. */
function sampleCuts(v: Variant, random: () => number): number[] {
  const byClass = new Map<CutClass, number[]>();
  for (const [n, cut] of v.cuts) {
    if (n >= v.eventLengths.length) continue;
    if (v.behaviour.classes !== undefined && !v.behaviour.classes.includes(cut.cls)) continue;
    byClass.set(cut.cls, [...(byClass.get(cut.cls) ?? []), n]);
  }
  const out: number[] = [];
  for (const ns of byClass.values()) {
    for (let i = ns.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [ns[i], ns[j]] = [ns[j] as number, ns[i] as number];
    }
    out.push(...ns.slice(0, v.behaviour.perClass));
  }
  return out.sort((a, b) => a - b);
}

/**
 * A behaviour variant's cases: sampled text cuts with the fault kinds dealt over them, a cut
 * inside a multi-byte character, the end of a text block before and after its
 * content_block_stop, a stall and a double fault.
 */
function sampledCases(v: Variant): Case[] {
  const random = seededRandom(
    SEAM_SEED + [...v.name].reduce((h, c) => h * 31 + c.charCodeAt(0), 0),
  );
  const ns = sampleCuts(v, random);
  if (ns.length === 0) return [];
  const cases: Case[] = [];
  const add = (label: string, faults: Record<string, unknown>) =>
    cases.push({ variant: v, label, faults });
  // A TCP reset discards what the client had not read yet, so it cuts at or before the event
  // it names: a behaviour drawn for one kind of text (chars4 in Chinese) is dealt no resets,
  // or it would meet text it is not for ("quick. O" + "k. Order").
  const unspaced = v.behaviour.classes?.includes('cjk') === true;
  const kinds = CUT_FAULTS.filter((k) => !unspaced || !k.startsWith('reset'));
  const offset = Math.floor(random() * kinds.length);
  ns.forEach((n, i) => {
    const { label, fault } = cutFault(v, kinds[(i + offset) % kinds.length]!, n);
    add(label, { '1': fault });
  });
  const multibyte = ns.find((n) => v.multibyteOffsets.has(n));
  if (multibyte !== undefined) {
    const { label, fault } = cutFault(v, 'drop-inside', multibyte);
    add(label, { '1': fault });
  }
  if (v.behaviour.classes === undefined) {
    // The whole block received, its content_block_stop not: the continuation has no rest.
    const end = v.textEnds.find((n) => v.cuts.has(n));
    if (end !== undefined) {
      add(`drop before the content_block_stop at ${end}`, {
        '1': { kind: 'drop', afterEvents: end },
      });
      add(`drop after the content_block_stop at ${end}`, {
        '1': { kind: 'drop', afterEvents: end + 1 },
      });
    }
  }
  const stall = ns[Math.floor(random() * ns.length)] as number;
  add(`stall after ${stall}`, { '1': { kind: 'stall', afterEvents: stall, ms: STALL_MS } });
  // The second cut lands a few deltas into the continuation: for a behaviour of one kind of
  // text (characters restated in Chinese), where that text goes on (not "? Cou" + " Could").
  const doubles = unspaced
    ? ns.filter((n) => !/[\sA-Za-z]/u.test(v.cuts.get(n)?.rest.slice(0, 40) ?? ' '))
    : ns;
  const double = doubles[Math.floor(random() * doubles.length)];
  if (double !== undefined)
    add(`double drop after ${double}, then after 5 of the continuation`, {
      '1': { kind: 'drop', afterEvents: double },
      '2': { kind: 'drop', afterEvents: 5 },
    });
  return cases;
}

function buildCases(): Case[] {
  const cases: Case[] = [];
  for (const v of variants) {
    if (v.sampled) {
      cases.push(...sampledCases(v));
      continue;
    }
    const e = v.eventLengths.length;
    // Boundaries: after N whole events, N = 0 (nothing) .. e-1 (all but message_stop).
    const boundaries = new Set<number>(sampleIndices(e, 36));
    v.eventTypes.forEach((t, i) => {
      if (t !== 'content_block_delta') {
        boundaries.add(i);
        boundaries.add(i + 1);
      }
    });
    for (const n of [...boundaries].filter((n) => n < e)) {
      cases.push({
        variant: v,
        label: `drop after ${n} events`,
        faults: { '1': { kind: 'drop', afterEvents: n } },
      });
      if (n % 3 === 0)
        cases.push({
          variant: v,
          label: `eof after ${n}`,
          faults: { '1': { kind: 'eof', afterEvents: n } },
        });
      if (n % 3 === 1) {
        cases.push({
          variant: v,
          label: `error event after ${n}`,
          faults: { '1': { kind: 'error', afterEvents: n, errorType: 'overloaded_error' } },
        });
      }
      if (n % 3 === 2)
        cases.push({
          variant: v,
          label: `reset after ${n}`,
          faults: { '1': { kind: 'reset', afterEvents: n } },
        });
    }
    // Inside events: first byte, middle, last byte, and inside a multi-byte character.
    for (const n of sampleIndices(e, 12)) {
      const len = v.eventLengths[n] ?? 0;
      const offsets = new Set([1, Math.floor(len / 2), len - 1]);
      const mb = v.multibyteOffsets.get(n);
      if (mb !== undefined) offsets.add(mb);
      for (const k of offsets) {
        if (k <= 0 || k >= len) continue;
        cases.push({
          variant: v,
          label: `drop in event ${n} at byte ${k}`,
          faults: { '1': { kind: 'drop', event: n, bytes: k } },
        });
      }
    }
    for (const n of v.multibyteOffsets.keys()) {
      const k = v.multibyteOffsets.get(n) as number;
      cases.push({
        variant: v,
        label: `drop inside a multi-byte char of event ${n}`,
        faults: { '1': { kind: 'drop', event: n, bytes: k } },
      });
    }
    // Stalls cost the stall timeout each: a few per variant.
    for (const n of sampleIndices(e, 1)) {
      cases.push({
        variant: v,
        label: `stall after ${n}`,
        faults: { '1': { kind: 'stall', afterEvents: n, ms: 5_000 } },
      });
    }
    // Double faults: the continuation drops too.
    for (const n of sampleIndices(e, 4)) {
      cases.push({
        variant: v,
        label: `double drop after ${n}, then after 5 of the continuation`,
        faults: { '1': { kind: 'drop', afterEvents: n }, '2': { kind: 'drop', afterEvents: 5 } },
      });
    }
  }
  return cases;
}

async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

beforeAll(async () => {
  const only = process.env.MATRIX_ONLY?.split(',');
  const onlyBehaviours = process.env.MATRIX_BEHAVIOURS?.split(',');
  const full = process.env.MATRIX_SEAM === 'full';
  const shipped = loadScenarios(SCENARIO_DIR).filter(
    (s) => !EXCLUDED.has(s.name) && (only === undefined || only.includes(s.name)),
  );
  const gens: Array<{ model: string; behaviour: Behaviour; base: boolean }> = [
    // Prefill generation (Claude 4.5 and earlier; 4.1 because the SDK warns on every 4.5 request).
    { model: 'claude-opus-4-1', behaviour: { label: 'r0', fields: {}, perClass: 3 }, base: true },
    { model: 'claude-opus-4-6', behaviour: { label: 'r0', fields: {}, perClass: 3 }, base: true },
    {
      model: 'claude-opus-4-6',
      behaviour: { label: 'r3', fields: { restate: 3 }, perClass: 3 },
      base: true,
    },
    ...BEHAVIOURS.map((behaviour) => ({
      model: 'claude-opus-4-6',
      behaviour: full ? { ...behaviour, perClass: Number.POSITIVE_INFINITY } : behaviour,
      base: false,
    })),
  ].filter((g) => onlyBehaviours === undefined || onlyBehaviours.includes(g.behaviour.label));
  const scenarios: Scenario[] = [];
  for (const s of shipped) {
    for (const { model, behaviour } of gens) {
      scenarios.push({
        ...s,
        ...NO_BEHAVIOUR,
        ...behaviour.fields,
        name: `${s.name}@${model}@${behaviour.label}`,
        restate: behaviour.fields.restate ?? 0,
        requireBetas: false,
        prefill: 'auto',
        faults: {},
        message: { ...s.message, model },
      });
    }
  }
  mock = await startMock({ scenarios });
  for (const s of scenarios) contents.set(s.name, s.message.content);
  for (const s of scenarios) {
    const [base = '', model = '', label = ''] = s.name.split('@');
    const gen = gens.find((g) => g.model === model && g.behaviour.label === label);
    if (gen === undefined) continue;
    const sampled = !gen.base || TEXT_ONLY.has(base);
    const events = mock.renderedEvents(s.name);
    const { cuts, textEnds } = textCuts(events);
    // A behaviour applies where the scenario has a text cut of a class it restates at.
    const classes = gen.behaviour.classes;
    if (sampled && ![...cuts.values()].some((c) => classes?.includes(c.cls) ?? true)) continue;
    const multibyteOffsets = new Map<number, number>();
    events.forEach((buf, i) => {
      const at = buf.findIndex((b) => b >= 0xc0);
      if (at >= 0 && (sampled || multibyteOffsets.size < 3)) multibyteOffsets.set(i, at + 1);
    });
    variants.push({
      name: s.name,
      base,
      model,
      behaviour: gen.behaviour,
      sampled,
      kind: gen.base ? 'generation' : 'behaviour',
      eventLengths: events.map((b) => b.length),
      eventTypes: events.map((b) => /^event: (\w+)/.exec(b.toString('utf8'))?.[1] ?? ''),
      multibyteOffsets,
      cuts,
      textEnds,
    });
  }
  await pool(variants, 4, async (v) => {
    const { final } = await runCase(v, {});
    baselines.set(v.name, strip(final));
  });
}, 120_000);

afterAll(async () => {
  await mock?.close();
});

/** Where the final message's text departs from the fault-free run's, with context. */
function textDifference(got: unknown, want: unknown): string {
  const texts = (m: unknown) =>
    ((m as { content?: Array<{ type: string; text?: string }> }).content ?? []).map((b) =>
      b.type === 'text' ? (b.text ?? '') : `[${b.type}]`,
    );
  const a = texts(got);
  const b = texts(want);
  if (a.length !== b.length) return `${a.length} blocks, expected ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    if (x === y) continue;
    let at = 0;
    while (at < x.length && x[at] === y[at]) at++;
    const around = (t: string) => {
      // 40 UTF-16 units each side, widened so that no surrogate pair is split in the excerpt.
      let from = Math.max(0, at - 40);
      let to = Math.min(t.length, at + 40);
      if (/[\udc00-\udfff]/u.test(t[from] ?? '')) from--;
      if (/[\ud800-\udbff]/u.test(t[to - 1] ?? '')) to++;
      return JSON.stringify(t.slice(from, to));
    };
    return `block ${i} differs at character ${at}: got ${around(x)}, expected ${around(y)}`;
  }
  return 'the blocks differ outside their text';
}

/**
 * Where each continuation of a failing case picked up, from the mock's request log (a reset
 * may cut earlier than the event it names: what the client had not read is lost): the end of
 * the partial text the request carried, and how the mock's continuation started.
 */
function seamDetail(c: Case, runId: string): string {
  const content = contents.get(c.variant.name) ?? [];
  const continued = mock.requests.filter(
    (r) => r.runId === runId && r.kind === 'continuation' && r.match?.partialText !== undefined,
  );
  if (continued.length === 0) return 'no continuation of a partial text';
  return continued
    .map((r) => {
      const partial = r.match?.partialText ?? '';
      const block = content[r.match?.completeBlocks ?? -1] as { text?: string } | undefined;
      const rest = (block?.text ?? '').slice(partial.length);
      const continuation = continuationText(partial, rest, c.variant.behaviour.fields);
      return `attempt ${r.attempt}: partial text (${classify(partial, partial, rest)}) ends ${JSON.stringify([...partial].slice(-50).join(''))}; continuation starts ${JSON.stringify([...continuation].slice(0, 70).join(''))}`;
    })
    .join('; ');
}

/** The line of the summary a variant counts in: its behaviour (and model for r0 and r3). */
function groupOf(v: Variant): string {
  if (v.kind === 'behaviour') return v.behaviour.label;
  return `${v.behaviour.label} (${v.model})${v.sampled ? ', sampled' : ''}`;
}

describe('fault matrix', () => {
  it('every case completes through the middleware with the fault-free message and a well-formed stream', async () => {
    const cases = buildCases();
    const failures: string[] = [];
    let passed = 0;
    const byScenario = new Map<string, number>();
    const byGroup = new Map<string, { cases: number; passed: number; scenarios: Set<string> }>();
    for (const c of cases) {
      const group = byGroup.get(groupOf(c.variant)) ?? {
        cases: 0,
        passed: 0,
        scenarios: new Set(),
      };
      group.cases++;
      group.scenarios.add(c.variant.base);
      byGroup.set(groupOf(c.variant), group);
    }
    const started = Date.now();
    await pool(cases, 16, async (c) => {
      const where = `${c.variant.name}: ${c.label}`;
      const runId = `matrix-${runSeq++}`;
      try {
        const { final, bytes } = await runCase(c.variant, c.faults, 6, runId);
        const problems = streamProblems(bytes);
        const baseline = baselines.get(c.variant.name);
        if (JSON.stringify(strip(final)) !== JSON.stringify(baseline))
          problems.push(
            `final message differs from the fault-free run (${textDifference(strip(final), baseline)}); ${seamDetail(c, runId)}`,
          );
        if (problems.length > 0) failures.push(`${where}: ${problems.join('; ')}`);
        else {
          passed++;
          byScenario.set(c.variant.base, (byScenario.get(c.variant.base) ?? 0) + 1);
          const group = byGroup.get(groupOf(c.variant));
          if (group !== undefined) group.passed++;
        }
      } catch (err) {
        failures.push(
          `${where}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}; ${seamDetail(c, runId)}`,
        );
      }
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const percent = (p: number, n: number) => `${((100 * p) / Math.max(1, n)).toFixed(1)}%`;
    console.log(
      `fault matrix: ${cases.length} cases over ${variants.length} scenario variants in ${seconds} s; ${passed} passed (${percent(passed, cases.length)})\n` +
        [...byScenario].map(([s, n]) => `  ${s}: ${n}`).join('\n') +
        '\nby variant (passed/cases, scenarios):\n' +
        [...byGroup]
          .map(
            ([g, { cases: n, passed: p, scenarios }]) =>
              `  ${g}: ${p}/${n} (${percent(p, n)}) over ${scenarios.size} scenarios`,
          )
          .join('\n'),
    );
    if (failures.length > 0) {
      console.log(failures.slice(0, 40).join('\n'));
      if (process.env.MATRIX_FAILURES)
        writeFileSync(process.env.MATRIX_FAILURES, failures.join('\n'));
    }
    expect(failures).toEqual([]);
    expect(passed).toBe(cases.length);
  }, 900_000);

  it('budget exhaustion fails with a typed error that carries the partial message', async () => {
    const v = variants.find(
      (x) =>
        x.base === 'plain-long-text' && x.model === 'claude-opus-4-6' && x.behaviour.label === 'r0',
    ) as Variant;
    let caught: unknown;
    try {
      await runCase(v, { '*': { kind: 'drop', afterEvents: 40 } }, 3);
    } catch (err) {
      caught = err;
    }
    let e: unknown = caught;
    while (e !== undefined && !(e instanceof StreamInterruptedError))
      e = (e as { cause?: unknown }).cause;
    expect(e).toBeInstanceOf(StreamInterruptedError);
    const err = e as StreamInterruptedError;
    expect(err.report.attempts).toHaveLength(3);
    expect(err.partial?.content.length).toBeGreaterThan(0);
    expect(err.explanation).toMatch(/Nothing received is lost/);
  });
});
