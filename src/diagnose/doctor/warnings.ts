/**
 * The warnings `doctor` draws from what it found, most severe first. Each says what was found,
 * why it matters for a long stream, and what to do.
 */
import { isLoopback, PROXY_VARS } from './env.js';
import { formatMs } from './net.js';
import type { DoctorSnapshot, DoctorWarning, Severity } from './snapshot.js';

/** Node versions older than this are outside the package's engines range. */
const MIN_NODE = [20, 18] as const;
/** Time to response headers on the models listing above which the path is called slow. */
const SLOW_HEADERS_MS = 2000;
/** Client timeouts below this cut long generations. */
const SHORT_TIMEOUT_MS = 120_000;
const ANTHROPIC_HOST = 'api.anthropic.com';

type Found = Omit<DoctorSnapshot, 'warnings'>;

export function doctorWarnings(found: Found): DoctorWarning[] {
  const out: DoctorWarning[] = [];
  const add = (id: string, severity: Severity, message: string) =>
    out.push({ id, severity, message });
  const { env, upstream, sse } = found;

  const [major, minor] = found.node.version.replace(/^v/, '').split('.').map(Number);
  if ((major ?? 0) < MIN_NODE[0] || ((major ?? 0) === MIN_NODE[0] && (minor ?? 0) < MIN_NODE[1])) {
    add(
      'node-old',
      'warn',
      `Node ${found.node.version} is older than ${MIN_NODE.join('.')}; lifeline and current SDKs need Node ${MIN_NODE.join('.')} or later: upgrade Node.`,
    );
  }

  if (upstream.error !== null) {
    const explained =
      upstream.errorSignature === null
        ? ''
        : ` (\`lifeline explain\` signature: ${upstream.errorSignature})`;
    add(
      'upstream-unreachable',
      'error',
      `The upstream ${upstream.url} could not be reached: ${upstream.error}${explained}. Nothing will stream until it can: check the base URL, proxies and network from this host.`,
    );
  } else if (upstream.status === 401 || upstream.status === 403) {
    add(
      'upstream-auth',
      'warn',
      `The upstream is reachable but answered ${upstream.status} to GET /v1/models (credentials ${upstream.auth}): check that ANTHROPIC_API_KEY is the right key for ${upstream.url}.`,
    );
  } else if (upstream.status === 404) {
    add(
      'upstream-not-found',
      'warn',
      `GET ${upstream.probeUrl} answered 404: the base URL probably has an extra or missing path segment (the SDKs append /v1/...).`,
    );
  } else if (upstream.status !== null && upstream.status >= 500) {
    add(
      'upstream-error',
      'warn',
      `GET /v1/models answered ${upstream.status}: the upstream or a proxy in front of it is failing right now.`,
    );
  }
  if (upstream.headersMs !== null && upstream.headersMs > SLOW_HEADERS_MS) {
    add(
      'upstream-slow',
      'warn',
      `The upstream took ${formatMs(upstream.headersMs)} to answer a models listing; a slow path makes read timeouts and idle cuts more likely.`,
    );
  }

  if (sse.verdict === 'buffered') {
    add(
      'sse-buffered',
      'warn',
      `SSE buffering detected: ${sse.reason}. Clients see no progress and pings never arrive in time, so read timeouts and idle cuts follow: turn off response buffering on the proxy (nginx: proxy_buffering off for this location).`,
    );
  } else if (sse.verdict === 'failed') {
    add(
      'sse-probe-failed',
      'warn',
      `The SSE probe of ${sse.url ?? 'the upstream'} did not complete: ${sse.reason}.`,
    );
  }

  const proxies = PROXY_VARS.flatMap((name) => {
    const value = env.values[name] ?? env.values[name.toLowerCase()];
    return value === undefined ? [] : [`${name}=${value}`];
  });
  if (proxies.length > 0) {
    add(
      'proxy-set',
      'warn',
      `Proxy variables are set (${proxies.join(', ')}): Python clients (httpx) and curl send API traffic through this proxy, while Node's fetch ignores them unless configured. Proxies are the most common cause of buffered or cut streams: compare with a host without the proxy, or add the API host to NO_PROXY.`,
    );
  }
  if (env.values.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    add(
      'tls-verification-off',
      'warn',
      'NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for every Node request, exposing the API key to any interceptor: use NODE_EXTRA_CA_CERTS with your CA instead.',
    );
  }

  const baseUrl = safeUrl(upstream.url);
  if (baseUrl !== undefined) {
    if (/\/v1\/?$/.test(baseUrl.pathname)) {
      add(
        'base-url-v1',
        'warn',
        `The base URL ends in /v1 (${upstream.url}); the SDKs append /v1/messages themselves, so requests go to /v1/v1/messages and fail with 404: remove the /v1.`,
      );
    }
    if (baseUrl.protocol === 'http:' && !isLoopback(baseUrl)) {
      add(
        'base-url-plain-http',
        'warn',
        `The base URL ${upstream.url} is plain http to a remote host: the API key would cross the network unencrypted; doctor did not send it.`,
      );
    }
    if (baseUrl.hostname !== ANTHROPIC_HOST) {
      add(
        'base-url-custom',
        'info',
        `Requests go to ${upstream.url}, not ${ANTHROPIC_HOST}: whatever serves it (gateway, proxy, lifeline) is part of every stream's path.`,
      );
    }
  }
  const intermediaries = upstream.intermediaries.filter(
    (i) => !(i === 'cloudflare' && baseUrl?.hostname === ANTHROPIC_HOST),
  );
  if (intermediaries.length > 0) {
    add(
      'intermediaries',
      'info',
      `Response headers show intermediaries on the path: ${intermediaries.join(', ')}. Check their idle timeouts and response buffering.`,
    );
  }

  if (env.secrets.ANTHROPIC_API_KEY !== 'set' && env.secrets.ANTHROPIC_AUTH_TOKEN !== 'set') {
    add(
      'no-api-key',
      'warn',
      'Neither ANTHROPIC_API_KEY nor ANTHROPIC_AUTH_TOKEN is set in this environment: SDK clients without an explicit key will fail with an authentication error.',
    );
  }
  for (const [name, value] of Object.entries(env.values)) {
    const ms = timeoutMs(name, value);
    if (ms !== undefined && ms < SHORT_TIMEOUT_MS) {
      add(
        'timeout-short',
        'warn',
        `${name}=${value} is ${formatMs(ms)}: a client timeout this short cuts long generations and streams with long pauses. Raise it, or stream and rely on a stall timer instead.`,
      );
    }
  }

  const pythons = found.python.filter((p) => p.version !== null);
  const executables = new Set(pythons.map((p) => p.executable));
  if (executables.size > 1) {
    const describe = (p: (typeof pythons)[number]) =>
      `${p.command} (${p.version}; ${Object.entries(p.packages)
        .map(([k, v]) => `${k} ${v ?? '-'}`)
        .join(', ')})`;
    add(
      'python-interpreters-differ',
      'info',
      `Different Python interpreters answer to ${pythons.map((p) => p.command).join(' and ')}: ${pythons.map(describe).join(' vs ')}. Make sure the failing program runs the one you think.`,
    );
  }
  if (found.js.packages.every((p) => p.name !== '@anthropic-ai/sdk' || p.version === null)) {
    add(
      'no-js-sdk',
      'info',
      `@anthropic-ai/sdk does not resolve from ${found.js.cwd}; run doctor from your project directory to see its SDK versions.`,
    );
  }

  const order: Record<Severity, number> = { error: 0, warn: 1, info: 2 };
  return out.sort((a, b) => order[a.severity] - order[b.severity]);
}

/**
 * Reads a timeout variable as milliseconds: names ending in _MS are milliseconds, others are
 * taken as seconds (ANTHROPIC_TIMEOUT=600). Retry counts and non-numbers are ignored.
 */
export function timeoutMs(name: string, value: string): number | undefined {
  if (!/TIMEOUT/i.test(name)) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return /_MS$/i.test(name) ? n : n * 1000;
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
