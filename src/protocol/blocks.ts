/**
 * Block categories: what the resume engine needs to know about a content block, by its type.
 *
 * - `text`: streams `text_delta` (and `citations_delta`); may be continued across a seam.
 * - `thinking`: streams `thinking_delta` then `signature_delta`; replayable only when signed.
 * - `redacted_thinking`: arrives whole; replayable as is.
 * - `tool_input`: any block whose input streams as `input_json_delta` (client `tool_use`,
 *   `server_tool_use`, `mcp_tool_use`, and future `*_tool_use` kinds). Not valid JSON until
 *   `content_block_stop`; a partial one is discarded and regenerated.
 * - `server_tool_result`: server-tool results (`*_tool_result`) that arrive whole in
 *   `content_block_start`.
 * - `unknown`: anything else; passed through untouched, treated like a tool input on a drop.
 */
export type BlockCategory =
  | 'text'
  | 'thinking'
  | 'redacted_thinking'
  | 'tool_input'
  | 'server_tool_result'
  | 'unknown';

const TOOL_INPUT_TYPES = new Set(['tool_use', 'server_tool_use', 'mcp_tool_use']);

export function blockCategory(type: string): BlockCategory {
  if (type === 'text') return 'text';
  if (type === 'thinking') return 'thinking';
  if (type === 'redacted_thinking') return 'redacted_thinking';
  if (TOOL_INPUT_TYPES.has(type) || type.endsWith('_tool_use')) return 'tool_input';
  if (type.endsWith('_tool_result') || type === 'container_upload') return 'server_tool_result';
  return 'unknown';
}

/** A client tool use: the caller runs it, so a message may end there (`end-at-tool`). */
export function isClientToolUse(type: string): boolean {
  return type === 'tool_use';
}

/** A server tool use: the API runs it and a `*_tool_result` block follows in the same message. */
export function isServerToolUse(type: string): boolean {
  return type === 'server_tool_use' || type === 'mcp_tool_use';
}
