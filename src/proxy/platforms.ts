/**
 * Claude on cloud platforms, at the proxy:
 *
 * - Google Vertex AI: `POST .../publishers/anthropic/models/{model}:streamRawPredict` runs
 *   through the engine like `POST /v1/messages`. The model travels in the path, so the engine
 *   is handed the body with it, and every attempt is sent without it, to the same path. The
 *   client's `Authorization: Bearer` (a Google OAuth token) goes upstream with every attempt,
 *   unchanged: the proxy holds no Google credentials. `:rawPredict` and the rest are forwarded.
 * - Amazon Bedrock: requests carry a SigV4 signature over their host, path and body, which the
 *   proxy can neither keep valid for a continuation nor forward to another host; it does not
 *   hold AWS credentials to re-sign them either. Bedrock clients are protected by
 *   `lifelineMiddleware` on `AnthropicBedrock`, whose backend middleware signs every attempt;
 *   the proxy refuses Bedrock paths with an error that says so.
 */
import type { Exchange } from './exchange.js';

/** `/v1/projects/p/locations/r/publishers/anthropic/models/m:streamRawPredict` */
const VERTEX_PREDICT =
  /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/anthropic\/models\/([^/:]+)(?::|%3A)(streamRawPredict|rawPredict)$/i;
/** Bedrock runtime's model routes. */
const BEDROCK_RUNTIME =
  /^\/model\/[^/]+\/(?:invoke|invoke-with-response-stream|converse|converse-stream)$/;

export interface VertexRoute {
  /** The model id from the path, decoded (`claude-opus-4-6@20260101`). */
  model: string;
  /** `:streamRawPredict` (true) or `:rawPredict`. */
  stream: boolean;
}

export function vertexRoute(method: string, path: string): VertexRoute | undefined {
  if (method !== 'POST') return undefined;
  const m = VERTEX_PREDICT.exec(path);
  if (m === null) return undefined;
  try {
    return {
      model: decodeURIComponent(m[1] ?? ''),
      stream: m[2]?.toLowerCase() === 'streamrawpredict',
    };
  } catch {
    return undefined;
  }
}

export function isBedrockPath(path: string): boolean {
  return BEDROCK_RUNTIME.test(path);
}

export const BEDROCK_REFUSAL =
  'lifeline proxy: Amazon Bedrock requests are SigV4-signed for their host and body, so the proxy can neither forward nor resume them (it holds no AWS credentials to re-sign a continuation). ' +
  'Protect Bedrock clients in process instead: new AnthropicBedrock({ middleware: [lifelineMiddleware()] }) signs every attempt itself.';

/** Bedrock paths: a 400 that says what to use instead, in Bedrock's error shape. */
export function refuseBedrock(ex: Exchange): void {
  ex.req.resume();
  const body = JSON.stringify({ message: BEDROCK_REFUSAL });
  ex.res.writeHead(400, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': 'ValidationException:lifeline',
    'x-lifeline-request-id': ex.id,
  });
  ex.res.end(body);
}
