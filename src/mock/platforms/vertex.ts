/**
 * Claude on Google Vertex AI, as the mock serves it:
 * `POST /v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:streamRawPredict`
 * (and `:rawPredict`), the model in the path, `anthropic_version` in the body, Google OAuth in
 * `Authorization: Bearer`. The stream is the Messages API's SSE, errors inside it too; errors
 * from the platform itself (quota, availability, auth) are Google's JSON
 * `{"error":{"code","message","status"}}`, while the model's own (overloaded, invalid request)
 * come through Anthropic-shaped.
 * https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiHeaders, errorBody } from '../api.js';
import { encodeErrorEvent } from '../wire.js';
import type { AuthCheck, BodyAdaptation, ErrorOrigin, Platform, PlatformRequest } from './types.js';

/** `/v1/projects/p/locations/r/publishers/anthropic/models/m:streamRawPredict` */
export const VERTEX_ROUTE =
  /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/anthropic\/models\/([^/:]+)(?::|%3A)(streamRawPredict|rawPredict)$/i;

/** The gRPC status name Google's JSON errors carry for an HTTP status. */
const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Statuses Vertex answers itself; the others come from the model, Anthropic-shaped. */
const PLATFORM_STATUSES = new Set([401, 403, 404, 429, 503, 504]);

const GOOGLE_MESSAGES: Record<number, string> = {
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  403: "Permission 'aiplatform.endpoints.predict' denied on resource (or it may not exist).",
  404: 'Publisher Model was not found or your project does not have access to it.',
  429: 'Quota exceeded for aiplatform.googleapis.com/online_prediction_input_tokens_per_minute_per_base_model with base model: anthropic-claude-opus-4-6. Please submit a quota increase request. https://cloud.google.com/vertex-ai/docs/generative-ai/quotas-genai.',
  503: 'The service is currently unavailable.',
  504: 'The request timed out. Please try again.',
};

/** Google's error body: `{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED"}}`. */
export function googleErrorBody(status: number, message: string): string {
  return JSON.stringify({
    error: { code: status, message, status: GOOGLE_STATUS[status] ?? 'UNKNOWN' },
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, one-way fingerprint of a bearer token: enough to tell attempts apart, useless to anyone else. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}

export const vertex: Platform = {
  name: 'vertex',
  streamContentType: 'text/event-stream; charset=utf-8',

  toMessagesBody(body: unknown, request: PlatformRequest): BodyAdaptation {
    if (!isObject(body)) return { ok: false, message: 'Request body must be a JSON object' };
    const { anthropic_version: version, ...rest } = body;
    if (version === undefined) return { ok: false, message: 'anthropic_version: Field required' };
    if (typeof version !== 'string' || version === '')
      return { ok: false, message: 'anthropic_version: Input should be a valid string' };
    // The method in the path decides streaming; the model is the path's.
    return { ok: true, body: { ...rest, model: request.model, stream: request.stream }, betas: [] };
  },

  async checkAuth(req: IncomingMessage): Promise<AuthCheck> {
    const header = req.headers.authorization;
    const token = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
    if (token === undefined)
      return {
        ok: false,
        status: 401,
        errorType: 'UNAUTHENTICATED',
        message: GOOGLE_MESSAGES[401] as string,
      };
    return { ok: true, credential: `bearer sha256:${tokenFingerprint(token)}` };
  },

  sendError(
    res: ServerResponse,
    error: { status: number; errorType: string; message: string; origin: ErrorOrigin },
    requestId: string,
    headers: Record<string, string> = {},
  ): void {
    const google = error.origin === 'platform' && PLATFORM_STATUSES.has(error.status);
    const body = google
      ? googleErrorBody(error.status, GOOGLE_MESSAGES[error.status] ?? error.message)
      : errorBody(error.errorType, error.message, requestId);
    res.writeHead(error.status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(body),
      ...(google ? {} : { 'request-id': requestId }),
      ...headers,
    });
    res.end(body);
  },

  responseHeaders(requestId: string): Record<string, string> {
    const { 'request-id': id } = apiHeaders(requestId);
    return { 'request-id': id ?? requestId, 'x-vertex-ai-llm-request-type': 'shared' };
  },

  encodeEvents(events: readonly Buffer[]): Buffer[] {
    return [...events];
  },

  encodeStreamError(errorType: string, message: string): Buffer {
    return encodeErrorEvent(errorType, message);
  },
};
