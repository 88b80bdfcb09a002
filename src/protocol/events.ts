/**
 * Anthropic Messages streaming events, typed with `@anthropic-ai/sdk`'s own (beta) types.
 *
 * We use the beta unions because they are a superset of the GA ones (containers, MCP blocks,
 * compaction...). Anything the SDK does not know yet is represented by the `Unknown*` types
 * below and must be passed through untouched: a future block or delta type is not an error.
 */
import type {
  BetaContentBlock,
  BetaMessage,
  BetaRawContentBlockDelta,
  BetaRawMessageStreamEvent,
  BetaUsage,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';

export type {
  BetaContentBlock,
  BetaMessage,
  BetaRawContentBlockDelta,
  BetaRawMessageStreamEvent,
  BetaUsage,
};

/** A content block whose `type` the SDK's types do not name (a future block kind). */
export interface UnknownContentBlock {
  type: string;
  [field: string]: unknown;
}

/** A delta whose `type` the SDK's types do not name (a future delta kind). */
export interface UnknownDelta {
  type: string;
  [field: string]: unknown;
}

export type ContentBlock = BetaContentBlock | UnknownContentBlock;
export type ContentBlockDelta = BetaRawContentBlockDelta | UnknownDelta;

/** The message as it appears in `message_start` (content empty, usage partial). */
export type StreamMessage = BetaMessage;

/** The `error` event the API sends inside a stream (e.g. `overloaded_error`). */
export interface StreamErrorEvent {
  type: 'error';
  error: { type: string; message: string };
}

/** `ping` keep-alive events. */
export interface PingEvent {
  type: 'ping';
}

/** An event type the SDK does not name. Passed through untouched. */
export interface UnknownStreamEvent {
  type: string;
  [field: string]: unknown;
}

/** Every event that can appear in a Messages stream. */
export type StreamEvent = BetaRawMessageStreamEvent | StreamErrorEvent | PingEvent;

/** The names of the events defined by the protocol today. */
export const KNOWN_EVENT_TYPES = [
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
] as const;
export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

export function isKnownEventType(type: string): type is KnownEventType {
  return (KNOWN_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * SSE `error` types that mean "try again", per the API's error docs. Amazon Bedrock reports
 * errors inside a stream as exception frames, which `@anthropic-ai/bedrock-sdk` turns into SSE
 * `error` events typed by the exception's camel-cased name: the transient ones are here too
 * (`validationException` is the caller's, and is not).
 */
export const RETRYABLE_STREAM_ERROR_TYPES: ReadonlySet<string> = new Set([
  'overloaded_error',
  'api_error',
  'rate_limit_error',
  'timeout_error',
  'modelStreamErrorException',
  'internalServerException',
  'serviceUnavailableException',
  'throttlingException',
  'modelTimeoutException',
]);
