/**
 * Errors raised by the Anthropic SDKs themselves (Python `anthropic`, TypeScript
 * `@anthropic-ai/sdk`), as opposed to the API's error types (api.ts) or the transport
 * beneath them (python.ts, node.ts).
 *
 * How the SDKs print them, which the patterns rely on:
 * - TypeScript: `APIConnectionError: Connection error.` with the transport error in `cause`;
 *   status errors as `<Class>: <status> {"type":"error","error":{...}}`; an SSE `error`
 *   event as a plain `APIError: {"type":"error",...}` (no status: the response was a 200).
 * - Python: `anthropic.APIConnectionError: Connection error.` chained from the httpx
 *   exception; status errors as `Error code: 429 - {'type': 'error', ...}`; an SSE `error`
 *   event as `anthropic.APIStatusError: {'type': 'error', ...}`.
 */
import type { Signature } from '../signature.js';
import { phrase, regex, statusCode } from './evidence.js';

const ERRORS_DOCS = 'Anthropic API docs: Errors';
const STREAMING_DOCS = 'Anthropic API docs: Streaming Messages';
const SDK_ERROR_DOCS = 'Anthropic SDKs: Handling errors';

export const SDK_SIGNATURES: readonly Signature[] = [
  {
    id: 'sdk-connection-error',
    title: 'Anthropic SDK: APIConnectionError "Connection error."',
    generic: true,
    patterns: [regex(/\bAPIConnectionError\b/, 10), phrase('Connection error.', 4)],
    meaning:
      'The SDK did not get a response from the API: the connection failed or dropped before the response started, and its retries (2 by default) were used up. The real reason is the chained exception (Python: "The above exception was the direct cause"; TypeScript: error.cause).',
    category: 'network/transport',
    likelyCauses: [
      'A network, DNS or TLS failure, or a wrong base URL or proxy.',
      'The connection dropped before the response headers arrived.',
      'Python, non-streaming: a drop while the body was being read also ends up here.',
    ],
    fixes: [
      'Look at the cause and run `lifeline explain` on the full output, including the chained exception.',
      'Run `lifeline doctor` to check the base URL, proxies and reachability.',
      'On flaky networks raise max_retries (client option).',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'Transient failures are retried by lifeline (as by the SDK); a misconfigured address or proxy needs a fix.',
    docs: [ERRORS_DOCS, SDK_ERROR_DOCS],
  },
  {
    id: 'sdk-request-timeout',
    title: 'Anthropic SDK: request timed out (APITimeoutError / APIConnectionTimeoutError)',
    patterns: [regex(/\bAPI(?:Connection)?TimeoutError\b/, 14), phrase('Request timed out.', 4)],
    meaning:
      "The SDK's own timeout elapsed before the response finished (10 minutes by default; non-streaming requests get a timeout scaled to max_tokens), and retries did not help.",
    category: 'local runtime',
    likelyCauses: [
      'A non-streaming request whose generation takes longer than the timeout (large max_tokens, extended thinking).',
      'A timeout set lower than the default on the client or the request.',
      'A proxy that buffers the response, so headers or bytes arrive late.',
      'A network stall.',
    ],
    fixes: [
      'Stream long requests (messages.stream(...) then finalMessage() / get_final_message()).',
      'Raise the timeout if you lowered it (timeout option on the client or the request).',
      'Check for a buffering proxy: `lifeline doctor --sse`.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      "lifeline's stall timer resumes streams that go silent, but a non-streaming request that needs longer than your timeout must be streamed or given more time.",
    docs: [ERRORS_DOCS, 'Anthropic SDKs: Timeouts', STREAMING_DOCS],
  },
  {
    id: 'sdk-streaming-required',
    title: 'Anthropic SDK: streaming required for requests that may take longer than 10 minutes',
    patterns: [
      regex(
        /Streaming is (?:strongly recommended|required) for operations that may take longer than 10 minutes/i,
        20,
      ),
      phrase('may take longer than 10 minutes', 6),
    ],
    meaning:
      'The SDK refused to send a non-streaming request: from max_tokens it estimates the response may take longer than 10 minutes, the non-streaming limit, so it requires streaming. Nothing was sent.',
    category: 'local runtime',
    likelyCauses: [
      'A non-streaming messages.create() with a large max_tokens (about 21,333 or more; less for some models).',
    ],
    fixes: [
      'Stream: client.messages.stream(...) and finalMessage() (TypeScript) / get_final_message() (Python), or stream: true.',
      'Or pass an explicit timeout on the request to say you accept a long wait (the SDK then sends it).',
      'Or lower max_tokens.',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'The SDK throws before any request exists, so there is nothing for lifeline to recover; once streamed, the request is protected by lifeline.',
    docs: ['Anthropic SDKs: Long requests', STREAMING_DOCS],
  },
  {
    id: 'sdk-stream-ended-early',
    title: 'Anthropic SDK: stream ended without a message',
    patterns: [
      phrase('stream ended without producing a Message with role=assistant', 18),
      phrase('request ended without sending any chunks', 18),
    ],
    meaning:
      'The HTTP response ended cleanly but carried no Messages events (no message_start), so the SDK had nothing to return. Something between you and the API answered 200 with an empty or non-SSE body, or cut the stream at a clean boundary.',
    category: 'deployment config',
    likelyCauses: [
      'A proxy or gateway that returns an empty 200, or a body in another format (JSON, HTML).',
      'A proxy that closes the stream cleanly on a timeout instead of resetting it.',
      'A base URL that points at a service which is not an Anthropic-compatible API.',
    ],
    fixes: [
      'Check the base URL and proxies with `lifeline doctor`, and fetch the stream with `curl -N` through the same path.',
      'Look at the proxy logs for the request: status, bytes sent, why it ended.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'A body that ends without message_stop is a failure to lifeline: it retries or resumes instead of passing a truncated stream on.',
    docs: [STREAMING_DOCS],
  },
  {
    id: 'sdk-sse-error-event',
    title: 'Anthropic SDK: error event in the middle of a stream',
    patterns: [
      regex(/\b(?:APIStatusError|APIError)\b:?\s*\{\s*['"]type['"]\s*:\s*['"]error['"]/, 16),
      regex(/\bevent: error data: \{/, 16),
    ],
    meaning:
      'The response had started (HTTP 200), then the API sent an SSE `error` event instead of the rest of the message, typically overloaded_error or api_error. The TypeScript SDK raises it as a plain APIError with no status, the Python SDK as APIStatusError whose message is the event body. The SDKs do not retry it, because the stream had already begun.',
    category: 'model/provider',
    likelyCauses: [
      'Overload or an internal error on the API side after streaming began.',
      'The error type inside the event tells which: overloaded_error and api_error are transient.',
    ],
    fixes: [
      'Retry; for long outputs resume from the partial message instead of starting over (lifeline does this).',
      'If you handle it yourself, keep MessageStream.currentMessage (TypeScript) or the text accumulated so far (Python).',
      'For other error types in the event, run `lifeline explain` on the event body.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'overloaded_error and api_error events are retryable: lifeline resumes from the partial message and splices the continuation in; other types pass through unchanged.',
    docs: [ERRORS_DOCS, STREAMING_DOCS],
  },
  {
    id: 'overloaded-529',
    title: 'API: 529 overloaded_error (the API is temporarily overloaded)',
    patterns: [phrase('overloaded_error', 12), regex(/\bOverloadedError\b/, 4), statusCode(529, 6)],
    meaning:
      'The API is temporarily overloaded and rejected the request with HTTP 529 before streaming. It is not about your account or your rate limits.',
    category: 'model/provider',
    likelyCauses: [
      'A short burst of high load across the API.',
      'One model is in higher demand than others.',
    ],
    fixes: [
      'Retry with exponential backoff (the SDKs retry twice by default; raise max_retries).',
      'If latency matters more than the model, fall back to another model.',
      'Check the Anthropic status page for incidents.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'lifeline retries a 529 before the stream with backoff (honouring retry-after), and resumes a stream that gets an overloaded_error event part-way.',
    docs: [ERRORS_DOCS, 'Anthropic status page'],
  },
  {
    id: 'rate-limit-429',
    title: 'API: 429 rate_limit_error (a rate limit was exceeded)',
    patterns: [
      phrase('rate_limit_error', 12),
      regex(/\bRateLimitError\b/, 4),
      statusCode(429, 6),
      phrase('Too Many Requests', 4),
      phrase('would exceed the rate limit', 4),
      phrase('exceeded your per-minute rate limit', 4),
    ],
    meaning:
      'Your organisation or workspace went over a rate limit for this model: requests per minute, input tokens per minute or output tokens per minute. The response says when to retry (retry-after).',
    category: 'quota/rate',
    likelyCauses: [
      'Many concurrent requests or agents sharing one key.',
      'Large prompts: input tokens count against the per-minute limit (cached reads count less).',
      'Large max_tokens reserving output capacity.',
      'A low usage tier.',
    ],
    fixes: [
      'Honour retry-after and back off (the SDKs do, twice by default).',
      'Lower concurrency, shorten prompts or use prompt caching.',
      'Check the limits for your tier in the Console (Settings, Limits) and request an increase if needed.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline waits as retry-after says and retries before the stream starts, but it cannot raise your limit: sustained overuse still fails.',
    docs: [ERRORS_DOCS, 'Anthropic API docs: Rate limits'],
  },
];
