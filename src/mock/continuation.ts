/**
 * How the mock answers a request that continues a partial message: by prefill (the request
 * ends with an assistant message) or by a continuation turn (assistant message + a user turn).
 *
 * This is the contract the resume engine is tested against. The rules are the API's, with its
 * error messages: prefill refused by 4.6+ models, no trailing whitespace in a final assistant
 * message, every `tool_use` answered by a `tool_result` in the next message, server tool uses
 * only with their results. A request that passes is answered with the rest of the scenario's
 * message, so a resumed stream is deterministic and can be compared with the uninterrupted one.
 */
import type { ContentBlock } from '../protocol/index.js';
import { blockCategory, isClientToolUse } from '../protocol/index.js';

export type RequestKind = 'fresh' | 'prefill' | 'continuation';

/** A content block of a request, as sent (loosely typed: requests come from anywhere). */
export interface RequestBlock {
  type: string;
  [field: string]: unknown;
}

export interface RequestMessage {
  role: string;
  content: string | RequestBlock[];
}

/** How much of the scenario's content a request's assistant content covers. */
export interface PrefixMatch {
  /** Blocks 0..completeBlocks-1 equal the scenario's. */
  completeBlocks: number;
  /** When the last given block is text that is a strict prefix of block `completeBlocks`. */
  partialText?: string;
}

export interface PrefixMismatch {
  /** The first given block that is not the scenario's. */
  index: number;
  reason: string;
  /** How many leading given blocks did match (0: a different conversation altogether). */
  matched: number;
}

/** A rule broken by a request: answered with a 400 `invalid_request_error`. */
export interface RuleViolation {
  message: string;
}

export const PREFILL_REFUSED_MESSAGE =
  'This model does not support assistant message prefill. The conversation must end with a user message.';
export const TRAILING_WHITESPACE_MESSAGE =
  'messages: final assistant content cannot end with trailing whitespace';

/** A message's content as blocks (a string is one text block; an empty string none). */
export function contentBlocks(content: string | RequestBlock[]): RequestBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content;
}

/** Deep equality of JSON values; an `undefined` property counts as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) {
    if (!jsonEqual(ra[key], rb[key])) return false;
  }
  return true;
}

function field(block: RequestBlock | ContentBlock, name: string): unknown {
  return (block as Record<string, unknown>)[name];
}

/**
 * Why a given block is not the scenario's block, or undefined when it is. Compared by what
 * identifies the block (text; thinking + signature; tool id, name and input; whole result
 * blocks), so fields a client may drop or add (citations, cache_control) do not matter.
 */
export function blockDifference(given: RequestBlock, expected: ContentBlock): string | undefined {
  if (given.type !== expected.type) {
    return `given a ${given.type} block, the scenario has a ${expected.type} block`;
  }
  const differs = (...names: string[]) => {
    const name = names.find((n) => !jsonEqual(field(given, n), field(expected, n)));
    return name === undefined ? undefined : `its ${name} differs from the scenario's`;
  };
  switch (blockCategory(given.type)) {
    case 'text': {
      const a = String(field(given, 'text'));
      const b = String(field(expected, 'text'));
      if (a === b) {
        // A cited span whose text arrived but whose citations did not is still partial: the
        // citations_delta events come after the text. Extra or missing citations otherwise
        // do not matter.
        const cited = field(expected, 'citations');
        const given_ = field(given, 'citations');
        const missing =
          Array.isArray(cited) && cited.length > 0 && !(Array.isArray(given_) && given_.length > 0);
        return missing ? 'its citations are missing' : undefined;
      }
      return `its text differs from the scenario's at character ${firstDifference(a, b)}`;
    }
    case 'thinking':
      return differs('thinking', 'signature');
    case 'redacted_thinking':
      return differs('data');
    case 'tool_input':
      return differs('id', 'name', 'input');
    default: {
      const { cache_control: _a, ...a } = given;
      const { cache_control: _b, ...b } = expected as RequestBlock;
      return jsonEqual(a, b) ? undefined : 'the block differs from the scenario’s';
    }
  }
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Matches a request's assistant content against the scenario's content: every block but the
 * last must equal the scenario's; the last may instead be text that is a prefix of the
 * scenario's text block at that index (a partial block).
 */
export function matchPrefix(
  given: readonly RequestBlock[],
  target: readonly ContentBlock[],
): { ok: true; match: PrefixMatch } | { ok: false; mismatch: PrefixMismatch } {
  for (let i = 0; i < given.length; i++) {
    const block = given[i]!;
    const expected = target[i];
    if (expected === undefined) {
      return {
        ok: false,
        mismatch: {
          index: i,
          matched: i,
          reason: `the scenario's message has only ${target.length} content blocks`,
        },
      };
    }
    const difference = blockDifference(block, expected);
    if (difference === undefined) continue;
    const isLast = i === given.length - 1;
    if (isLast && block.type === 'text' && expected.type === 'text') {
      const text = String(field(block, 'text'));
      if (String(field(expected, 'text')).startsWith(text)) {
        return { ok: true, match: { completeBlocks: i, partialText: text } };
      }
    }
    return { ok: false, mismatch: { index: i, matched: i, reason: difference } };
  }
  return { ok: true, match: { completeBlocks: given.length } };
}

/**
 * The API's pairing rules over the whole conversation: a client `tool_use` needs a
 * `tool_result` with its id in the next (user) message; a server tool use needs its result
 * block later in the same assistant content.
 */
export function checkToolPairing(messages: readonly RequestMessage[]): RuleViolation | undefined {
  for (let m = 0; m < messages.length; m++) {
    const message = messages[m]!;
    if (message.role !== 'assistant') continue;
    const blocks = contentBlocks(message.content);
    const clientIds = blocks.filter((b) => isClientToolUse(b.type)).map((b) => String(b.id));
    if (clientIds.length > 0) {
      const next = messages[m + 1];
      const answered = new Set(
        next?.role === 'user'
          ? contentBlocks(next.content)
              .filter((b) => b.type === 'tool_result')
              .map((b) => String(b.tool_use_id))
          : [],
      );
      const missing = clientIds.filter((id) => !answered.has(id));
      if (missing.length > 0) {
        return {
          message: `messages.${m}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        };
      }
    }
    const missing: string[] = [];
    blocks.forEach((block, i) => {
      if (block.type !== 'server_tool_use' && block.type !== 'mcp_tool_use') return;
      const id = String(block.id);
      const answered = blocks
        .slice(i + 1)
        .some(
          (later) => blockCategory(later.type) === 'server_tool_result' && later.tool_use_id === id,
        );
      if (!answered) missing.push(id);
    });
    if (missing.length > 0) {
      return {
        message: `messages.${m}: \`server_tool_use\` ids were found without their result blocks after them: ${missing.join(', ')}. Each \`server_tool_use\` block must be followed by its \`*_tool_result\` block in the same message.`,
      };
    }
  }
  return undefined;
}

/** Whether a final assistant message ends with whitespace (the API rejects it). */
export function endsWithWhitespace(blocks: readonly RequestBlock[]): boolean {
  const last = blocks.at(-1);
  return last?.type === 'text' && /\s$/u.test(String(last.text));
}

/** The last `n` whitespace-separated words of `text`, from the start of the first of them. */
export function lastWords(text: string, n: number): string {
  if (n <= 0) return '';
  const starts = [...text.matchAll(/\S+/gu)].map((m) => m.index);
  const from = starts[Math.max(0, starts.length - n)];
  return from === undefined ? '' : text.slice(from);
}

export interface RemainderOptions {
  /** Continuation turn: restate the last N words of the partial text (0: none). */
  restate?: number;
  /** Continuation turn: open with this signed thinking block, text then as its own block. */
  thinking?: ContentBlock;
}

/**
 * The content that follows a prefix: the rest of a partial text block (for a continuation
 * turn, after the restated words), then every later block.
 */
export function remainderContent(
  target: readonly ContentBlock[],
  match: PrefixMatch,
  options: RemainderOptions = {},
): ContentBlock[] {
  const out: ContentBlock[] = [];
  if (options.thinking !== undefined) out.push(options.thinking);
  let next = match.completeBlocks;
  if (match.partialText !== undefined) {
    const block = target[next] as ContentBlock & { text: string };
    const rest = block.text.slice(match.partialText.length);
    const restated = lastWords(match.partialText, options.restate ?? 0);
    out.push({ ...block, text: restated + rest } as ContentBlock);
    next++;
  }
  out.push(...target.slice(next));
  return out;
}

/** A signed thinking block to open a continuation turn with (deterministic). */
export function continuationThinkingBlock(): ContentBlock {
  return {
    type: 'thinking',
    thinking:
      'The previous response was interrupted. I will continue exactly where it stopped, without repeating what was already written.',
    signature: 'EuYBCkYIBRgCKkBtb2NrLWNvbnRpbnVhdGlvbi10aGlua2luZy1zaWduYXR1cmU=',
  } as ContentBlock;
}

export type ContinuationPlan =
  | {
      ok: true;
      kind: RequestKind;
      /** The content to answer with. */
      content: ContentBlock[];
      /** What the request's assistant content covered (prefill and continuation). */
      match?: PrefixMatch;
    }
  | { ok: false; kind: RequestKind; violation: RuleViolation };

export interface ContinuationRules {
  prefillAllowed: boolean;
  restate: number;
  continuationThinking: boolean;
  /** The request enables extended thinking (`thinking.type` enabled or adaptive). */
  thinkingEnabled?: boolean;
}

function mismatchViolation(m: number, mismatch: PrefixMismatch): RuleViolation {
  return {
    message: `messages.${m}.content.${mismatch.index}: the assistant content is not a prefix of the scenario's message: block ${mismatch.index} does not match (${mismatch.reason}). A continuation must repeat the blocks received so far unchanged; the last one may be a text block cut short.`,
  };
}

/**
 * Classifies a request and decides the answer: the content to send, or the rule it breaks.
 * Checks run in the API's order (prefill refused, trailing whitespace, tool pairing, then the
 * mock's own prefix check).
 */
export function planContinuation(
  messages: readonly RequestMessage[],
  target: readonly ContentBlock[],
  rules: ContinuationRules,
): ContinuationPlan {
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    const kind = 'prefill';
    if (!rules.prefillAllowed)
      return { ok: false, kind, violation: { message: PREFILL_REFUSED_MESSAGE } };
    const given = contentBlocks(last.content);
    if (endsWithWhitespace(given)) {
      return { ok: false, kind, violation: { message: TRAILING_WHITESPACE_MESSAGE } };
    }
    const pairing = checkToolPairing(messages);
    if (pairing !== undefined) return { ok: false, kind, violation: pairing };
    const first = given[0];
    if (
      rules.thinkingEnabled &&
      first !== undefined &&
      first.type !== 'thinking' &&
      first.type !== 'redacted_thinking'
    ) {
      return {
        ok: false,
        kind,
        violation: {
          message: `messages.${messages.length - 1}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block. To avoid this requirement, disable \`thinking\`.`,
        },
      };
    }
    const matched = matchPrefix(given, target);
    if (!matched.ok)
      return {
        ok: false,
        kind,
        violation: mismatchViolation(messages.length - 1, matched.mismatch),
      };
    return {
      ok: true,
      kind,
      match: matched.match,
      content: remainderContent(target, matched.match),
    };
  }

  const pairing = checkToolPairing(messages);
  const previous = messages.at(-2);
  if (last?.role === 'user' && previous?.role === 'assistant') {
    const given = contentBlocks(previous.content);
    const matched = given.length > 0 ? matchPrefix(given, target) : undefined;
    if (matched !== undefined && (matched.ok || matched.mismatch.matched > 0)) {
      const kind = 'continuation';
      if (pairing !== undefined) return { ok: false, kind, violation: pairing };
      if (!matched.ok) {
        return {
          ok: false,
          kind,
          violation: mismatchViolation(messages.length - 2, matched.mismatch),
        };
      }
      return {
        ok: true,
        kind,
        match: matched.match,
        content: remainderContent(target, matched.match, {
          restate: rules.restate,
          ...(rules.continuationThinking ? { thinking: continuationThinkingBlock() } : {}),
        }),
      };
    }
  }
  if (pairing !== undefined) return { ok: false, kind: 'fresh', violation: pairing };
  return { ok: true, kind: 'fresh', content: [...target] };
}
