/**
 * The mock upstream: an Anthropic-compatible HTTP server that streams a scenario's message,
 * answers continuations with the rest of it, and injects faults at the socket.
 *
 * Each scenario's fresh response is rendered and encoded once, at start; a request then only
 * writes Buffers, so the mock keeps up with hundreds of concurrent streams in benchmarks.
 */
import { once, setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContentBlock, StreamMessage } from '../protocol/index.js';
import {
  apiHeaders,
  betaNames,
  estimateTokens,
  type MessagesRequest,
  newId,
  requestContainerId,
  requestContainerSkills,
  thinkingEnabled,
  validateMessagesRequest,
} from './api.js';
import {
  behaviourOf,
  type PrefixMatch,
  planContinuation,
  type RequestKind,
} from './continuation.js';
import { type FaultMap, faultForAttempt, type ResolvedFault, resolveFault } from './faults.js';
import {
  handleCountTokens,
  handleModels,
  headerValue,
  loggedHeaders,
  MAX_BODY_BYTES,
  readBody,
  sendError,
} from './http.js';
import {
  type PlatformName,
  type PlatformOptions,
  type PlatformRequest,
  platformRoutes,
} from './platforms/index.js';
import { encodeMessageEvents } from './render.js';
import {
  assertUniqueNames,
  loadScenarios,
  parseFaultOverride,
  type Scenario,
  scenarioAllowsPrefill,
} from './scenario.js';
import { DEFAULT_NEXT_TURN_TEXT, isSideRequest, sideAnswerText, textMessage } from './side.js';
import {
  type FramedStream,
  frameStream,
  jsonErrorStatus,
  type WireProgress,
  writeJson,
  writeStream,
} from './wire.js';

export interface MockServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Scenarios, or a scenario file or directory to load them from. */
  scenarios: Scenario[] | string;
  /** Faults that replace every scenario's own (`lifeline mock --fault`); `x-mock-faults` still wins. */
  faults?: FaultMap;
  /**
   * Every client is a coding agent, as if each request carried `x-mock-agent: 1`: a request
   * that declares no tools is a side request (a title, a topic check), answered with a short
   * default, never faulted, not an attempt of its run (side.ts).
   */
  agent?: boolean;
  /** Called when the response to a `POST /v1/messages` is over (sent, dropped or aborted). */
  onResponse?: (record: MockRequestRecord) => void;
  /** Vertex AI and Bedrock routes: Bedrock's SigV4 credentials to verify signatures with. */
  platforms?: PlatformOptions;
}

/** One `POST /v1/messages` the mock received, for tests. The API key is never kept. */
export interface MockRequestRecord {
  /** Order of arrival, from 1. */
  seq: number;
  /** `x-mock-run`, or `scenario:<name>` without it. */
  runId: string;
  /** Attempt number within the run, from 1 (0 for a side request: not an attempt). */
  attempt: number;
  scenario: string | undefined;
  kind: RequestKind | undefined;
  stream: boolean;
  /** The status sent. */
  status: number;
  validation: { ok: true } | { ok: false; errorType: string; message: string };
  /** The fault applied to this attempt, with concrete positions. */
  fault: ResolvedFault | undefined;
  /** What the request's assistant content covered (prefill and continuation). */
  match?: PrefixMatch;
  /** Prefill/continuation of a message with a container: did the request name its id? */
  containerReused?: boolean;
  /** The `container.skills` the request asked for. */
  containerSkills?: unknown[];
  /** The response message's id and container id. */
  messageId?: string;
  /**
   * The response message's `usage.output_tokens`: what answering this request costs when it is
   * delivered whole (a whole message for a fresh request, the rest of it for a continuation).
   */
  outputTokens?: number;
  containerId?: string;
  /** SSE bytes and events that went out (streams only); updated while streaming. */
  sse?: WireProgress;
  /** Request headers, minus credentials. */
  headers: Record<string, string>;
  /** The cloud platform route it came by (Vertex AI, Bedrock); absent for `/v1/messages`. */
  platform?: PlatformName;
  /** The model id in a platform route's path. */
  platformModel?: string;
  /** What authenticated a platform request: a bearer token's fingerprint, a SigV4 signature checked. Never the secret. */
  credential?: string;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
}

export interface MockServer {
  url: string;
  host: string;
  port: number;
  scenarios: readonly Scenario[];
  /** Every `POST /v1/messages`, in order of arrival. */
  readonly requests: MockRequestRecord[];
  /**
   * The encoded events of a scenario's uninterrupted stream (what a fault cuts into); with a
   * platform, as it puts them on the wire (Bedrock: binary frames).
   */
  renderedEvents(name: string, platform?: PlatformName): readonly Buffer[];
  /** Forgets the request log and every run's attempt counter. */
  reset(): void;
  close(): Promise<void>;
}

/** A scenario with its fresh response rendered and encoded once. */
interface Prepared {
  scenario: Scenario;
  framed: FramedStream;
  eventLengths: number[];
  json: Buffer;
  /** The stream as each platform frames it, encoded on first use. */
  platformWire: Map<PlatformName, { framed: FramedStream; eventLengths: number[] }>;
}

function prepare(scenario: Scenario, message = scenario.message): Prepared {
  const events = encodeMessageEvents(message, scenario.chunking);
  return {
    scenario,
    framed: frameStream(events, scenario.eventsPerWrite),
    eventLengths: events.map((e) => e.length),
    json: Buffer.from(JSON.stringify(message)),
    platformWire: new Map(),
  };
}

/** The response's stream as `platform` puts it on the wire. */
function wireFor(
  prepared: Prepared,
  platform: PlatformRequest['platform'] | undefined,
): { framed: FramedStream; eventLengths: number[] } {
  if (platform === undefined) return prepared;
  let wire = prepared.platformWire.get(platform.name);
  if (wire === undefined) {
    const events = platform.encodeEvents(prepared.framed.events);
    wire = {
      framed: frameStream(events, prepared.scenario.eventsPerWrite),
      eventLengths: events.map((e) => e.length),
    };
    prepared.platformWire.set(platform.name, wire);
  }
  return wire;
}

interface RunState {
  attempts: number;
  faults?: FaultMap;
}

export async function startMock(options: MockServerOptions): Promise<MockServer> {
  const scenarios =
    typeof options.scenarios === 'string' ? loadScenarios(options.scenarios) : options.scenarios;
  assertUniqueNames(scenarios);
  const prepared = new Map(scenarios.map((s) => [s.name, prepare(s)]));
  const requests: MockRequestRecord[] = [];
  const runs = new Map<string, RunState>();
  const shutdown = new AbortController();
  // Every stalled stream waits on this one signal: hundreds of listeners are expected, not a leak.
  setMaxListeners(0, shutdown.signal);
  let seq = 0;

  const modelIds = [...new Set(scenarios.map((s) => s.message.model))].sort();
  const platformRoute = platformRoutes(options.platforms);
  // Configured for Bedrock: load its wire now, so renderedEvents(name, 'bedrock') works at once.
  if (options.platforms?.bedrock !== undefined) await platformRoute.platforms.bedrock.load?.();

  function selectScenario(req: IncomingMessage): Prepared | string {
    const named = headerValue(req, 'x-mock-scenario');
    const names = [...prepared.keys()].join(', ');
    if (named !== undefined) {
      return (
        prepared.get(named) ??
        `x-mock-scenario: no scenario named "${named}" is loaded (loaded: ${names}).`
      );
    }
    if (prepared.size === 1) return [...prepared.values()][0]!;
    return `Several scenarios are loaded: choose one with the x-mock-scenario header (loaded: ${names}).`;
  }

  async function handleMessages(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
    via?: PlatformRequest,
  ): Promise<void> {
    const platform = via?.platform;
    await platform?.load?.();
    const raw = await readBody(req);
    const record: MockRequestRecord = {
      seq: ++seq,
      runId: '',
      attempt: 0,
      scenario: undefined,
      kind: undefined,
      stream: false,
      status: 200,
      validation: { ok: true },
      fault: undefined,
      headers: loggedHeaders(req),
      body: undefined,
      ...(via !== undefined ? { platform: via.platform.name, platformModel: via.model } : {}),
    };
    requests.push(record);
    if (options.onResponse !== undefined) {
      const notify = options.onResponse;
      res.once('close', () => notify(record));
    }
    const reject = (status: number, errorType: string, message: string) => {
      record.status = status;
      record.validation = { ok: false, errorType, message };
      if (platform === undefined) sendError(res, status, errorType, message, requestId);
      else platform.sendError(res, { status, errorType, message, origin: 'model' }, requestId);
    };
    if (raw === 'too-large')
      return reject(
        413,
        'request_too_large',
        `Request exceeds the maximum size of ${MAX_BODY_BYTES} bytes.`,
      );
    if (platform !== undefined) {
      // Every attempt must carry credentials made for it: a SigV4 signature over this very body.
      const auth = await platform.checkAuth(req, raw);
      if (!auth.ok) {
        record.status = auth.status;
        record.validation = { ok: false, errorType: auth.errorType, message: auth.message };
        platform.sendError(res, { ...auth, origin: 'platform' }, requestId);
        return;
      }
      record.credential = auth.credential;
    }
    try {
      record.body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      return reject(
        400,
        'invalid_request_error',
        `There was an error parsing the body of your request as JSON: ${(err as Error).message}`,
      );
    }
    let platformBetas: string[] = [];
    if (via !== undefined) {
      const adapted = via.platform.toMessagesBody(record.body, via);
      if (!adapted.ok) return reject(400, 'invalid_request_error', adapted.message);
      record.body = adapted.body;
      platformBetas = adapted.betas;
    }
    const checked = validateMessagesRequest(record.body);
    const agent = options.agent === true || headerValue(req, 'x-mock-agent') !== undefined;
    if (agent && checked.ok && isSideRequest(checked.value)) {
      return answerSide(req, res, record, checked.value, raw.length, requestId);
    }
    const selected = selectScenario(req);
    if (typeof selected === 'string') return reject(400, 'invalid_request_error', selected);
    const { scenario } = selected;
    record.scenario = scenario.name;

    // The attempt counts every request of the run, rejected ones included: faults are keyed by it.
    const runId = headerValue(req, 'x-mock-run') ?? `scenario:${scenario.name}`;
    let run = runs.get(runId);
    if (run === undefined) {
      run = { attempts: 0 };
      runs.set(runId, run);
    }
    record.runId = runId;
    record.attempt = ++run.attempts;
    const faultHeader = headerValue(req, 'x-mock-faults');
    if (faultHeader !== undefined) {
      const parsed = parseFaultOverride(faultHeader);
      if (!parsed.ok) return reject(400, 'invalid_request_error', parsed.message);
      run.faults = parsed.faults;
    }

    if (!checked.ok) return reject(400, 'invalid_request_error', checked.message);
    const request = checked.value;
    record.stream = request.stream;
    const skills = requestContainerSkills(request);
    if (skills !== undefined) record.containerSkills = skills;

    if (scenario.requireBetas) {
      const sent = betaNames([...[req.headers['anthropic-beta'] ?? []].flat(), ...platformBetas]);
      const missing = scenario.betas.filter((b) => !sent.has(b));
      if (missing.length > 0) {
        return reject(
          400,
          'invalid_request_error',
          `This request uses tools that need the beta(s) ${missing.join(', ')}: add them to the anthropic-beta header (scenario "${scenario.name}" requires ${scenario.betas.join(', ')}).`,
        );
      }
    }

    const message = scenario.message;
    const plan = planContinuation(request.messages, message.content as ContentBlock[], {
      prefillAllowed: scenarioAllowsPrefill(scenario),
      ...behaviourOf(scenario),
      continuationThinking: scenario.continuationThinking,
      thinkingEnabled: thinkingEnabled(request),
    });
    record.kind = plan.kind;
    if (!plan.ok) return reject(400, 'invalid_request_error', plan.violation.message);
    if (plan.match !== undefined) record.match = plan.match;

    let response: Prepared;
    if (plan.kind === 'fresh') {
      response = selected;
      record.messageId = message.id;
      record.outputTokens = message.usage.output_tokens;
      if (message.container) record.containerId = message.container.id;
    } else if (plan.kind === 'next-turn') {
      const next =
        scenario.nextTurn === undefined
          ? textMessage(message.model, DEFAULT_NEXT_TURN_TEXT, raw.length)
          : { ...scenario.nextTurn, id: newId('msg_01') };
      record.messageId = next.id;
      record.outputTokens = next.usage.output_tokens;
      response = prepare(scenario, next);
    } else {
      const continued = continuationMessage(message, plan.content, request, raw.length);
      if (message.container) {
        record.containerReused = continued.container?.id === message.container.id;
        record.containerId = continued.container?.id;
      }
      record.messageId = continued.id;
      record.outputTokens = continued.usage.output_tokens;
      response = prepare(scenario, continued);
    }

    // Most specific first: this run's header, then the server-wide override, then the scenario.
    const declared = faultForAttempt(
      run.faults ?? options.faults ?? scenario.faults,
      record.attempt,
    );
    const wire = wireFor(response, request.stream ? platform : undefined);
    const fault = declared === undefined ? undefined : resolveFault(declared, wire.eventLengths);
    record.fault = fault;

    if (fault?.kind === 'http') {
      record.status = fault.status;
      if (platform === undefined)
        sendError(res, fault.status, fault.errorType, fault.message, requestId, fault.headers);
      else
        platform.sendError(
          res,
          {
            status: fault.status,
            errorType: fault.errorType,
            message: fault.message,
            origin: 'platform',
          },
          requestId,
          fault.headers,
        );
      return;
    }
    const headers = {
      ...(platform === undefined
        ? apiHeaders(requestId)
        : platform.responseHeaders(requestId, request.stream)),
      'x-mock-attempt': String(record.attempt),
      'x-mock-request-kind': plan.kind,
    };
    if (!request.stream) {
      if (platform !== undefined && fault?.kind === 'error' && fault.fires) {
        // The JSON answer's error, in the platform's shape.
        record.status = jsonErrorStatus(fault.errorType);
        const { errorType, message } = fault;
        platform.sendError(
          res,
          { status: record.status, errorType, message, origin: 'model' },
          requestId,
        );
        return;
      }
      record.status = await writeJson(res, response.json, headers, fault, shutdown.signal);
      return;
    }
    res.writeHead(200, {
      ...headers,
      'content-type': platform?.streamContentType ?? 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'transfer-encoding': 'chunked',
    });
    const progress: WireProgress = { events: 0, bytes: 0, outcome: 'pending' };
    record.sse = progress;
    await writeStream(
      res,
      {
        framed: wire.framed,
        fault,
        signal: shutdown.signal,
        ...(platform !== undefined ? { errorEvent: platform.encodeStreamError } : {}),
      },
      progress,
    );
  }

  /** A side request of an agent: a short default answer, streamed or not, never faulted. */
  async function answerSide(
    req: IncomingMessage,
    res: ServerResponse,
    record: MockRequestRecord,
    request: MessagesRequest,
    requestBytes: number,
    requestId: string,
  ): Promise<void> {
    record.kind = 'side';
    record.runId = headerValue(req, 'x-mock-run') ?? 'side';
    record.stream = request.stream;
    const message = textMessage(request.model, sideAnswerText(request), requestBytes);
    record.messageId = message.id;
    record.outputTokens = message.usage.output_tokens;
    const headers = { ...apiHeaders(requestId), 'x-mock-request-kind': 'side' };
    if (!request.stream) {
      record.status = await writeJson(
        res,
        Buffer.from(JSON.stringify(message)),
        headers,
        undefined,
        shutdown.signal,
      );
      return;
    }
    const framed = frameStream(encodeMessageEvents(message), 1);
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'transfer-encoding': 'chunked',
    });
    const progress: WireProgress = { events: 0, bytes: 0, outcome: 'pending' };
    record.sse = progress;
    await writeStream(res, { framed, fault: undefined, signal: shutdown.signal }, progress);
  }

  const server: Server = createServer((req, res) => {
    const requestId = newId('req_011');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = async () => {
      const platform = platformRoute.match(req.method, path);
      if (platform !== undefined) return handleMessages(req, res, requestId, platform);
      if (req.method === 'POST' && path === '/v1/messages')
        return handleMessages(req, res, requestId);
      if (req.method === 'HEAD') {
        // A connectivity probe (Claude Code sends HEAD /api/hello at start): 200, no body.
        req.resume();
        res.writeHead(200, { 'request-id': requestId, 'content-length': 0 });
        res.end();
        return;
      }
      if (req.method === 'POST' && path === '/v1/messages/count_tokens')
        return handleCountTokens(req, res, requestId);
      if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
        return handleModels(res, requestId, path, modelIds);
      }
      req.resume();
      sendError(
        res,
        404,
        'not_found_error',
        `Not found: ${req.method} ${path}. The mock serves POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models, HEAD (any path), and the Vertex AI (.../models/MODEL:streamRawPredict) and Bedrock (/model/MODEL/invoke-with-response-stream) routes.`,
        requestId,
      );
    };
    route().catch((err: unknown) => {
      if (!res.headersSent)
        sendError(
          res,
          500,
          'api_error',
          `mock internal error: ${(err as Error).message}`,
          requestId,
        );
      else res.destroy();
    });
  });
  // A client that sends a new request on a kept-alive socket must not wait for Node's default.
  server.keepAliveTimeout = 5_000;

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const host = address.address;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${address.port}`,
    host,
    port: address.port,
    scenarios,
    requests,
    renderedEvents(name, platform) {
      const p = prepared.get(name);
      if (p === undefined) throw new Error(`no scenario named "${name}" is loaded`);
      return wireFor(p, platform === undefined ? undefined : platformRoute.platforms[platform])
        .framed.events;
    },
    reset() {
      requests.length = 0;
      runs.clear();
      seq = 0;
    },
    async close() {
      shutdown.abort();
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/** The message that answers a prefill or continuation: new id, the remainder, fresh usage. */
function continuationMessage(
  target: StreamMessage,
  content: ContentBlock[],
  request: MessagesRequest,
  requestBytes: number,
): StreamMessage {
  let container = target.container;
  if (container) {
    // The API starts a new container when the request does not name the old one: files and
    // state from the first attempt are gone, which the request log records.
    const reused = requestContainerId(request) === container.id;
    if (!reused) container = { ...container, id: newId('container_011') };
  }
  return {
    ...target,
    id: newId('msg_01'),
    content: content as StreamMessage['content'],
    usage: {
      ...target.usage,
      input_tokens: estimateTokens(requestBytes),
      output_tokens: estimateTokens(Buffer.byteLength(JSON.stringify(content))),
    },
    ...(container !== undefined ? { container } : {}),
  };
}
