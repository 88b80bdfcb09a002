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

/**
 * `next-turn`: the request repeats the scenario's whole message, which ends in client tool uses,
 * and answers them with their `tool_result` blocks: the agent ran the tools and asks for the
 * next message (the scenario's `nextTurn`). `side`: a side request of an agent (a title, a topic
 * check), answered by the server with a short default (see side.ts), never by the scenario.
 */
export type RequestKind = 'fresh' | 'prefill' | 'continuation' | 'next-turn' | 'side';

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

/** A word character: letters, digits, combining marks and `_`. */
const WORD_CHAR = /^[\p{L}\p{N}\p{M}_]$/u;
const TRAILING_WORD = /[\p{L}\p{N}\p{M}_]+$/u;

/**
 * The word a cut fell inside: when `partial` ends with a word character and `rest` starts
 * with one, the run of word characters `partial` ends with ("...incremental synchronis" ->
 * "synchronis"); otherwise ''.
 */
export function cutWord(partial: string, rest: string): string {
  const last = [...partial.slice(-2)].at(-1) ?? '';
  const first = [...rest.slice(0, 2)][0] ?? '';
  if (!WORD_CHAR.test(last) || !WORD_CHAR.test(first)) return '';
  return TRAILING_WORD.exec(partial)?.[0] ?? '';
}

const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });

/**
 * The last `n` code points of `text`, moved back to the start of the grapheme cluster they
 * would otherwise start inside (an emoji ZWJ sequence, a letter and its combining marks, a
 * flag): so never a lone surrogate or a stray combining mark. All of `text` when it is shorter.
 */
export function lastCodePoints(text: string, n: number): string {
  if (n <= 0) return '';
  let at = text.length;
  for (let count = 0; count < n && at > 0; count++) {
    const low = text.charCodeAt(at - 1);
    const high = at >= 2 ? text.charCodeAt(at - 2) : 0;
    at -= low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? 2 : 1;
  }
  if (at === 0) return text;
  let start = 0;
  for (const { index } of graphemes.segment(text)) {
    if (index > at) break;
    start = index;
  }
  return text.slice(start);
}

/**
 * `text` from the start of its `n`-th last line: just after its `n`-th last newline, or from
 * its start when it has fewer (`from` bounds how far back: a line before it is not taken).
 */
export function lastLines(text: string, n: number, from = 0): string {
  if (n <= 0) return '';
  let at = text.length;
  for (let i = 0; i < n; i++) {
    const newline = text.lastIndexOf('\n', at - 1);
    if (newline < from || at === 0) return text.slice(from);
    at = newline;
  }
  return text.slice(at + 1);
}

/** A fenced code block still open at the end of a text. */
export interface OpenFence {
  /** The opening fence line as written ("```python", "~~~~", "  ```ts title=x"). */
  line: string;
  /** Its run of backticks or tildes ("```", "~~~~"). */
  marker: string;
  /** Where the block's content starts: just after the opening line's newline. */
  contentStart: number;
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/u;

/**
 * The fenced code block `text` ends inside, as CommonMark reads fences: an opening line of 3+
 * backticks (whose info string has no backtick) or 3+ tildes, indented at most 3 spaces, that
 * a newline ends; closed by a line of the same character, at least as long, with nothing but
 * spaces after it. A fence line outside an open block opens one; inside, only its closer
 * counts (a ~~~ line inside a ``` block is code). The last line counts only as a closer: an
 * opening line the cut fell on (or right after, its newline not yet written) opens nothing yet.
 */
export function openFenceAt(text: string): OpenFence | undefined {
  let open: OpenFence | undefined;
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    const fence = FENCE_LINE.exec(line);
    if (fence !== null) {
      const marker = fence[1] as string;
      const info = fence[2] as string;
      if (open === undefined) {
        const valid = marker[0] === '~' || !info.includes('`');
        if (valid && newline !== -1) open = { line, marker, contentStart: newline + 1 };
      } else if (
        marker[0] === open.marker[0] &&
        marker.length >= open.marker.length &&
        /^ *$/u.test(info)
      ) {
        open = undefined;
      }
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  return open;
}

/**
 * How a continuation turn starts, beyond the rest of the partial text: the behaviours a model
 * that refuses prefill may show when asked to continue its cut message. Each applies to a
 * continuation turn's partial text block only (never to prefill, never at a block boundary).
 * P is the partial text as the request carries it; X the rest of the scenario's block.
 *
 * Restatement (at most one): how much of P the model repeats before X.
 * - `restate: N`: the last N words of P.
 * - `restartWord`: the word the cut fell inside, restarted ("synchronis" + "ation ...");
 *   nothing when the cut fell between words.
 * - `restateChars: N`: the last N code points, from a grapheme cluster start (scripts
 *   without spaces: Chinese, Japanese, Thai).
 * - `restateLines: N`: from the start of P's N-th last line (a list item with its marker, a
 *   heading, a table row, a code line with its indentation).
 * - `restateAll`: all of P (the model restarted its answer).
 *
 * Wrappers, applied in this order around the restatement:
 * - `reopenFence`: when P ends inside an open fenced code block, the model reopens the fence
 *   (`tag`: its opening line as written, `bare`: the backticks or tildes alone) and, since a
 *   fence is followed by a line start, restates the current line from its start (or the last
 *   `restateLines` lines of the block); this replaces the restatement. Outside a fence,
 *   nothing changes. Not with `restateAll` (which restates the fence itself).
 * - `preamble`: the model writes it, a blank line, then the restatement (the last 2 words
 *   when no restatement is set).
 *
 * A `continuationThinking` block, when set, comes before all of it, as its own block.
 */
export interface ContinuationBehaviour {
  /** A continuation turn restates the last N words of the partial text. */
  restate?: number;
  /** A continuation turn restarts the word the cut fell inside. */
  restartWord?: boolean;
  /** A continuation turn restates the last N code points (from a grapheme cluster start). */
  restateChars?: number;
  /** A continuation turn restates from the start of the N-th last line. */
  restateLines?: number;
  /** A continuation turn restates all of the partial text. */
  restateAll?: boolean;
  /** A continuation turn that starts inside a fenced code block reopens it. */
  reopenFence?: 'tag' | 'bare';
  /** A continuation turn opens with this preamble and a blank line. */
  preamble?: string;
}

/** The restatement fields, in the order the schema reports a second one. */
export const RESTATEMENT_FIELDS = [
  'restate',
  'restartWord',
  'restateChars',
  'restateLines',
  'restateAll',
] as const;

/** The restatement fields a behaviour sets (restate 0, false and absent are not set). */
export function restatementsSet(
  behaviour: ContinuationBehaviour,
): Array<(typeof RESTATEMENT_FIELDS)[number]> {
  return RESTATEMENT_FIELDS.filter((name) => {
    const value = behaviour[name];
    return typeof value === 'number' ? value > 0 : value === true;
  });
}

/** What a continuation turn restates of `partial` before `rest`, by its restatement field. */
function restatement(partial: string, rest: string, b: ContinuationBehaviour): string {
  if (b.restateAll) return partial;
  if ((b.restateLines ?? 0) > 0) return lastLines(partial, b.restateLines ?? 0);
  if ((b.restateChars ?? 0) > 0) return lastCodePoints(partial, b.restateChars ?? 0);
  if (b.restartWord) return cutWord(partial, rest);
  if ((b.restate ?? 0) > 0) return lastWords(partial, b.restate ?? 0);
  return b.preamble !== undefined ? lastWords(partial, 2) : '';
}

/**
 * The text a continuation turn writes for a partial text block: `partial` is the text the
 * request carried, `rest` the scenario block's text after it. With no behaviour set: `rest`.
 */
export function continuationText(
  partial: string,
  rest: string,
  behaviour: ContinuationBehaviour = {},
): string {
  const fence = behaviour.reopenFence === undefined ? undefined : openFenceAt(partial);
  let text: string;
  if (fence !== undefined) {
    const opening = behaviour.reopenFence === 'tag' ? fence.line : fence.marker;
    const lines = lastLines(partial, Math.max(1, behaviour.restateLines ?? 1), fence.contentStart);
    text = `${opening}\n${lines}${rest}`;
  } else {
    text = restatement(partial, rest, behaviour) + rest;
  }
  return behaviour.preamble === undefined ? text : `${behaviour.preamble}\n\n${text}`;
}

export interface RemainderOptions extends ContinuationBehaviour {
  /** Continuation turn: open with this signed thinking block, text then as its own block. */
  thinking?: ContentBlock;
}

/**
 * The content that follows a prefix: the rest of a partial text block (for a continuation
 * turn, as `continuationText` writes it), then every later block.
 */
export function remainderContent(
  target: readonly ContentBlock[],
  match: PrefixMatch,
  options: RemainderOptions = {},
): ContentBlock[] {
  const { thinking, ...behaviour } = options;
  const out: ContentBlock[] = [];
  if (thinking !== undefined) out.push(thinking);
  let next = match.completeBlocks;
  if (match.partialText !== undefined) {
    const block = target[next] as ContentBlock & { text: string };
    const rest = block.text.slice(match.partialText.length);
    out.push({
      ...block,
      text: continuationText(match.partialText, rest, behaviour),
    } as ContentBlock);
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

/**
 * How the mock answers a continuation request for a scenario: whether prefill is allowed, whether
 * a continuation opens with thinking, and how it restates what was already written (the
 * scenario's continuation behaviour).
 */
export interface ContinuationRules extends ContinuationBehaviour {
  prefillAllowed: boolean;
  continuationThinking: boolean;
  /** The request enables extended thinking (`thinking.type` enabled or adaptive). */
  thinkingEnabled?: boolean;
}

/** The continuation behaviour fields of `value`, and no other. */
export function behaviourOf(value: ContinuationBehaviour): ContinuationBehaviour {
  const out: ContinuationBehaviour = {};
  if (value.restate !== undefined) out.restate = value.restate;
  if (value.restartWord !== undefined) out.restartWord = value.restartWord;
  if (value.restateChars !== undefined) out.restateChars = value.restateChars;
  if (value.restateLines !== undefined) out.restateLines = value.restateLines;
  if (value.restateAll !== undefined) out.restateAll = value.restateAll;
  if (value.reopenFence !== undefined) out.reopenFence = value.reopenFence;
  if (value.preamble !== undefined) out.preamble = value.preamble;
  return out;
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
      if (answersEveryToolUse(matched.match, target)) {
        return { ok: true, kind: 'next-turn', match: matched.match, content: [] };
      }
      return {
        ok: true,
        kind,
        match: matched.match,
        content: remainderContent(target, matched.match, {
          ...behaviourOf(rules),
          ...(rules.continuationThinking ? { thinking: continuationThinkingBlock() } : {}),
        }),
      };
    }
  }
  if (pairing !== undefined) return { ok: false, kind: 'fresh', violation: pairing };
  return { ok: true, kind: 'fresh', content: [...target] };
}

/**
 * Whether a request that passed the tool pairing check repeats the whole of a message that
 * ends in client tool uses: its next user message then holds their results, so the turn is
 * over and the agent asks for the next one. (A message cut inside its tool uses cannot pair.)
 */
function answersEveryToolUse(match: PrefixMatch, target: readonly ContentBlock[]): boolean {
  return (
    match.partialText === undefined &&
    match.completeBlocks === target.length &&
    target.some((block) => isClientToolUse(block.type))
  );
}
