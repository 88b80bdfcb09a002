/**
 * What bench/resume.bench.ts and bench/resume-recovery.ts share: the scenarios, generated per
 * run from a seed; the request both the SDK and the plain HTTP contenders send; statistics
 * and the table printer.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { parseScenario, type Scenario } from '../src/mock/index.js';
import { makeRng, randomInt } from './fixtures.js';

export const RECOVERY_DELTAS = 4_000;
export const TOOL_INPUT_CHARS = 600_000;
export const TEXT_CHUNK = 8;
export const JSON_CHUNK = 64;
export const API_KEY = 'bench-key';

export const OPUS = 'claude-opus-4-6';
export const SONNET = 'claude-sonnet-4-5';
export const LONG = 'bench-long-text';
export const TOOL = 'bench-tool-input';
export const SHORT = 'bench-short-text';
export const RECOVER_OPUS = 'bench-recover-opus';
export const RECOVER_SONNET = 'bench-recover-sonnet';

// ---------------------------------------------------------------------------------------------
// Fixtures

const WORDS = (
  'the stream of tokens arrives as small deltas and a client must render them without delay ' +
  'while the engine keeps enough state to resume when socket closes early function return value buffer'
).split(' ');
const NON_ASCII = ['é', 'ü', 'ß', '→', '日本語', '中文', '😀', '🚀', '€', 'ñ'];

/** Prose of at least `codePoints` code points: words, punctuation, paragraphs, a little non-ASCII. */
function prose(rng: () => number, codePoints: number): string {
  const parts: string[] = ['Here'];
  let size = 4;
  while (size < codePoints) {
    const r = rng();
    const word =
      r < 0.01
        ? NON_ASCII[randomInt(rng, 0, NON_ASCII.length - 1)]!
        : WORDS[randomInt(rng, 0, WORDS.length - 1)]!;
    const sep = r > 0.97 ? '.\n\n' : r > 0.9 ? ', ' : ' ';
    parts.push(sep, word);
    size += sep.length + [...word].length;
  }
  // Exactly `codePoints` code points, ending in a word character (no held trailing space).
  return `${[...parts.join('')].slice(0, codePoints - 1).join('')}.`;
}

/** A source file as a tool input: code-like lines with quotes, backslashes and tabs to escape. */
function sourceFile(rng: () => number, chars: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const a = WORDS[randomInt(rng, 0, WORDS.length - 1)]!;
    const b = WORDS[randomInt(rng, 0, WORDS.length - 1)]!;
    const line =
      i % 7 === 0
        ? `export function ${a}${i}(input: string): string {`
        : i % 7 === 6
          ? '}'
          : `\tconst ${a}_${i} = "${b} \\"${a}\\" ${b}" + input; // ${a} ${b}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

export interface Fixtures {
  scenarios: Scenario[];
  /** Text of each text scenario, to check what a client saw. */
  texts: Map<string, string>;
}

function message(id: string, model: string, content: unknown[], stopReason: string) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 1000 },
  };
}

export function makeFixtures(seed: number, longDeltas: number): Fixtures {
  const rng = makeRng(seed);
  const texts = new Map<string, string>();
  const scenarios: Scenario[] = [];
  const textScenario = (name: string, model: string, deltas: number) => {
    const text = prose(rng, deltas * TEXT_CHUNK);
    texts.set(name, text);
    scenarios.push(
      parseScenario(
        {
          name,
          chunking: { text: TEXT_CHUNK, json: JSON_CHUNK },
          message: message(`msg_bench_${name}`, model, [{ type: 'text', text }], 'end_turn'),
        },
        `${name}.json`,
      ),
    );
  };
  textScenario(LONG, OPUS, longDeltas);
  textScenario(SHORT, OPUS, 200);
  textScenario(RECOVER_OPUS, OPUS, RECOVERY_DELTAS);
  textScenario(RECOVER_SONNET, SONNET, RECOVERY_DELTAS);
  scenarios.push(
    parseScenario(
      {
        name: TOOL,
        chunking: { text: TEXT_CHUNK, json: JSON_CHUNK },
        message: message(
          'msg_bench_tool',
          OPUS,
          [
            { type: 'text', text: "I'll write the whole module to disk in one go." },
            {
              type: 'tool_use',
              id: 'toolu_bench_01',
              name: 'write_file',
              input: {
                path: 'src/generated/module.ts',
                content: sourceFile(rng, TOOL_INPUT_CHARS),
              },
            },
          ],
          'tool_use',
        ),
      },
      `${TOOL}.json`,
    ),
  );
  return { scenarios, texts };
}

// ---------------------------------------------------------------------------------------------
// Statistics and printing

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank: p99 of 50 samples is the largest.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => quantile(values, 0.5);

export function table(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);
export const int = (n: number) => Math.round(n).toLocaleString('en-US');

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) collect();
}

// ---------------------------------------------------------------------------------------------
// Requests

const PROMPT = [{ role: 'user' as const, content: 'Write it.' }];

export function params(model: string) {
  return { model, max_tokens: 64_000, messages: PROMPT };
}

export interface StreamOutcome {
  /** Events the consumer saw (the SDK drops pings) or body bytes read. */
  count: number;
  /** ms from the call to the first text delta (SDK) or the first body byte (fetch). */
  first: number;
}

export interface Target {
  scenario: string;
  model: string;
}

export async function sdkStream(
  client: Anthropic,
  target: Target,
  check?: (final: Anthropic.Beta.BetaMessage) => void,
): Promise<StreamOutcome> {
  const start = performance.now();
  const stream = client.beta.messages.stream(params(target.model), {
    headers: { 'x-mock-scenario': target.scenario },
  });
  let count = 0;
  let first = -1;
  for await (const event of stream) {
    count++;
    if (first < 0 && event.type === 'content_block_delta' && event.delta.type === 'text_delta')
      first = performance.now() - start;
  }
  if (check !== undefined) check(await stream.finalMessage());
  return { count, first };
}

export function requestHeaders(scenario: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-api-key': API_KEY,
    'anthropic-version': '2023-06-01',
    'x-mock-scenario': scenario,
  };
}

/** Reads a body to its end, counting bytes; `first` is when its first byte came. */
export async function readAll(
  body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  start: number,
): Promise<StreamOutcome> {
  let count = 0;
  let first = -1;
  if ('getReader' in body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (first < 0) first = performance.now() - start;
      count += value.length;
    }
    return { count, first };
  }
  for await (const chunk of body) {
    if (first < 0) first = performance.now() - start;
    count += chunk.length;
  }
  return { count, first };
}
