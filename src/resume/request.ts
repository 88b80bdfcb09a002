/**
 * The request body of `POST /v1/messages`, as much of it as the resume engine reads or writes.
 * Every other field is carried through untouched.
 */
export interface MessageParamLike {
  role: 'user' | 'assistant';
  content: string | Array<Record<string, unknown>>;
}

/** The fields of a Messages request body that lifeline reads or rewrites to resume; the rest passes through as sent. */
export interface MessageRequestBody {
  model: string;
  messages: MessageParamLike[];
  max_tokens: number;
  stream?: boolean;
  container?: string | { id?: string | null; skills?: unknown[] | null } | null;
  thinking?: { type: string; [field: string]: unknown } | null;
  [field: string]: unknown;
}

/** Validates the fields the engine relies on; returns a message describing the first problem. */
export function checkRequestBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'the request body must be a JSON object';
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') return 'model: a model id string is required';
  if (!Array.isArray(b.messages)) return 'messages: an array of messages is required';
  for (const [i, m] of b.messages.entries()) {
    const msg = m as Record<string, unknown> | null;
    if (typeof msg !== 'object' || msg === null) return `messages.${i}: must be an object`;
    if (msg.role !== 'user' && msg.role !== 'assistant') {
      return `messages.${i}.role: must be "user" or "assistant"`;
    }
    if (typeof msg.content !== 'string' && !Array.isArray(msg.content)) {
      return `messages.${i}.content: must be a string or an array of content blocks`;
    }
  }
  if (typeof b.max_tokens !== 'number') return 'max_tokens: a number is required';
  return undefined;
}

export function thinkingEnabled(body: MessageRequestBody): boolean {
  const t = body.thinking;
  return t !== undefined && t !== null && t.type !== 'disabled';
}
