/**
 * Scenario files: the message the mock produces, how it is cut into deltas and writes, the
 * model's continuation rules, and the faults per attempt. Validated with zod; an invalid file
 * is reported with its path and the field path (`scenario x.json: faults.1.kind: ...`).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import { LifelineError } from '../errors.js';
import type { StreamMessage } from '../protocol/index.js';
import { behaviourOf, type ContinuationBehaviour, restatementsSet } from './continuation.js';
import { type Fault, type FaultMap, faultMapSchema, faultSchema } from './faults.js';

const nonNegative = z.number().int().nonnegative();

/** Fields every block of a known type must have; unknown (future) types pass as they are. */
function checkBlock(block: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const need = (field: string, type: 'string' | 'object') => {
    const value = block[field];
    const ok =
      type === 'string'
        ? typeof value === 'string'
        : typeof value === 'object' && value !== null && !Array.isArray(value);
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message: `a ${String(block.type)} block needs a ${type} "${field}"`,
      });
    }
  };
  const type = String(block.type);
  if (type === 'text') need('text', 'string');
  else if (type === 'thinking') {
    need('thinking', 'string');
    need('signature', 'string');
  } else if (type === 'redacted_thinking') need('data', 'string');
  else if (type === 'tool_use' || type === 'server_tool_use' || type === 'mcp_tool_use') {
    need('id', 'string');
    need('name', 'string');
    need('input', 'object');
  } else if (type.endsWith('_tool_result')) need('tool_use_id', 'string');
}

const blockSchema = z
  .looseObject({ type: z.string().min(1) })
  .superRefine((block, ctx) => checkBlock(block, ctx));

const containerSchema = z.looseObject({
  id: z.string().min(1),
  expires_at: z.string(),
  skills: z
    .array(z.looseObject({ skill_id: z.string(), type: z.string() }))
    .nullable()
    .optional(),
});

export const messageSchema = z.looseObject({
  id: z.string().min(1),
  type: z.literal('message'),
  role: z.literal('assistant'),
  model: z.string().min(1),
  content: z.array(blockSchema),
  stop_reason: z.string().nullable(),
  stop_sequence: z.string().nullable(),
  usage: z.looseObject({ input_tokens: nonNegative, output_tokens: nonNegative }),
  container: containerSchema.nullable().optional(),
});

const scenarioFileSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lowercase letters, digits, . _ -'),
    description: z.string().default(''),
    betas: z.array(z.string().min(1)).default([]),
    requireBetas: z.boolean().default(false),
    message: messageSchema.optional(),
    messageFile: z.string().min(1).optional(),
    nextTurn: messageSchema.optional(),
    chunking: z
      .object({
        text: z.number().int().positive().optional(),
        json: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
    eventsPerWrite: z.number().int().positive().default(1),
    prefill: z.enum(['auto', 'allowed', 'refused']).default('auto'),
    // How a continuation turn restates the partial text (see ContinuationBehaviour in
    // continuation.ts): at most one of restate, restartWord, restateChars, restateLines and
    // restateAll; reopenFence and preamble wrap it; continuationThinking opens before all.
    restate: nonNegative.default(0),
    restartWord: z.boolean().optional(),
    restateChars: z.number().int().positive().optional(),
    restateLines: z.number().int().positive().optional(),
    restateAll: z.boolean().optional(),
    reopenFence: z.enum(['tag', 'bare']).optional(),
    preamble: z
      .string()
      .regex(/\S/u, 'give the words the model writes before it goes on')
      .optional(),
    continuationThinking: z.boolean().default(false),
    faults: faultMapSchema.default({}),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.message === undefined) === (value.messageFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['message'],
        message: 'give either message or messageFile',
      });
    }
    const [first, second] = restatementsSet(value);
    if (second !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [second],
        message: `a continuation turn restates one way: ${first} is set too (choose one of restate, restartWord, restateChars, restateLines, restateAll)`,
      });
    }
    if (value.reopenFence !== undefined && value.restateAll === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['reopenFence'],
        message:
          'cannot be combined with restateAll: a continuation that restates all of the partial text restates its fence already',
      });
    }
  });

/** A scenario file as written (JSON): the message to stream, its betas, chunking, continuation behaviour and faults. docs/scenarios.md describes the format. */
export type ScenarioFile = z.input<typeof scenarioFileSchema>;

/** A loaded, validated scenario; its continuation behaviours are `ContinuationBehaviour`'s (continuation.ts). */
export interface Scenario extends ContinuationBehaviour {
  name: string;
  description: string;
  betas: string[];
  /** When true, a request must name every beta of `betas` in `anthropic-beta`. */
  requireBetas: boolean;
  message: StreamMessage;
  /**
   * The message that answers the next turn, when `message` ends in client tool uses and the
   * agent sends their results (default: a one-sentence text, `end_turn`).
   */
  nextTurn?: StreamMessage;
  chunking: { text: number; json: number };
  eventsPerWrite: number;
  prefill: 'auto' | 'allowed' | 'refused';
  /** A continuation turn restates the last N words of the partial text (0: none). */
  restate: number;
  /** A continuation turn opens with a signed thinking block. */
  continuationThinking: boolean;
  faults: FaultMap;
  /** The file it came from, when it came from one. */
  source?: string;
}

/** A scenario file that cannot be used, with where and why. */
export class ScenarioError extends LifelineError {
  readonly type = 'invalid-scenario';
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`scenario ${file}: ${field ? `${field}: ` : ''}${detail}`);
    this.name = 'ScenarioError';
  }
}

/** Words a person can act on, from a zod issue (zod's own text for unions is cryptic). */
function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
    return `expected one of ${issue.options.map(String).join('|')}`;
  }
  if (issue.code === 'invalid_value' && Array.isArray(issue.values)) {
    return `expected one of ${issue.values.map(String).join('|')}`;
  }
  return issue.message;
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

/** Throws a `ScenarioError` for the first issue of a failed parse. */
function fail(file: string, error: z.ZodError, prefix: readonly PropertyKey[] = []): never {
  const issue = error.issues[0];
  if (issue === undefined) throw new ScenarioError(file, '', 'invalid');
  throw new ScenarioError(file, formatIssuePath([...prefix, ...issue.path]), issueText(issue));
}

/**
 * Validates a parsed scenario object. `file` names it in errors; `baseDir` resolves
 * `messageFile` (defaults to the file's directory).
 */
export function parseScenario(value: unknown, file: string, baseDir = dirname(file)): Scenario {
  const parsed = scenarioFileSchema.safeParse(value);
  if (!parsed.success) fail(file, parsed.error);
  const data = parsed.data;
  let message: unknown = data.message;
  if (data.messageFile !== undefined) {
    const path = resolve(baseDir, data.messageFile);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ScenarioError(
        file,
        'messageFile',
        `cannot read ${path}: ${(err as Error).message}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ScenarioError(path, '', `not valid JSON: ${(err as Error).message}`);
    }
    const checked = messageSchema.safeParse(json);
    if (!checked.success) fail(path, checked.error);
    message = checked.data;
  }
  return {
    name: data.name,
    description: data.description,
    betas: data.betas,
    requireBetas: data.requireBetas,
    message: message as StreamMessage,
    ...(data.nextTurn !== undefined ? { nextTurn: data.nextTurn as unknown as StreamMessage } : {}),
    chunking: { text: data.chunking.text ?? 8, json: data.chunking.json ?? 64 },
    eventsPerWrite: data.eventsPerWrite,
    prefill: data.prefill,
    ...behaviourOf(data),
    restate: data.restate,
    continuationThinking: data.continuationThinking,
    faults: data.faults,
    source: file,
  };
}

/** Reads and validates one scenario file. */
export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, '', `cannot read it: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ScenarioError(file, '', `not valid JSON: ${(err as Error).message}`);
  }
  return parseScenario(json, file);
}

/**
 * Loads a scenario file, or every `*.json` scenario in a directory (files whose name starts
 * with `_` are message files referenced by `messageFile`, not scenarios). Names must be unique.
 */
export function loadScenarios(path: string): Scenario[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new ScenarioError(path, '', 'no such file or directory');
  }
  const files = isDir
    ? readdirSync(path)
        .filter((f) => extname(f) === '.json' && !basename(f).startsWith('_'))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new ScenarioError(path, '', 'the directory has no *.json scenario');
  const scenarios = files.map(loadScenarioFile);
  assertUniqueNames(scenarios);
  return scenarios;
}

export function assertUniqueNames(scenarios: readonly Scenario[]): void {
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    const other = seen.get(s.name);
    if (other !== undefined) {
      throw new ScenarioError(
        s.source ?? s.name,
        'name',
        `"${s.name}" is also the name of ${other}`,
      );
    }
    seen.set(s.name, s.source ?? s.name);
  }
}

/**
 * Whether a model accepts a trailing assistant message (prefill), as the API decides it:
 * Claude 4.6 and every later (or unrecognised) model refuse; 4.5 and earlier allow.
 */
export function modelAllowsPrefill(model: string): boolean {
  const version = claudeVersion(model);
  if (version === undefined) return false;
  const [major, minor] = version;
  return major < 4 || (major === 4 && minor <= 5);
}

/**
 * `[major, minor]` of a Claude model id, from both naming schemes (`claude-3-5-sonnet-20241022`,
 * `claude-opus-4-1-20250805`, `claude-sonnet-4-5`, `claude-opus-4-6`), or undefined.
 */
export function claudeVersion(model: string): [number, number] | undefined {
  const id = model.toLowerCase();
  if (!id.startsWith('claude-')) return undefined;
  // Version numbers are 1-2 digits; dates (8 digits) and words (opus, latest) are not.
  const numbers = id
    .slice('claude-'.length)
    .split(/[-.@]/)
    .filter((part) => /^\d{1,2}$/.test(part))
    .map(Number);
  const [major, minor = 0] = numbers;
  if (major === undefined) return undefined;
  return [major, minor];
}

/** Whether this scenario's model refuses prefill, applying its `prefill` setting. */
export function scenarioAllowsPrefill(scenario: Scenario): boolean {
  if (scenario.prefill === 'allowed') return true;
  if (scenario.prefill === 'refused') return false;
  return modelAllowsPrefill(scenario.message.model);
}

/**
 * Parses a fault override (the `x-mock-faults` header, `lifeline mock --fault`): a fault map,
 * or one fault, which means attempt 1. `label` names the source in errors.
 */
export function parseFaultOverride(
  value: string,
  label = 'x-mock-faults',
): { ok: true; faults: FaultMap } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (err) {
    return { ok: false, message: `${label}: not valid JSON: ${(err as Error).message}` };
  }
  const single = typeof json === 'object' && json !== null && 'kind' in json;
  const parsed = single ? faultSchema.safeParse(json) : faultMapSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = formatIssuePath(issue?.path ?? []);
    return {
      ok: false,
      message: `${label}: ${where ? `${where}: ` : ''}${issue === undefined ? 'invalid' : issueText(issue)}`,
    };
  }
  return { ok: true, faults: single ? { '1': parsed.data as Fault } : (parsed.data as FaultMap) };
}
