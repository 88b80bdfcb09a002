/**
 * What a cloud platform changes about a Messages call, as far as the mock needs it: where the
 * model and the API version travel, how errors look, how a stream is framed on the wire, and
 * how a request is authenticated. The Anthropic handler in `server.ts` does the rest (scenario,
 * continuation rules, faults) the same for every platform.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type PlatformName = 'vertex' | 'bedrock';

/** Who an error comes from: the model behind the platform (Anthropic-shaped on Vertex) or the platform itself. */
export type ErrorOrigin = 'model' | 'platform';

/** A request that matched one of a platform's routes. */
export interface PlatformRequest {
  platform: Platform;
  /** The model id from the path, decoded (`claude-opus-4-6@20260101`, `us.anthropic.claude-opus-4-6-v1`, an ARN). */
  model: string;
  /** Whether the route is the streaming one (`:streamRawPredict`, `/invoke-with-response-stream`). */
  stream: boolean;
}

/** The platform body turned into a Messages body, or why the platform refuses it. */
export type BodyAdaptation =
  | { ok: true; body: Record<string, unknown>; betas: string[] }
  | { ok: false; message: string };

/** The outcome of checking a request's credentials against what was sent. */
export type AuthCheck =
  | { ok: true; credential: string }
  | { ok: false; status: number; errorType: string; message: string };

export interface Platform {
  readonly name: PlatformName;
  /** Loads what the platform's wire needs (Bedrock: Smithy's codec); awaited before a request is served. */
  load?(): Promise<void>;
  /** The Messages body the handler reads: the model from the path, the platform's own fields checked and removed. */
  toMessagesBody(body: unknown, request: PlatformRequest): BodyAdaptation;
  /** Checks the request's credentials (and, for SigV4, that they sign exactly this body). */
  checkAuth(req: IncomingMessage, raw: Buffer): Promise<AuthCheck>;
  /** An error response in the platform's shape. */
  sendError(
    res: ServerResponse,
    error: { status: number; errorType: string; message: string; origin: ErrorOrigin },
    requestId: string,
    headers?: Record<string, string>,
  ): void;
  /** Headers of a successful response. */
  responseHeaders(requestId: string, stream: boolean): Record<string, string>;
  /** The stream's content type. */
  readonly streamContentType: string;
  /** The SSE events as the platform puts them on the wire (Bedrock: one binary frame each). */
  encodeEvents(events: readonly Buffer[]): Buffer[];
  /** An error inside a stream (the mock's `error` fault), as the platform sends it. */
  encodeStreamError(errorType: string, message: string): Buffer;
}
