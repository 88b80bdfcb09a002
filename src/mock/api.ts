/**
 * The API's surface, as far as the mock needs it: ids, response headers, error bodies, and
 * the validation of a Messages request body with messages worded like the API's.
 */
import { randomBytes } from 'node:crypto';
import type { RequestBlock, RequestMessage } from './continuation.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `prefix` + 24 random base62 characters, the shape of the API's ids (`msg_01...`). */
export function newId(prefix: string): string {
  const bytes = randomBytes(24);
  let out = prefix;
  for (const byte of bytes) out += BASE62[byte % 62];
  return out;
}

/** The API's error body: `{"type":"error","error":{type,message},"request_id"}`. */
export function errorBody(errorType: string, message: string, requestId: string): string {
  return JSON.stringify({
    type: 'error',
    error: { type: errorType, message },
    request_id: requestId,
  });
}

/** Headers the API sends with every Messages response (values plausible, not meaningful). */
export function apiHeaders(requestId: string): Record<string, string> {
  const reset = new Date(Date.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    'request-id': requestId,
    'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
    'anthropic-ratelimit-requests-limit': '4000',
    'anthropic-ratelimit-requests-remaining': '3999',
    'anthropic-ratelimit-requests-reset': reset,
    'anthropic-ratelimit-input-tokens-limit': '2000000',
    'anthropic-ratelimit-input-tokens-remaining': '2000000',
    'anthropic-ratelimit-input-tokens-reset': reset,
    'anthropic-ratelimit-output-tokens-limit': '400000',
    'anthropic-ratelimit-output-tokens-remaining': '400000',
    'anthropic-ratelimit-output-tokens-reset': reset,
    'anthropic-ratelimit-tokens-limit': '2400000',
    'anthropic-ratelimit-tokens-remaining': '2400000',
    'anthropic-ratelimit-tokens-reset': reset,
    'x-robots-tag': 'none',
  };
}

/** A rough token count for usage figures: 4 bytes a token, at least 1. */
export function estimateTokens(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / 4));
}

/** A Messages request body, after validation. */
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  messages: RequestMessage[];
  stream: boolean;
  container?: string | { id?: string | null; skills?: unknown[] | null } | null;
  thinking?: { type: string; [field: string]: unknown } | null;
  [field: string]: unknown;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; message: string };

const ROLES = new Set(['user', 'assistant']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

/** Checks the messages array: roles, content as a string or a list of typed blocks. */
export function validateMessages(messages: unknown): Validated<RequestMessage[]> {
  if (messages === undefined) return invalid('messages: Field required');
  if (!Array.isArray(messages)) return invalid('messages: Input should be a valid list');
  if (messages.length === 0) return invalid('messages: at least one message is required');
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (!isObject(m)) return invalid(`messages.${i}: Input should be a valid dictionary`);
    if (m.role === undefined) return invalid(`messages.${i}.role: Field required`);
    if (typeof m.role !== 'string' || !ROLES.has(m.role)) {
      return invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    if (m.content === undefined) return invalid(`messages.${i}.content: Field required`);
    if (typeof m.content === 'string') continue;
    if (!Array.isArray(m.content)) {
      return invalid(
        `messages.${i}.content: Input should be a valid string or a list of content blocks`,
      );
    }
    for (let j = 0; j < m.content.length; j++) {
      const block: unknown = m.content[j];
      if (!isObject(block))
        return invalid(`messages.${i}.content.${j}: Input should be a valid dictionary`);
      if (typeof block.type !== 'string')
        return invalid(`messages.${i}.content.${j}.type: Field required`);
    }
  }
  return { ok: true, value: messages as RequestMessage[] };
}

/** Validates a `POST /v1/messages` body the way the API does, with its kind of messages. */
export function validateMessagesRequest(body: unknown): Validated<MessagesRequest> {
  if (!isObject(body)) return invalid('Request body must be a JSON object');
  if (body.model === undefined) return invalid('model: Field required');
  if (typeof body.model !== 'string' || body.model === '')
    return invalid('model: Input should be a valid string');
  if (body.max_tokens === undefined) return invalid('max_tokens: Field required');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens)) {
    return invalid('max_tokens: Input should be a valid integer');
  }
  if (body.max_tokens < 1) return invalid('max_tokens: Input should be greater than or equal to 1');
  const messages = validateMessages(body.messages);
  if (!messages.ok) return messages;
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    return invalid('stream: Input should be a valid boolean');
  }
  const container = body.container;
  if (
    container !== undefined &&
    container !== null &&
    typeof container !== 'string' &&
    !isObject(container)
  ) {
    return invalid('container: Input should be a valid string or an object with id and skills');
  }
  return { ok: true, value: { ...body, stream: body.stream === true } as MessagesRequest };
}

/** The container id a request names, if any (`container: "id"` or `container: {id}`). */
export function requestContainerId(request: MessagesRequest): string | undefined {
  const c = request.container;
  if (typeof c === 'string') return c;
  return typeof c?.id === 'string' ? c.id : undefined;
}

/** The skills a request's container asks for, if any. */
export function requestContainerSkills(request: MessagesRequest): unknown[] | undefined {
  const c = request.container;
  return typeof c === 'object' && c !== null && Array.isArray(c.skills) ? c.skills : undefined;
}

/** Whether a request turns on extended thinking. */
export function thinkingEnabled(request: MessagesRequest): boolean {
  const type = request.thinking?.type;
  return type === 'enabled' || type === 'adaptive';
}

/** The beta names in `anthropic-beta` (comma-separated, possibly repeated headers). */
export function betaNames(header: string | string[] | undefined): Set<string> {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return new Set(
    values
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  );
}

export type { RequestBlock };
