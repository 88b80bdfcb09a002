/**
 * Agent traffic besides the turn under test. A coding agent (Claude Code, the Agent SDK) sends
 * side requests of its own: a session title, a topic check, a quota probe. They carry the same
 * headers as the agent's turns (ANTHROPIC_CUSTOM_HEADERS applies to every request), so the
 * scenario header alone cannot tell them apart. With `x-mock-agent: 1` (or `lifeline mock
 * --agent`), a request that declares no tools is a side request: the agent's own turns always
 * declare its tools. It gets a short default answer, never a fault, and is not an attempt of
 * the run, so faults keyed by attempt number still land on the agent's turns.
 */
import type { StreamMessage } from '../protocol/index.js';
import { estimateTokens, type MessagesRequest, newId } from './api.js';

/** Whether a request from an agent is a side request: it declares no tools. */
export function isSideRequest(request: MessagesRequest): boolean {
  const tools = request.tools;
  return !Array.isArray(tools) || tools.length === 0;
}

/** The text a side request gets: `{}` when it asks for JSON output, else a short sentence. */
export function sideAnswerText(request: MessagesRequest): string {
  return wantsJson(request) ? '{}' : 'OK.';
}

function wantsJson(request: MessagesRequest): boolean {
  const formats = [request.output_format, (request.output_config as { format?: unknown })?.format];
  return formats.some(
    (f) => typeof f === 'object' && f !== null && (f as { type?: unknown }).type === 'json_schema',
  );
}

/** A complete one-text-block message for `request`'s model. */
export function textMessage(model: string, text: string, requestBytes: number): StreamMessage {
  return {
    id: newId('msg_01'),
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: estimateTokens(requestBytes),
      output_tokens: estimateTokens(Buffer.byteLength(text)),
    },
  } as StreamMessage;
}

/** What a scenario without `nextTurn` says once its tools ran. */
export const DEFAULT_NEXT_TURN_TEXT = 'Done: the tool ran and its result is above.';
