/**
 * `doctor`: a snapshot of the environment an Anthropic client runs in (runtimes, SDK versions,
 * base URL, proxies, timeouts, reachability of the upstream, SSE buffering on the path) with
 * warnings. Its JSON form is what `diff` compares.
 */
import { arch, platform } from 'node:os';
import { LifelineError } from '../../errors.js';
import { USER_AGENT, VERSION } from '../../version.js';
import { collectEnvironment, type Env } from './env.js';
import { ANTHROPIC_VERSION, apiUrl, probeAuth, probeSse, probeUpstream } from './net.js';
import { nodeRuntime, probeJsPackages, probePythons } from './runtime.js';
import {
  DOCTOR_SCHEMA,
  type DoctorSnapshot,
  type SseReport,
  type UpstreamReport,
} from './snapshot.js';
import { doctorWarnings } from './warnings.js';

export const DEFAULT_UPSTREAM = 'https://api.anthropic.com';
export const DEFAULT_TIMEOUT_MS = 5000;
/** Model used by the `sse` probe: the smallest current one; the probe costs a few tokens. */
export const DEFAULT_PROBE_MODEL = 'claude-haiku-4-5';
/** The Debian system interpreter and whatever `python3` is on PATH (often pyenv or a venv). */
export const DEFAULT_PYTHONS: readonly string[] = ['/usr/bin/python3', 'python3'];
/** The whole SSE probe may take this long at most. */
const SSE_TOTAL_TIMEOUT_MS = 60_000;

export interface DoctorOptions {
  /** Base URL to probe; default ANTHROPIC_BASE_URL, else https://api.anthropic.com. */
  readonly upstream?: string;
  /** Per-step timeout for probes (connect + headers, and silences within the SSE probe). */
  readonly timeoutMs?: number;
  /** Stream a short Messages request from the upstream and time its events. */
  readonly sse?: boolean;
  /** Or time any streaming URL (GET), e.g. the same path through a proxy. */
  readonly sseUrl?: string;
  /** Model for the `sse` probe. */
  readonly model?: string;
  /** Environment to inspect and probe with; default process.env. */
  readonly env?: Env;
  /** Directory SDK packages are resolved from; default process.cwd(). */
  readonly cwd?: string;
  /** Python commands to probe; default /usr/bin/python3 and python3. */
  readonly pythons?: readonly string[];
  readonly now?: () => Date;
}

/** Invalid doctor options (a bad URL or timeout): the caller's mistake, with what to do. */
export class DoctorOptionError extends LifelineError {
  readonly type = 'doctor-option' as const;
  override readonly name = 'DoctorOptionError';
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorSnapshot> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new DoctorOptionError(
      `timeout must be a positive whole number of milliseconds, got ${timeoutMs}`,
    );
  }
  const { base, source } = upstreamBase(options, env);
  checkUrl(base, source === 'ANTHROPIC_BASE_URL' ? 'ANTHROPIC_BASE_URL' : 'upstream URL');
  if (options.sseUrl !== undefined) checkUrl(options.sseUrl, 'SSE probe URL');
  const cwd = options.cwd ?? process.cwd();

  const [python, packages, upstream] = await Promise.all([
    probePythons(options.pythons ?? DEFAULT_PYTHONS, env, timeoutMs),
    probeJsPackages(cwd),
    probeUpstream({ base, source, env, timeoutMs }),
  ]);
  // After the reachability probe, not beside it, so the two timings do not disturb each other.
  const sse = await sseProbe(options, base, env, timeoutMs, upstream);

  const found = {
    schema: DOCTOR_SCHEMA,
    createdAt: (options.now ?? (() => new Date()))().toISOString(),
    lifeline: VERSION,
    host: { platform: platform(), arch: arch() },
    node: nodeRuntime(),
    python,
    js: { cwd, packages },
    env: collectEnvironment(env),
    upstream,
    sse,
  } as const;
  return { ...found, warnings: doctorWarnings(found) };
}

function upstreamBase(
  options: DoctorOptions,
  env: Env,
): { base: string; source: UpstreamReport['source'] } {
  if (options.upstream !== undefined) return { base: options.upstream, source: 'flag' };
  const fromEnv = env.ANTHROPIC_BASE_URL;
  if (fromEnv !== undefined && fromEnv !== '')
    return { base: fromEnv, source: 'ANTHROPIC_BASE_URL' };
  return { base: DEFAULT_UPSTREAM, source: 'default' };
}

function checkUrl(text: string, what: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DoctorOptionError(
      `${what} "${text}" is not a valid URL; give a full URL such as https://api.anthropic.com`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DoctorOptionError(`${what} "${text}" must be http or https`);
  }
}

async function sseProbe(
  options: DoctorOptions,
  base: string,
  env: Env,
  timeoutMs: number,
  upstream: UpstreamReport,
): Promise<SseReport> {
  const common = { env, timeoutMs, totalTimeoutMs: Math.max(SSE_TOTAL_TIMEOUT_MS, timeoutMs) };
  if (options.sseUrl !== undefined) {
    return probeSse({
      ...common,
      url: new URL(options.sseUrl),
      method: 'GET',
      headers: { accept: 'text/event-stream' },
    });
  }
  if (options.sse === true) {
    if (!upstream.reachable)
      return skipped('the upstream is unreachable, so no stream was requested');
    const url = apiUrl(base, '/v1/messages');
    const { headers } = probeAuth(url, env);
    return probeSse({
      ...common,
      url,
      method: 'POST',
      headers: {
        ...headers,
        'anthropic-version': ANTHROPIC_VERSION,
        'user-agent': USER_AGENT,
        'content-type': 'application/json',
        accept: 'text/event-stream',
      },
      // Long enough to produce a few dozen events over a second or two.
      body: JSON.stringify({
        model: options.model ?? DEFAULT_PROBE_MODEL,
        max_tokens: 200,
        stream: true,
        messages: [
          { role: 'user', content: 'Count from 1 to 40, one number per line, nothing else.' },
        ],
      }),
    });
  }
  return skipped(
    'not probed: pass --sse to stream a short Messages request (a few tokens), or --sse-url URL to time any event stream',
  );
}

function skipped(reason: string): SseReport {
  return {
    verdict: 'skipped',
    url: null,
    method: null,
    status: null,
    contentType: null,
    chunks: 0,
    events: 0,
    bytes: 0,
    headersMs: null,
    firstEventMs: null,
    lastEventMs: null,
    largestBurstShare: null,
    reason,
  };
}
