/**
 * The planner: from what was already sent downstream, decide how the next attempt continues.
 *
 * Strategies (docs/resume.md, "Strategies"), in order:
 * - `complete`: the message was finished (`message_delta` seen); only `message_stop` was lost.
 * - `restart`: nothing of the message content was emitted yet; resend the original request.
 * - `prefill`: the model allows prefill; the request ends with the partial assistant message.
 * - `continue`: the request ends with the partial assistant message and a user instruction.
 * - `end-at-tool`: no budget left, but the emitted content ends with a complete client tool use:
 *   finish with `stop_reason: "tool_use"`, so the client runs the tool.
 * - `fail`: no budget left and no safe way to finish.
 *
 * What the API accepts in a continued assistant message constrains the plan: a client
 * `tool_use` needs its `tool_result` in the next (user) message, so it cannot be sent back; a
 * server tool use only as a complete pair with its result. Such blocks, and everything after
 * them, are left out of the request and listed in `skip`: the continuation will regenerate them,
 * and the splicer drops the regenerated copies instead of emitting them twice.
 */
import type { ContentBlock } from '../protocol/index.js';
import { blockCategory, isClientToolUse, isServerToolUse } from '../protocol/index.js';
import type { ContinuationForm, ModelTable } from './models.js';
import { type MessageParamLike, type MessageRequestBody, thinkingEnabled } from './request.js';

/**
 * How an attempt after a failure was planned: `complete` (only message_stop was lost), `restart`
 * (nothing was sent yet), `prefill` (the partial text sent back as the assistant's prefill),
 * `continue` (a continuation turn), `end-at-tool` (the message ends at a client tool use already
 * sent), `fail`.
 */
export type Strategy = 'complete' | 'restart' | 'prefill' | 'continue' | 'end-at-tool' | 'fail';

/** What the splicer knows about the message as the client has seen it. */
export interface DownstreamView {
  /** Complete blocks emitted downstream, in order. */
  blocks: ContentBlock[];
  /** The open text block's emitted text (held-back whitespace excluded), if a text block is open. */
  openText: string | undefined;
  /** Citations already received for the open text block (a cited span arrives text first). */
  openCitations?: unknown[] | undefined;
  /** The code-execution container id seen so far. */
  containerId: string | undefined;
  /** `message_delta` was received: all content is in. */
  finished: boolean;
}

export interface ContinuationPlan {
  strategy: Strategy;
  /** The request to send (restart, prefill, continue). */
  body?: MessageRequestBody;
  /** Emitted blocks left out of the request: the continuation's first blocks should repeat them. */
  skip: ContentBlock[];
  /** Why this plan, for the report and error messages. */
  reason: string;
}

export const DEFAULT_CONTINUATION_INSTRUCTION =
  'Your previous response was interrupted by a network error. Continue exactly where it stopped, ' +
  'without repeating any text already written and without any preamble: the next characters you ' +
  'write are appended directly to the end of your previous message.';

/** Characters of the partial text's end quoted in a continuation turn (see `continuationInstruction`). */
export const DEFAULT_INSTRUCTION_TAIL = 100;

/**
 * The user message of a continuation turn. With `tail` (the partial text's last characters),
 * the instruction quotes where the text stopped: a model that sees "...incremental synchronis"
 * spelled out is told to finish the word rather than restart it, and to repeat nothing; what it
 * restates anyway, the seam removes (src/resume/seam/). The quote sits in tags a model reads as
 * structure, and says the tags are not part of the text.
 */
export function continuationInstruction(base: string, tail: string | undefined): string {
  if (tail === undefined || tail === '') return base;
  return (
    `${base}\n\nYour previous message ends with the text inside <previous_message_end> below (the ` +
    'tags are not part of it). If it stopped in the middle of a word, a number or a line of code, ' +
    'continue that word, number or line; do not write any of this text again.\n' +
    `<previous_message_end>${tail}</previous_message_end>`
  );
}

/** The last `chars` characters of `text`, never starting inside a surrogate pair. */
export function textTail(text: string, chars: number): string {
  if (chars <= 0) return '';
  let from = Math.max(0, text.length - chars);
  const c = text.charCodeAt(from);
  if (c >= 0xdc00 && c <= 0xdfff) from++;
  return text.slice(from);
}

export interface PlanContext {
  original: MessageRequestBody;
  view: DownstreamView;
  models: ModelTable;
  budgetLeft: boolean;
  instruction?: string;
  /** Characters of the partial text quoted in a continuation turn (default 100; 0: none). */
  instructionTail?: number;
}

const TRAILING_WS = /\s+$/;

/** The request form of a block received in a response (SDK response types -> param types). */
function toParam(block: ContentBlock): Record<string, unknown> {
  const b = block as unknown as Record<string, unknown>;
  switch (b.type) {
    case 'text': {
      const out: Record<string, unknown> = { type: 'text', text: b.text };
      if (Array.isArray(b.citations) && b.citations.length > 0) out.citations = b.citations;
      return out;
    }
    case 'thinking':
      return { type: 'thinking', thinking: b.thinking, signature: b.signature };
    case 'tool_use':
    case 'server_tool_use':
    case 'mcp_tool_use': {
      // Drop response-only fields the API does not accept back (e.g. `caller`).
      const { caller: _caller, ...rest } = b;
      return rest;
    }
    default:
      return { ...b };
  }
}

/**
 * Splits emitted blocks into the part that can be sent back (`prefix`) and the rest (`skip`).
 * The prefix ends before the first client tool use or unpaired server tool use.
 */
export function splitSendable(blocks: ContentBlock[]): {
  prefix: ContentBlock[];
  skip: ContentBlock[];
} {
  const resultIds = new Set<string>();
  for (const b of blocks) {
    const id = (b as { tool_use_id?: unknown }).tool_use_id;
    if (typeof id === 'string') resultIds.add(id);
  }
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i] as ContentBlock & { type: string; id?: string };
    if (isClientToolUse(b.type)) return { prefix: blocks.slice(0, i), skip: blocks.slice(i) };
    if (isServerToolUse(b.type) && (b.id === undefined || !resultIds.has(b.id))) {
      return { prefix: blocks.slice(0, i), skip: blocks.slice(i) };
    }
    if (blockCategory(b.type) === 'thinking' && !(b as { signature?: string }).signature) {
      return { prefix: blocks.slice(0, i), skip: blocks.slice(i) };
    }
  }
  return { prefix: blocks, skip: [] };
}

function containerParam(
  original: MessageRequestBody,
  containerId: string | undefined,
): MessageRequestBody['container'] {
  if (containerId === undefined) return original.container;
  const c = original.container;
  if (c !== null && typeof c === 'object') return { ...c, id: containerId };
  return containerId;
}

/** Appends `content` to the conversation as the assistant's partial turn. */
function withAssistant(
  messages: MessageParamLike[],
  content: Array<Record<string, unknown>>,
): MessageParamLike[] {
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant') {
    // The caller already prefilled the turn: our partial continues it.
    const prior =
      typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
    return [...messages.slice(0, -1), { role: 'assistant', content: [...prior, ...content] }];
  }
  return [...messages, { role: 'assistant', content }];
}

export function planContinuation(ctx: PlanContext): ContinuationPlan {
  const { original, view } = ctx;
  if (view.finished) {
    return {
      strategy: 'complete',
      skip: [],
      reason: 'all content was received; only message_stop was lost',
    };
  }
  const { prefix, skip } = splitSendable(view.blocks);
  const openText = view.openText?.replace(TRAILING_WS, '') ?? '';
  const last = view.blocks[view.blocks.length - 1] as { type: string } | undefined;

  if (!ctx.budgetLeft) {
    if (view.openText === undefined && last !== undefined && isClientToolUse(last.type)) {
      return {
        strategy: 'end-at-tool',
        skip: [],
        reason: 'attempt budget spent; the message ends with a complete client tool use',
      };
    }
    return { strategy: 'fail', skip: [], reason: 'attempt budget spent' };
  }

  const form: ContinuationForm = ctx.models.formFor(original.model, thinkingEnabled(original));
  const content = prefix.map(toParam);
  if (openText !== '' && skip.length === 0) {
    const block: Record<string, unknown> = { type: 'text', text: openText };
    if (view.openCitations !== undefined && view.openCitations.length > 0)
      block.citations = view.openCitations;
    content.push(block);
  }
  // The API rejects a FINAL assistant text block that ends with whitespace (prefill). In a
  // continuation turn the assistant message is not final, and a complete block is sent as it
  // was, so the model does not see (and repeat) whitespace it had already written.
  const tail = content[content.length - 1];
  if (form === 'prefill' && tail?.type === 'text' && typeof tail.text === 'string') {
    const stripped = tail.text.replace(TRAILING_WS, '');
    if (stripped === '') content.pop();
    else tail.text = stripped;
  }

  if (content.length === 0) {
    return {
      strategy: 'restart',
      body: { ...original, container: containerParam(original, view.containerId) },
      skip,
      reason:
        view.blocks.length === 0 && view.openText === undefined
          ? 'nothing of the message was emitted yet'
          : 'no emitted content can be sent back; regenerating and skipping what was emitted',
    };
  }

  let messages = withAssistant(original.messages, content);
  if (form === 'continue') {
    const last = content[content.length - 1];
    const tail =
      last?.type === 'text' && typeof last.text === 'string'
        ? textTail(last.text, ctx.instructionTail ?? DEFAULT_INSTRUCTION_TAIL)
        : undefined;
    const text = continuationInstruction(ctx.instruction ?? DEFAULT_CONTINUATION_INSTRUCTION, tail);
    messages = [...messages, { role: 'user', content: [{ type: 'text', text }] }];
  }
  const body: MessageRequestBody = { ...original, messages };
  const container = containerParam(original, view.containerId);
  if (container !== undefined) body.container = container;
  return {
    strategy: form,
    body,
    skip,
    reason:
      form === 'prefill'
        ? 'the model accepts prefill: the response continues the partial assistant message'
        : 'the model refuses prefill (Claude 4.6+ or unknown): a continuation turn asks it to go on',
  };
}
