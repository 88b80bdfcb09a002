/**
 * Error types and status codes of the Anthropic Messages API (the `error.type` in
 * `{"type":"error","error":{"type":...,"message":...}}`), plus the request-shape rules that
 * matter when continuing a partial message: prefill, trailing whitespace, tool_use pairing.
 * 429 and 529 live in sdk.ts next to the other retryable SDK errors.
 */
import type { Signature } from '../signature.js';
import { phrase, regex, statusCode } from './evidence.js';

const ERRORS_DOCS = 'Anthropic API docs: Errors';
const MESSAGES_DOCS = 'Anthropic API docs: Messages';

export const API_SIGNATURES: readonly Signature[] = [
  {
    id: 'invalid-request-400',
    title: 'API: 400 invalid_request_error (the request breaks an API rule)',
    generic: true,
    patterns: [
      phrase('invalid_request_error', 10),
      regex(/\bBadRequestError\b/, 4),
      statusCode(400, 4),
    ],
    meaning:
      'The API rejected the request as malformed or not allowed (HTTP 400). The message after the type names the field and the rule. Sending the same request again fails the same way.',
    category: 'model/provider',
    likelyCauses: [
      'A field missing, of the wrong type or out of range (max_tokens above the model limit, an empty text block, roles out of order).',
      'A feature used without its beta header, or with a model that lacks it.',
      'A message-shape rule: prefill on a model that refuses it, trailing whitespace in a final assistant message, tool_use without tool_result.',
    ],
    fixes: [
      'Read the message: it names the offending path (e.g. messages.3.content.0).',
      'Run `lifeline explain` on the exact message: several 400s have their own entry.',
      'Check the request against the API reference for this model.',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'A 400 passes through lifeline unchanged; lifeline only corrects 400s caused by its own resume requests.',
    docs: [ERRORS_DOCS, MESSAGES_DOCS],
  },
  {
    id: 'prefill-not-supported',
    title: 'API: this model does not support assistant message prefill',
    patterns: [
      phrase('does not support assistant message prefill', 20),
      phrase('The conversation must end with a user message', 8),
    ],
    meaning:
      'The request ended with an assistant message (a prefill) and this model does not accept one: Claude 4.6 and later models answer a trailing assistant message with this 400.',
    category: 'model/provider',
    likelyCauses: [
      'Code that prefills the answer to steer its format (for example "{"), written for older models.',
      'A retry or resume library that continues a partial answer with a prefill.',
    ],
    fixes: [
      'End with a user message: move the steering into the user turn or the system prompt, or use structured outputs or tool use for format.',
      'To continue a partial answer, send the partial assistant message followed by a short user message asking to continue where it stopped (what lifeline calls a continuation turn).',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline never relies on prefill for 4.6+ models and, if a model refuses one, switches it to continuation turns for the rest of the process; a prefill in your own request passes through unchanged.',
    docs: [ERRORS_DOCS, MESSAGES_DOCS, 'Anthropic API docs: Migrating to Claude 4.6'],
  },
  {
    id: 'trailing-whitespace',
    title: 'API: final assistant content cannot end with trailing whitespace',
    patterns: [
      phrase('final assistant content cannot end with trailing whitespace', 20),
      phrase('cannot end with trailing whitespace', 8),
    ],
    meaning:
      'The last message is an assistant prefill whose text ends with a space or a line break; the API rejects that with a 400.',
    category: 'model/provider',
    likelyCauses: [
      'A prefill built from a partial answer that stopped after a space or newline.',
      'A template that appends "\\n" to the assistant turn.',
    ],
    fixes: [
      'Strip trailing whitespace from the final assistant text (rstrip() / trimEnd()).',
      'On models that refuse prefill, use a continuation turn instead (see prefill-not-supported).',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline strips trailing whitespace from its own prefills and holds it back while streaming so it never has to take it back; your own requests pass through unchanged.',
    docs: [ERRORS_DOCS, MESSAGES_DOCS],
  },
  {
    id: 'tool-use-unpaired',
    title: 'API: tool_use blocks without tool_result blocks right after',
    patterns: [
      phrase('tool_use ids were found without tool_result blocks immediately after', 20),
      phrase('without tool_result blocks', 8),
      phrase('must have a corresponding tool_result block in the next message', 8),
    ],
    meaning:
      'An assistant message contains a tool_use block, and the next message does not start with a tool_result for its id. The API requires every tool_use to be answered immediately.',
    category: 'model/provider',
    likelyCauses: [
      'History trimmed or summarised between a tool_use and its result.',
      'A stream cut off during a tool call, and the partial assistant message (with its tool_use) re-sent as is.',
      'Parallel tool calls answered only in part, or tool_result blocks placed after text or in a later message.',
    ],
    fixes: [
      'Answer every tool_use id with a tool_result at the start of the next user message.',
      'When trimming history, drop a tool_use together with its tool_result.',
      'When re-sending a partial assistant message, leave out tool_use blocks that were never run.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline leaves unpaired tool uses out of its resume requests and ends a stream at a complete tool_use so your code runs the tool; it does not repair the history you send.',
    docs: [ERRORS_DOCS, 'Anthropic API docs: Tool use'],
  },
  {
    id: 'prompt-too-long',
    title: 'API: prompt is too long for the context window',
    patterns: [phrase('prompt is too long', 18), regex(/\b\d+ tokens > \d+ maximum\b/, 6)],
    meaning:
      "The input (system prompt, messages, tool definitions, images) has more tokens than the model's context window; the API rejects it with a 400 before generating anything.",
    category: 'model/provider',
    likelyCauses: [
      'A conversation or agent loop whose history grew past the context window.',
      'Large tool results (file contents, search results) kept in the history.',
      'A resume that re-sends a long partial answer on top of an already full context.',
    ],
    fixes: [
      'Trim, summarise or drop old turns and bulky tool results.',
      'Count tokens before sending (POST /v1/messages/count_tokens) and compact when near the limit.',
      'Use a model or beta with a larger context window if the task needs it.',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'The same input is rejected again; lifeline passes the 400 through (a resume adds the partial answer to the input, so it never makes this better).',
    docs: [
      ERRORS_DOCS,
      'Anthropic API docs: Context windows',
      'Anthropic API docs: Token counting',
    ],
  },
  {
    id: 'max-tokens-too-large',
    title: 'API: max_tokens above the model limit',
    patterns: [
      regex(/max_tokens: \d+ > \d+, which is the maximum allowed number of output tokens/, 20),
      phrase('which is the maximum allowed number of output tokens', 10),
    ],
    meaning:
      'The request asks for more output tokens (max_tokens) than this model can produce in one response; the API rejects it with a 400.',
    category: 'model/provider',
    likelyCauses: [
      'A max_tokens value copied from a model with a larger output limit.',
      'A model id switched to a smaller model without adjusting max_tokens.',
    ],
    fixes: [
      "Set max_tokens at or below the model's output limit (the message names it).",
      'Keep a per-model table of limits in your code rather than one value for all models.',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'A request-shape error; lifeline passes the 400 through unchanged.',
    docs: [ERRORS_DOCS, 'Anthropic API docs: Models overview'],
  },
  {
    id: 'credit-balance-too-low',
    title: 'API: credit balance too low (billing)',
    patterns: [phrase('credit balance is too low', 20), phrase('Plans & Billing', 4)],
    meaning:
      'The organisation behind the key has no credit left, so the API refuses requests (a 400 invalid_request_error) until credits are added. It is an account state, not a problem with the request.',
    category: 'account/auth',
    likelyCauses: [
      'Prepaid credits used up.',
      'A key from a different organisation or workspace than the one that was topped up.',
    ],
    fixes: [
      'Add credits or change the plan in the Console (Plans & Billing).',
      'Check which organisation the key belongs to.',
      'Turn on auto-reload to avoid interruptions.',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'Billing is an account matter; lifeline passes the error through unchanged.',
    docs: [ERRORS_DOCS, 'Anthropic Console: Plans & Billing'],
  },
  {
    id: 'authentication-401',
    title: 'API: 401 authentication_error (the key was not accepted)',
    patterns: [
      phrase('authentication_error', 12),
      regex(/\bAuthenticationError\b/, 4),
      phrase('invalid x-api-key', 6),
      phrase('x-api-key header is required', 6),
      statusCode(401, 4),
    ],
    meaning:
      'The API did not accept the credentials: the key is missing, malformed, revoked, or was sent to an endpoint that expects something else.',
    category: 'account/auth',
    likelyCauses: [
      'ANTHROPIC_API_KEY is not set for this process (set in another shell, service or container).',
      'The key has hidden whitespace or quotes from a .env file.',
      'The key was revoked or rotated.',
      'A proxy or gateway strips or replaces the x-api-key header, or expects its own credentials.',
    ],
    fixes: [
      'Run `lifeline doctor`: it shows whether ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN are set (never their value) and what the upstream answers.',
      'Check the key in the Anthropic Console and create a new one if needed.',
      'Check what the base URL expects (the Anthropic API takes x-api-key).',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'Credentials are yours to fix; lifeline passes 401 through unchanged.',
    docs: [ERRORS_DOCS, 'Anthropic API docs: Authentication'],
  },
  {
    id: 'permission-403',
    title: 'API: 403 permission_error (the key may not do this)',
    patterns: [
      phrase('permission_error', 12),
      regex(/\bPermissionDeniedError\b/, 4),
      statusCode(403, 4),
    ],
    meaning:
      'The key is valid but not allowed to use this resource: the model, feature or workspace is not enabled for it.',
    category: 'account/auth',
    likelyCauses: [
      'The model or beta feature is not available to this organisation or workspace.',
      'Workspace restrictions on the key.',
      'The organisation is disabled (billing, policy).',
    ],
    fixes: [
      'Check the workspace and organisation settings for the key in the Console.',
      'Try a model or feature you know the key can use, to narrow it down.',
      'Contact your organisation admin or Anthropic support with the request id.',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'Permissions are an account matter; lifeline passes 403 through unchanged.',
    docs: [ERRORS_DOCS],
  },
  {
    id: 'not-found-404',
    title: 'API: 404 not_found_error (model or resource not found)',
    patterns: [phrase('not_found_error', 12), regex(/\bNotFoundError\b/, 4), statusCode(404, 4)],
    meaning:
      'The resource does not exist for this key: most often a misspelled or retired model id, or a wrong path.',
    category: 'model/provider',
    likelyCauses: [
      'A typo in the model id, or a retired model (list them with GET /v1/models).',
      'ANTHROPIC_BASE_URL ends in /v1 and the SDK adds /v1 again (/v1/v1/messages).',
      'A file, batch or container id from another workspace.',
    ],
    fixes: [
      'List available models: `curl https://api.anthropic.com/v1/models -H "x-api-key: $ANTHROPIC_API_KEY" -H "anthropic-version: 2023-06-01"`.',
      'Remove a trailing /v1 from ANTHROPIC_BASE_URL (`lifeline doctor` warns about it).',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'A wrong model id or path needs fixing; lifeline passes 404 through unchanged.',
    docs: [ERRORS_DOCS, 'Anthropic API docs: Models overview'],
  },
  {
    id: 'request-too-large-413',
    title: 'API: 413 request_too_large (the request body is too big)',
    patterns: [
      phrase('request_too_large', 12),
      regex(/\b(?:ContentTooLarge|RequestTooLarge)Error\b/, 4),
      statusCode(413, 4),
    ],
    meaning:
      'The request body is larger than the API accepts (32 MB for the Messages API). It is rejected before the model sees it.',
    category: 'model/provider',
    likelyCauses: [
      'Large images or PDFs sent inline as base64.',
      'A long conversation history re-sent in full every turn.',
    ],
    fixes: [
      'Upload large files once with the Files API and refer to them by id.',
      'Downscale images; send fewer of them per request.',
      'Trim or summarise old turns.',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'The same body would be rejected again; lifeline passes 413 through unchanged.',
    docs: [ERRORS_DOCS, 'Anthropic API docs: Files API'],
  },
  {
    id: 'api-error-500',
    title: 'API: 500 api_error (internal error at Anthropic)',
    patterns: [
      phrase('api_error', 10),
      regex(/\bInternalServerError\b/, 4),
      statusCode(500, 4),
      phrase('Internal server error', 2),
    ],
    meaning:
      "An unexpected error inside Anthropic's systems. It is transient and not caused by your request.",
    category: 'model/provider',
    likelyCauses: ['A transient fault on the API side.'],
    fixes: [
      'Retry with backoff (the SDKs retry 5xx twice by default).',
      'If it persists, check the Anthropic status page and contact support with the request id.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'lifeline retries a 500 before the stream and resumes a stream that gets an api_error event part-way.',
    docs: [ERRORS_DOCS, 'Anthropic status page'],
  },
];
