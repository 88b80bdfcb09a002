/**
 * `lifeline mock`: runs the Anthropic-compatible mock upstream with its scenarios and faults
 * until SIGINT/SIGTERM. No API key and no network needed.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type FaultMap,
  loadScenarios,
  type MockRequestRecord,
  type MockServer,
  parseFaultOverride,
  type ResolvedFault,
  type Scenario,
  ScenarioError,
  shippedScenarios,
  startMock,
} from '../mock/index.js';

const DEFAULT_PORT = 8765;

interface Flags {
  port: number;
  host?: string;
  scenario?: string;
  scenarios?: string;
  fault?: string;
  quiet?: boolean;
  agent?: boolean;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new InvalidArgumentError(`--port takes a whole number from 0 to 65535, got "${value}".`);
  }
  return n;
}

export const MOCK_HELP = `
Requests:
  POST /v1/messages               stream true (SSE over HTTP/1.1 chunked) or false (JSON)
  POST /v1/messages/count_tokens  GET /v1/models   HEAD (any path: 200)
  (anything else: 404 API error; query strings such as ?beta=true are ignored)
  POST /v1/projects/P/locations/R/publishers/anthropic/models/MODEL:streamRawPredict
                          Vertex AI (also :rawPredict): anthropic_version in the body,
                          a bearer token required
  POST /model/MODEL/invoke-with-response-stream
                          Bedrock (also /invoke): event-stream frames, exception frames for
                          error faults; a SigV4 Authorization required, its
                          x-amz-content-sha256 checked against the body
  x-mock-scenario: NAME   which scenario answers (needed when several are loaded)
  x-mock-run: ID          groups attempts: faults are keyed by attempt number within a run
                          (every request counts, rejected ones too; without the header,
                          attempts are counted per scenario)
  x-mock-faults: JSON     replaces the scenario's faults for this run ({} = no fault)
  x-mock-agent: 1         the client is a coding agent (--agent: every client): a request
                          declaring no tools is a side request (title, topic check) and gets
                          "OK." ("{}" when it asks for JSON), no fault, and no attempt number

A request whose last message is the assistant's is a prefill; one whose last two are an
assistant message and a user message is a continuation turn. Both must repeat the scenario's
blocks so far (the last may be a text block cut short) and get the rest of the message, in a
new message. A request that repeats the whole message, which ends in tool uses, and sends
their tool_result blocks gets the next turn (the scenario's "nextTurn" message, or a short
text). The API's rules apply, with its 400 messages: prefill refused by claude 4.6 and
later, no trailing whitespace in a final assistant message, every tool_use answered by a
tool_result in the next message, server tool uses only with their results. A continuation
must name the scenario's container id, or it gets a new container.

Scenario file (JSON; a directory loads every *.json not starting with "_"):
  {
    "name": "my-scenario",                  unique; what x-mock-scenario selects
    "description": "...",
    "betas": ["code-execution-2025-08-25"],
    "requireBetas": false,                  true: requests must send them in anthropic-beta
    "message": { ...a complete Messages API message: id, type, role, model, content[],
                 stop_reason, stop_sequence, usage, container? },
    "messageFile": "_big.json",             instead of "message", relative to the file
    "nextTurn": { ...a message },           answers the turn after the message's tool uses ran
    "chunking": { "text": 8, "json": 64 },  code points per text/thinking/input_json delta
    "eventsPerWrite": 1,                    events per HTTP chunk (faults can land mid-chunk)
    "prefill": "auto",                      auto: from the message's model id (4.6 and later,
                                            or unknown, refuse) | allowed | refused
    "restate": 0,                           a continuation turn restates the last N words
    "restartWord": true,                    ... restarts the word the cut fell inside
                                            ("synchronis" -> "synchronisation across")
    "restateChars": 4,                      ... restates the last N characters (whole grapheme
                                            clusters; scripts without spaces: 中文, 日本語, ไทย)
    "restateLines": 1,                      ... restates from the start of the N-th last line
                                            (list marker, heading, table row, indentation)
    "restateAll": true,                     ... restates all of the partial text
    "reopenFence": "tag",                   cut inside a fenced code block: reopens it ("tag":
                                            the opening line as written, "bare": the backticks)
                                            and restates the current line from its start
    "preamble": "Continuing from where I left off:"   ... writes this and a blank line first,
                                            then the restatement (the last 2 words by default)
    "continuationThinking": false,          a continuation turn opens with a thinking block
    "faults": { "1": FAULT, "2": FAULT, "*": FAULT }   by attempt number; "*" = every one
  }

Continuation behaviours apply to the text block a continuation turn's partial message ends
in, never to prefill. At most one of restate, restartWord, restateChars, restateLines and
restateAll; reopenFence (inside a fence: the reopened fence and the current line replace the
restatement) and then preamble wrap it; a continuationThinking block comes before all of it.
reopenFence cannot be combined with restateAll.

Faults (event indices count the rendered events: message_start = 0, ping = 1, ...):
  {"kind":"drop","afterEvents":40}           close the socket after 40 whole events
  {"kind":"drop","event":41,"bytes":20}      send 20 bytes of event 41 (its HTTP chunk is
                                             announced whole), then close the socket
  {"kind":"reset","afterEvents":40}          the same, with a TCP reset (also event/bytes)
  {"kind":"eof","afterEvents":40}            end the body cleanly, without message_stop
  {"kind":"stall","afterEvents":40,"ms":5000}              pause, then go on
  {"kind":"stall","afterEvents":40,"ms":5000,"then":"drop"} pause, then close the socket
  {"kind":"error","afterEvents":40,"errorType":"overloaded_error","message":"Overloaded"}
                                             an SSE error event, then the end of the body
  {"kind":"http","status":529,"headers":{"retry-after":"1"}}  an API error before streaming
  {"kind":"trickle","bytesPerWrite":16,"intervalMs":5}       the body in small slow writes
  {"kind":"random","seed":42}                one of the above, chosen by a seeded PRNG

Examples:
  lifeline mock --port 8765
  lifeline mock --scenario my-scenarios/ --fault '{"kind":"eof","afterEvents":12}'
  curl -N http://127.0.0.1:8765/v1/messages -H 'content-type: application/json' \\
    -H 'x-mock-scenario: plain-long-text' \\
    -d '{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hi"}]}'`;

function describeFault(fault: ResolvedFault | undefined): string {
  if (fault === undefined) return 'no fault';
  const where = (() => {
    switch (fault.kind) {
      case 'drop':
      case 'reset':
        return fault.bytes > 0
          ? `@event ${fault.event}+${fault.bytes}B`
          : `after ${fault.event} events`;
      case 'eof':
      case 'error':
      case 'stall':
        return `after ${fault.afterEvents} events`;
      case 'http':
        return String(fault.status);
      case 'trickle':
        return `${fault.bytesPerWrite}B/${fault.intervalMs}ms`;
    }
  })();
  return `${fault.kind} ${where}${fault.fires ? '' : ' (past the end: not fired)'}`;
}

/** One log line per response: what was asked and what the wire saw. */
export function describeRecord(record: MockRequestRecord): string {
  const parts = [
    `#${record.seq}`,
    record.scenario ?? '-',
    `${record.runId || '-'} attempt ${record.attempt}`,
    record.kind ?? '-',
    String(record.status),
  ];
  if (!record.validation.ok) parts.push(record.validation.message);
  else {
    parts.push(describeFault(record.fault));
    if (record.sse !== undefined)
      parts.push(
        `${record.sse.outcome} after ${record.sse.events} events, ${record.sse.bytes} bytes`,
      );
    if (record.containerReused === false) parts.push('new container (the request did not name it)');
  }
  return parts.join(' | ');
}

function loadFor(flags: Flags): { scenarios: Scenario[]; source: string } {
  const path = flags.scenario ?? flags.scenarios;
  if (path !== undefined) return { scenarios: loadScenarios(path), source: path };
  return shippedScenarios();
}

export function register(program: Command): void {
  program
    .command('mock')
    .description(
      'Run an Anthropic-compatible mock upstream that streams scenario messages, answers continuations, and injects faults at the socket.',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', port, DEFAULT_PORT)
    .option('--host <address>', 'address to bind (default 127.0.0.1)')
    .option('--scenario <path>', 'a scenario file or directory (default: the shipped scenarios)')
    .addOption(new Option('--scenarios <path>', 'same as --scenario').hideHelp())
    .option(
      '--fault <json>',
      "faults for every scenario, replacing their own (a request's x-mock-faults still wins): a fault map, or one fault for attempt 1",
    )
    .option('--quiet', 'do not log one line per response')
    .option('--agent', 'every client is a coding agent: requests without tools are side requests')
    .addHelpText('after', MOCK_HELP)
    .action(async (flags: Flags) => {
      let mock: MockServer;
      try {
        const { scenarios, source } = loadFor(flags);
        let faults: FaultMap | undefined;
        if (flags.fault !== undefined) {
          const parsed = parseFaultOverride(flags.fault, '--fault');
          if (!parsed.ok) throw new ScenarioError('--fault', '', parsed.message);
          faults = parsed.faults;
        }
        mock = await startMock({
          scenarios,
          ...(flags.host !== undefined ? { host: flags.host } : {}),
          port: flags.port,
          ...(faults !== undefined ? { faults } : {}),
          ...(flags.agent === true ? { agent: true } : {}),
          ...(flags.quiet
            ? {}
            : {
                onResponse: (r: MockRequestRecord) =>
                  process.stdout.write(`${describeRecord(r)}\n`),
              }),
        });
        process.stdout.write(`lifeline mock: listening on ${mock.url}\n`);
        process.stdout.write(
          `scenarios (${scenarios.length}, from ${source}): ${scenarios.map((s) => s.name).join(', ')}\n`,
        );
        if (faults !== undefined)
          process.stdout.write(`faults for every scenario: ${JSON.stringify(faults)}\n`);
      } catch (err) {
        process.exitCode = 2;
        const code = (err as { code?: unknown }).code;
        const message =
          err instanceof ScenarioError && err.file === '--fault'
            ? err.detail
            : err instanceof ScenarioError
              ? `${err.message}. Fix the file, or run \`lifeline mock --help\` for the format.`
              : code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL'
                ? `cannot listen (${String(code)}): ${(err as Error).message}. Choose another --port or --host.`
                : err instanceof Error
                  ? err.message
                  : String(err);
        process.stderr.write(`lifeline mock: ${message}\n`);
        return;
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stdout.write(`lifeline mock: ${signal}, stopping\n`);
          mock.close().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
