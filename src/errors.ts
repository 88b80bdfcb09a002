/**
 * The one base of every error lifeline throws on purpose, so a caller can catch them all with
 * `err instanceof LifelineError` and tell them apart with `switch (err.type)`, without an
 * `instanceof` chain (as undici's errors share `UndiciError` and a `code`, and
 * eventsource-parser's `ParseError` carries a `type`). Each subclass fixes its `type` (or a
 * small union of them, e.g. `SseError`) and keeps its own name, message and fields.
 *
 * The types, by class: `stream-interrupted` (StreamInterruptedError), `protocol`
 * (SpliceProtocolError), `stall` (an attempt's stall timer), `invalid-json`
 * (InvalidEventJsonError), `no-message` (NoMessageError), `event-too-large` | `stopped` (SseError),
 * `invalid-scenario` (ScenarioError), `config` (ProxyConfigError), `client-closed` and `shutdown`
 * (the proxy's abort reasons), the TraceReadError and AnalyzeInputError unions, `doctor-option`
 * (DoctorOptionError), `snapshot` (SnapshotError), `verify-input` (VerifyInputError),
 * `body-too-large` (the proxy's upload limit, BodyTooLargeError).
 * test/errors.test.ts checks that every error class in src/ extends this one.
 */
export abstract class LifelineError extends Error {
  /** What went wrong, as a stable string to switch on; the message is for people. */
  abstract readonly type: string;
}
