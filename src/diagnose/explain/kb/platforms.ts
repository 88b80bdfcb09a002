/**
 * Claude on cloud platforms: Amazon Bedrock's exceptions (before the stream as HTTP errors
 * with `x-amzn-ErrorType`, inside it as event-stream exception frames, which
 * `@anthropic-ai/bedrock-sdk` turns into SSE `error` events typed by the camel-cased name and
 * boto3 raises as `EventStreamError`), and Google Vertex AI's own errors (Google's JSON,
 * `{"error":{"code","message","status"}}`). Errors the model itself sends through Vertex are
 * the API's and live in api.ts and sdk.ts.
 */
import type { Signature } from '../signature.js';
import { phrase, regex, statusCode } from './evidence.js';

const BEDROCK_ERRORS = 'Amazon Bedrock docs: InvokeModelWithResponseStream, Errors';
const BEDROCK_QUOTAS = 'Amazon Bedrock docs: Quotas';
const VERTEX_QUOTAS = 'Google Cloud docs: Vertex AI generative AI quotas';
const VERTEX_ERRORS = 'Google Cloud docs: Vertex AI API errors';
const LIFELINE_PLATFORMS = 'lifeline README: Amazon Bedrock / Google Vertex AI';

export const PLATFORM_SIGNATURES: readonly Signature[] = [
  {
    id: 'bedrock-model-stream-error',
    title: 'Bedrock: ModelStreamErrorException inside the stream',
    patterns: [
      phrase('modelStreamErrorException', 20),
      phrase('The system encountered an unexpected error during processing', 6),
      phrase('originalStatusCode', 3),
      phrase('InvokeModelWithResponseStream', 2),
    ],
    meaning:
      'The stream from InvokeModelWithResponseStream had started, then Bedrock sent an exception frame instead of the rest of the message: the model behind it failed mid-answer (its original status, often 529 overloaded or 500, is in originalStatusCode). The AWS SDKs do not retry it, because the response had already begun.',
    category: 'model/provider',
    likelyCauses: [
      'The model was overloaded or hit an internal error after it had started answering.',
      'Long outputs are exposed longest: the later in a long answer, the more likely.',
    ],
    fixes: [
      'Retry; for long outputs continue from the partial message instead of starting over (lifeline does this).',
      'Use lifelineMiddleware on AnthropicBedrock; with boto3, keep the chunks received so far and send them back as a partial assistant turn.',
      'If it persists for one model or region, try a cross-region inference profile (us./eu./global.).',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'With lifelineMiddleware on AnthropicBedrock the exception (an SSE error event after the SDK converts the stream) is retryable: lifeline resumes from the partial message, and the SDK signs each continuation.',
    docs: [BEDROCK_ERRORS, LIFELINE_PLATFORMS],
  },
  {
    id: 'bedrock-service-unavailable',
    title: 'Bedrock: ServiceUnavailableException (503, or inside the stream)',
    patterns: [
      phrase('ServiceUnavailableException', 16),
      phrase('Bedrock is unable to process your request', 12),
      statusCode(503, 2),
    ],
    meaning:
      'Bedrock could not serve the model at that moment: before the stream as HTTP 503 with x-amzn-ErrorType ServiceUnavailableException, or after it had begun as a serviceUnavailableException frame. It is capacity on the AWS side, not your request.',
    category: 'model/provider',
    likelyCauses: [
      'Not enough capacity for the model in the region at that moment.',
      'On-demand throughput for a popular model during a peak.',
    ],
    fixes: [
      'Retry with backoff (the AWS and Anthropic SDKs retry a 503 before the stream; not one inside it).',
      'Use a cross-region inference profile so requests can go to another region.',
      'For steady high volume, consider provisioned throughput.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'lifelineMiddleware on AnthropicBedrock retries the 503 and resumes after an in-stream serviceUnavailableException from the partial message.',
    docs: [BEDROCK_ERRORS, LIFELINE_PLATFORMS],
  },
  {
    id: 'bedrock-throttling',
    title: 'Bedrock: ThrottlingException (429, or inside the stream)',
    patterns: [
      phrase('ThrottlingException', 16),
      phrase('Too many requests, please wait before trying again', 8),
      phrase('Too many tokens, please wait before trying again', 8),
      statusCode(429, 2),
    ],
    meaning:
      'Your account went over a Bedrock quota for the model: requests or tokens per minute. Before the stream it is HTTP 429; a throttlingException frame can also end a stream that had begun, when the output tokens cross the quota.',
    category: 'quota/rate',
    likelyCauses: [
      'More requests or tokens per minute than the on-demand quota for this model and region.',
      'Large max_tokens values: Bedrock reserves them against the token quota when the request starts.',
      'Several workers sharing one account without a common rate limiter.',
    ],
    fixes: [
      'Back off and retry; spread load with a cross-region inference profile.',
      'Lower max_tokens to what the task needs, and cap concurrency.',
      'Ask for a quota increase (Service Quotas, Amazon Bedrock) or buy provisioned throughput.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifelineMiddleware retries a 429 after the backoff and resumes after an in-stream throttlingException, but it cannot raise your quota: sustained throttling exhausts its attempts.',
    docs: [BEDROCK_QUOTAS, BEDROCK_ERRORS],
  },
  {
    id: 'bedrock-model-timeout',
    title: 'Bedrock: ModelTimeoutException',
    patterns: [
      phrase('ModelTimeoutException', 16),
      phrase('Model has timed out in processing the request', 10),
      statusCode(408, 2),
    ],
    meaning:
      'The model took longer than Bedrock allows to produce the response (or the next part of it) and Bedrock ended the request: HTTP 408 before the stream, a modelTimeoutException frame inside it.',
    category: 'model/provider',
    likelyCauses: [
      'A very long generation, or a long pause while the model thinks before the next token.',
      'Heavy load on the model making it slower than usual.',
    ],
    fixes: [
      'Use the streaming API (InvokeModelWithResponseStream) for long outputs.',
      'Retry; for long outputs continue from the partial message instead of starting over.',
      'Reduce max_tokens or split the task.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'lifelineMiddleware treats an in-stream modelTimeoutException as retryable and resumes from what was received.',
    docs: [BEDROCK_ERRORS, LIFELINE_PLATFORMS],
  },
  {
    id: 'bedrock-truncated-event-stream',
    title: 'Bedrock: the event stream ended inside a frame (Truncated event message received)',
    patterns: [
      phrase('Truncated event message received', 20),
      phrase('eventstream', 3),
      phrase('getChunkedStream', 3),
    ],
    meaning:
      "Bedrock's streaming response is a sequence of binary event-stream frames, each announcing its length; the body ended before the last frame was complete. The AWS decoder (Smithy's, used by the AWS SDK and @anthropic-ai/bedrock-sdk) raises this instead of a socket error. The stream was cut on the way, the same failure as a dropped SSE stream.",
    category: 'network/transport',
    likelyCauses: [
      'A proxy, load balancer or NAT between you and Bedrock closed a long-lived response (idle or maximum-duration timeout).',
      'The connection was reset mid-response and an intermediary ended the body cleanly instead of passing the error on.',
    ],
    fixes: [
      'Raise the idle and maximum response timeouts on whatever sits between your client and Bedrock.',
      'Retry; for long outputs continue from the partial message (lifelineMiddleware on AnthropicBedrock does).',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'lifelineMiddleware treats an error while reading the stream as a dropped connection and resumes from the partial message; the SDK signs the continuation.',
    docs: [BEDROCK_ERRORS, LIFELINE_PLATFORMS],
  },
  {
    id: 'bedrock-invalid-signature',
    title: 'Bedrock: InvalidSignatureException (the SigV4 signature does not match the request)',
    patterns: [
      phrase('The request signature we calculated does not match the signature you provided', 20),
      phrase('InvalidSignatureException', 12),
      statusCode(403, 2),
    ],
    meaning:
      'Bedrock recomputed the SigV4 signature over the request it received and got a different one: the secret key is wrong, or the request was changed after it was signed (its body, path, host or a signed header).',
    category: 'account/auth',
    likelyCauses: [
      'A wrong or rotated secret access key, or a session token that does not belong to the key.',
      'Something between the client and Bedrock rewrote the signed request: a proxy changing the body or Host, or middleware that runs after signing.',
      'A clock more than five minutes off.',
    ],
    fixes: [
      'Check the credentials the client resolves (aws sts get-caller-identity with the same profile or environment).',
      'Do not put a rewriting proxy in front of Bedrock; with @anthropic-ai/bedrock-sdk, change requests in user middleware, which runs before the SDK signs.',
      'Sync the clock (NTP).',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'A 403 is not retryable. lifelineMiddleware does not cause it: AnthropicBedrock signs every attempt lifeline makes after lifeline built it; the lifeline proxy refuses Bedrock requests rather than forward them.',
    docs: [BEDROCK_ERRORS, 'AWS docs: Signature Version 4 signing'],
  },
  {
    id: 'vertex-resource-exhausted',
    title: 'Vertex AI: 429 RESOURCE_EXHAUSTED (quota exceeded)',
    patterns: [
      phrase('RESOURCE_EXHAUSTED', 16),
      phrase('Quota exceeded for aiplatform.googleapis.com', 12),
      phrase('online_prediction', 3),
      statusCode(429, 2),
    ],
    meaning:
      "Vertex AI refused the request because your project is over a quota for the Claude model: requests, input tokens or output tokens per minute per base model, in that region. It is Google's answer (Google's error JSON), not Anthropic's rate_limit_error.",
    category: 'quota/rate',
    likelyCauses: [
      "The project's per-minute quota for this model and region is used up (the message names which one).",
      'A burst of parallel requests, or large max_tokens values counted against the output quota.',
      'The shared (pay-as-you-go) pool is short at a peak even within your quota.',
    ],
    fixes: [
      'Back off and retry (the SDK retries 429 twice by default).',
      "Request a quota increase in the console (IAM & Admin, Quotas: the quota the message names), or use the 'global' endpoint or another region.",
      'Reduce concurrency and max_tokens; for steady volume, buy provisioned throughput.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries a 429 before the stream after the backoff (middleware on AnthropicVertex, or the proxy in front of Vertex), but cannot raise a quota: sustained exhaustion spends its attempts.',
    docs: [VERTEX_QUOTAS, VERTEX_ERRORS, LIFELINE_PLATFORMS],
  },
  {
    id: 'vertex-unavailable',
    title: 'Vertex AI: 503 UNAVAILABLE',
    patterns: [
      regex(/['"]status['"]\s*:\s*['"]UNAVAILABLE['"]/, 14),
      phrase('The service is currently unavailable', 6),
      phrase('aiplatform', 3),
      statusCode(503, 4),
    ],
    meaning:
      "Vertex AI answered 503 with Google's error JSON (status UNAVAILABLE): the prediction service could not take the request at that moment. It came before any stream and is transient.",
    category: 'model/provider',
    likelyCauses: [
      'Capacity for the Claude model in that region is short at the moment.',
      'A transient problem in the Vertex AI serving path.',
    ],
    fixes: [
      'Retry with backoff (the SDKs retry a 503 by default).',
      "Try the 'global' endpoint or another region that serves the model.",
      'Check the Google Cloud status dashboard for Vertex AI.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'A 503 is retryable: lifeline retries it before the stream and, when it answers a continuation, retries that too.',
    docs: [VERTEX_ERRORS, LIFELINE_PLATFORMS],
  },
];
