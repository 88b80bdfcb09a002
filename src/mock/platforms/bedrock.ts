/**
 * Claude on Amazon Bedrock, as the mock serves it: `POST /model/{modelId}/invoke-with-response-stream`
 * (and `/invoke`), the model in the path, `anthropic_version` in the body (no `model`, no
 * `stream`: Bedrock rejects extraneous keys), AWS SigV4 in `Authorization`.
 *
 * The stream is `application/vnd.amazon.eventstream`: one binary frame per Messages event, a
 * `chunk` event whose JSON body carries the event base64-encoded in `bytes` (and padding in
 * `p`), encoded with Smithy's maintained codec. Errors inside the stream are `exception` frames
 * (`modelStreamErrorException`, `throttlingException`, ...); errors before it are JSON
 * `{"message"}` with the exception's name in `x-amzn-ErrorType`.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStreamCodec } from '@smithy/core/event-streams';
import type { AuthCheck, BodyAdaptation, ErrorOrigin, Platform, PlatformRequest } from './types.js';

/** `/model/{modelId}/invoke-with-response-stream` or `/model/{modelId}/invoke`. */
export const BEDROCK_ROUTE = /^\/model\/([^/]+)\/(invoke-with-response-stream|invoke)$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Smithy's codec and signer, loaded on first use: they cost hundreds of milliseconds to import,
 * which every `lifeline` command would pay otherwise.
 */
interface Smithy {
  codec: EventStreamCodec;
  SignatureV4: typeof import('@smithy/signature-v4').SignatureV4;
  Hash: typeof import('@smithy/core/serde').Hash;
}
let smithy: Smithy | undefined;

/** Loads the codec and the signer (once); the Bedrock route awaits it before anything else. */
export async function loadBedrockWire(): Promise<void> {
  if (smithy !== undefined) return;
  const [{ EventStreamCodec }, { SignatureV4 }, { Hash }] = await Promise.all([
    import('@smithy/core/event-streams'),
    import('@smithy/signature-v4'),
    import('@smithy/core/serde'),
  ]);
  smithy = {
    codec: new EventStreamCodec(
      (bytes) => decoder.decode(bytes),
      (text) => encoder.encode(text),
    ),
    SignatureV4,
    Hash,
  };
}

function loaded(): Smithy {
  if (smithy === undefined)
    throw new Error('the Bedrock wire is not loaded yet: await loadBedrockWire() first');
  return smithy;
}

/** The static credentials the mock checks SigV4 signatures with. */
export interface BedrockCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface BedrockOptions {
  /** When given, every request's SigV4 signature is recomputed and must match (403 otherwise). */
  credentials?: BedrockCredentials;
}

/** The exception an HTTP status stands for on Bedrock. */
export function bedrockExceptionFor(status: number): string {
  switch (status) {
    case 400:
      return 'ValidationException';
    case 403:
      return 'AccessDeniedException';
    case 404:
      return 'ResourceNotFoundException';
    case 408:
      return 'ModelTimeoutException';
    case 424:
      return 'ModelErrorException';
    case 429:
      return 'ThrottlingException';
    case 503:
    case 529:
      return 'ServiceUnavailableException';
    default:
      return 'InternalServerException';
  }
}

const EXCEPTION_MESSAGES: Record<string, string> = {
  ThrottlingException: 'Too many requests, please wait before trying again.',
  ServiceUnavailableException: 'Bedrock is unable to process your request.',
  InternalServerException: 'The server encountered an internal error while processing the request.',
  ModelTimeoutException: 'Model has timed out in processing the request. Try your request again.',
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ResourceNotFoundException: 'The provided model identifier is invalid.',
};

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function upperFirst(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function stringHeader(value: string) {
  return { type: 'string' as const, value };
}

/** The `p` field Bedrock pads chunks with, so that frame sizes do not reveal token lengths. */
function padding(index: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return letters.slice(0, 1 + ((index * 7) % letters.length));
}

/** One `chunk` event frame carrying a Messages event's JSON. */
export function chunkFrame(json: string, index = 0): Buffer {
  const body = JSON.stringify({ bytes: Buffer.from(json).toString('base64'), p: padding(index) });
  return Buffer.from(
    loaded().codec.encode({
      headers: {
        ':event-type': stringHeader('chunk'),
        ':content-type': stringHeader('application/json'),
        ':message-type': stringHeader('event'),
      },
      body: encoder.encode(body),
    }),
  );
}

/** An `exception` frame: how Bedrock reports an error inside a stream. */
export function exceptionFrame(exceptionType: string, body: Record<string, unknown>): Buffer {
  return Buffer.from(
    loaded().codec.encode({
      headers: {
        ':exception-type': stringHeader(lowerFirst(exceptionType)),
        ':content-type': stringHeader('application/json'),
        ':message-type': stringHeader('exception'),
      },
      body: encoder.encode(JSON.stringify(body)),
    }),
  );
}

/** Decodes frames back to their headers and bodies (for tests and the proxy-less checks). */
export function decodeFrames(
  bytes: Uint8Array,
): Array<{ headers: Record<string, string>; body: string }> {
  const out: Array<{ headers: Record<string, string>; body: string }> = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, false);
    if (at + length > bytes.length) break;
    const message = loaded().codec.decode(bytes.subarray(at, at + length));
    const headers: Record<string, string> = {};
    for (const [name, h] of Object.entries(message.headers)) headers[name] = String(h.value);
    out.push({ headers, body: decoder.decode(message.body) });
    at += length;
  }
  return out;
}

/** The JSON in an encoded SSE event's `data:` line. */
function eventJson(event: Buffer): string {
  const text = event.toString('utf8');
  const line = text.split('\n').find((l) => l.startsWith('data:'));
  return line === undefined ? '{}' : line.slice(5).trimStart();
}

/** Bedrock appends its invocation metrics to `message_stop`. */
function withInvocationMetrics(json: string): string {
  const event = JSON.parse(json) as { type?: string };
  if (event.type !== 'message_stop') return json;
  return JSON.stringify({
    ...event,
    'amazon-bedrock-invocationMetrics': {
      inputTokenCount: 12,
      outputTokenCount: 1,
      invocationLatency: 1234,
      firstByteLatency: 321,
    },
  });
}

/**
 * The in-stream exception for an `error` fault's type: AWS exception names are used as given
 * (`serviceUnavailableException`), Anthropic error types map to what Bedrock wraps them in.
 */
export function streamExceptionFor(
  errorType: string,
  message: string,
): { exceptionType: string; body: Record<string, unknown> } | undefined {
  if (/Exception$/.test(errorType)) return { exceptionType: errorType, body: { message } };
  switch (errorType) {
    case 'overloaded_error':
    case 'api_error':
      return {
        exceptionType: 'modelStreamErrorException',
        body: {
          message:
            'The system encountered an unexpected error during processing. Try your request again.',
          originalStatusCode: errorType === 'overloaded_error' ? 529 : 500,
          originalMessage: JSON.stringify({ type: 'error', error: { type: errorType, message } }),
        },
      };
    case 'rate_limit_error':
      return { exceptionType: 'throttlingException', body: { message } };
    case 'timeout_error':
      return { exceptionType: 'modelTimeoutException', body: { message } };
    case 'invalid_request_error':
      return { exceptionType: 'validationException', body: { message } };
    default:
      return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(detail: string): BodyAdaptation {
  return {
    ok: false,
    message: `Malformed input request: #: ${detail}, please reformat your input and try again.`,
  };
}

/** `AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex` */
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** `20261129T191500Z` -> Date. */
function amzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m === null) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function denied(errorType: string, message: string): AuthCheck {
  return { ok: false, status: 403, errorType, message };
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Checks a request's SigV4 signature: the payload hash must be the body's, and, with
 * credentials configured, the signature recomputed with Smithy's signer over the signed
 * headers, the path and the body as received must equal the one sent.
 */
export async function verifySigV4(
  req: IncomingMessage,
  raw: Buffer,
  credentials: BedrockCredentials | undefined,
): Promise<AuthCheck> {
  const header = req.headers.authorization;
  if (header === undefined)
    return denied('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const parsed = AUTHORIZATION.exec(header);
  if (parsed === null)
    return denied('IncompleteSignatureException', 'Authorization header is not a SigV4 signature.');
  const [, accessKeyId, , region, service, signedHeaders, signature] =
    parsed as unknown as string[];
  const payloadHash = createHash('sha256').update(raw).digest('hex');
  const sentHash = req.headers['x-amz-content-sha256'];
  if (sentHash !== undefined && sentHash !== payloadHash)
    return denied(
      'InvalidSignatureException',
      `${SIGNATURE_MISMATCH} (x-amz-content-sha256 is not the hash of the body sent)`,
    );
  const credential = `sigv4 ${accessKeyId?.slice(0, 4)}… ${region}/${service}`;
  if (credentials === undefined) return { ok: true, credential };
  if (accessKeyId !== credentials.accessKeyId)
    return denied(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  const date = amzDate(String(req.headers['x-amz-date'] ?? ''));
  if (date === undefined)
    return denied('IncompleteSignatureException', 'x-amz-date is missing or malformed.');
  const headers: Record<string, string> = {};
  for (const name of (signedHeaders ?? '').split(';')) {
    const value = req.headers[name];
    headers[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
  }
  const url = new URL(req.url ?? '/', 'http://mock');
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key);
  await loadBedrockWire();
  const { SignatureV4, Hash } = loaded();
  const signer = new SignatureV4({
    service: service ?? 'bedrock',
    region: region ?? 'us-east-1',
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: url.pathname,
      query,
      headers,
      body: raw.toString('utf8'),
    },
    { signingDate: date },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(
    String(signed.headers.authorization ?? signed.headers.Authorization ?? ''),
  )?.[1];
  if (expected !== signature) return denied('InvalidSignatureException', SIGNATURE_MISMATCH);
  return { ok: true, credential: `${credential} verified` };
}

export function bedrock(options: BedrockOptions = {}): Platform {
  return {
    name: 'bedrock',
    streamContentType: 'application/vnd.amazon.eventstream',
    load: loadBedrockWire,

    toMessagesBody(body: unknown, request: PlatformRequest): BodyAdaptation {
      if (!isObject(body)) return malformed('expected type: JSONObject, found: JSONArray');
      for (const key of ['model', 'stream'])
        if (key in body) return malformed(`extraneous key [${key}] is not permitted`);
      const { anthropic_version: version, anthropic_beta: betas, ...rest } = body;
      if (version === undefined) return malformed('required key [anthropic_version] not found');
      if (typeof version !== 'string') return malformed('anthropic_version: expected type: String');
      if (
        betas !== undefined &&
        !(Array.isArray(betas) && betas.every((b) => typeof b === 'string'))
      )
        return malformed('anthropic_beta: expected type: JSONArray of strings');
      return {
        ok: true,
        body: { ...rest, model: request.model, stream: request.stream },
        betas: (betas as string[] | undefined) ?? [],
      };
    },

    checkAuth(req: IncomingMessage, raw: Buffer): Promise<AuthCheck> {
      return verifySigV4(req, raw, options.credentials);
    },

    sendError(
      res: ServerResponse,
      error: { status: number; errorType: string; message: string; origin: ErrorOrigin },
      _requestId: string,
      headers: Record<string, string> = {},
    ): void {
      const exception = /Exception$/.test(error.errorType)
        ? upperFirst(error.errorType)
        : bedrockExceptionFor(error.status);
      const message =
        error.origin === 'platform'
          ? (EXCEPTION_MESSAGES[exception] ?? error.message)
          : error.message;
      const body = JSON.stringify({ message });
      res.writeHead(error.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-amzn-requestid': randomUUID(),
        'x-amzn-errortype': `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        ...headers,
      });
      res.end(body);
    },

    responseHeaders(_requestId: string, stream: boolean): Record<string, string> {
      return {
        'x-amzn-requestid': randomUUID(),
        ...(stream
          ? { 'x-amzn-bedrock-content-type': 'application/json' }
          : {
              'x-amzn-bedrock-input-token-count': '12',
              'x-amzn-bedrock-output-token-count': '1',
              'x-amzn-bedrock-invocation-latency': '1234',
            }),
      };
    },

    encodeEvents(events: readonly Buffer[]): Buffer[] {
      return events.map((event, i) => chunkFrame(withInvocationMetrics(eventJson(event)), i));
    },

    encodeStreamError(errorType: string, message: string): Buffer {
      const exception = streamExceptionFor(errorType, message);
      if (exception !== undefined) return exceptionFrame(exception.exceptionType, exception.body);
      // An Anthropic error the platform passes through as a chunk.
      return chunkFrame(JSON.stringify({ type: 'error', error: { type: errorType, message } }));
    },
  };
}
