/**
 * HTTP plumbing of the mock: reading bodies, API-shaped JSON and error responses, the request
 * headers kept in the log (never credentials), and the small endpoints besides messages.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiHeaders, errorBody, estimateTokens, validateMessages } from './api.js';

/** Larger bodies get the API's 413. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const CREDENTIAL_HEADERS = new Set(['x-api-key', 'authorization', 'proxy-authorization', 'cookie']);

export function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) parts.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** A request header's first value. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Request headers for the log, without credentials. */
export function loggedHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (CREDENTIAL_HEADERS.has(name) || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** An API error response: status, `request-id`, and the error JSON. */
export function sendError(
  res: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  const body = errorBody(errorType, message, requestId);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'request-id': requestId,
    'x-should-retry': String(status === 429 || status >= 500),
    ...headers,
  });
  res.end(body);
}

/** A 200 JSON response with the API headers. */
export function sendJsonBody(res: ServerResponse, value: unknown, requestId: string): void {
  const body = JSON.stringify(value);
  res.writeHead(200, {
    ...apiHeaders(requestId),
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** `GET /v1/models` and `GET /v1/models/:id`, listing the loaded scenarios' models. */
export function handleModels(
  res: ServerResponse,
  requestId: string,
  path: string,
  modelIds: readonly string[],
): void {
  const models = modelIds.map((id) => ({
    type: 'model',
    id,
    display_name: id,
    created_at: '2025-01-01T00:00:00Z',
  }));
  const single = /^\/v1\/models\/([^/]+)$/.exec(path);
  if (single !== null) {
    const id = decodeURIComponent(single[1]!);
    const model = models.find((m) => m.id === id);
    if (model === undefined) sendError(res, 404, 'not_found_error', `model: ${id}`, requestId);
    else sendJsonBody(res, model, requestId);
    return;
  }
  sendJsonBody(
    res,
    {
      data: models,
      has_more: false,
      first_id: models[0]?.id ?? null,
      last_id: models.at(-1)?.id ?? null,
    },
    requestId,
  );
}

/** `POST /v1/messages/count_tokens`: a size-based estimate. */
export async function handleCountTokens(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
): Promise<void> {
  const raw = await readBody(req);
  if (raw === 'too-large')
    return sendError(res, 413, 'request_too_large', 'Request too large', requestId);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    return sendError(
      res,
      400,
      'invalid_request_error',
      `There was an error parsing the body of your request as JSON: ${(err as Error).message}`,
      requestId,
    );
  }
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.model !== 'string')
    return sendError(
      res,
      400,
      'invalid_request_error',
      b.model === undefined ? 'model: Field required' : 'model: Input should be a valid string',
      requestId,
    );
  const messages = validateMessages(b.messages);
  if (!messages.ok)
    return sendError(res, 400, 'invalid_request_error', messages.message, requestId);
  sendJsonBody(res, { input_tokens: estimateTokens(raw.length) }, requestId);
}
