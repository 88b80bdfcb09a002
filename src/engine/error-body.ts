/**
 * What an upstream error response says, in each shape Claude's hosts answer with:
 * - the Messages API (and Vertex AI passing the model's errors through):
 *   `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`;
 * - Google Vertex AI's own errors: `{"error":{"code":429,"message":"Quota exceeded...","status":"RESOURCE_EXHAUSTED"}}`,
 *   sometimes wrapped in an array;
 * - Amazon Bedrock: `{"message":"Too many requests..."}`, the exception's name in the
 *   `x-amzn-ErrorType` header (`ThrottlingException:http://internal.amazon.com/coral/...`).
 */
export interface UpstreamError {
  /** `overloaded_error`, `RESOURCE_EXHAUSTED`, `ThrottlingException`... */
  errorType?: string;
  message?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function parseUpstreamError(body: string, headers: Headers): UpstreamError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // not JSON: nothing in the body, maybe the header
  }
  // Vertex AI may wrap its error in an array (an empty one reads as nothing).
  if (Array.isArray(parsed)) parsed = parsed[0];
  const amzn = text(headers.get('x-amzn-errortype')?.split(':')[0]);
  if (!isObject(parsed)) return amzn === undefined ? {} : { errorType: amzn };
  const error = parsed.error;
  if (isObject(error)) {
    const errorType = text(error.type) ?? text(error.status);
    const message = text(error.message);
    return { ...(errorType ? { errorType } : {}), ...(message ? { message } : {}) };
  }
  const message = text(parsed.message) ?? text(parsed.Message);
  const errorType = amzn ?? text(parsed.__type)?.split('#').at(-1);
  return { ...(errorType ? { errorType } : {}), ...(message ? { message } : {}) };
}
