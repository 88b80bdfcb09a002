/**
 * The environment variables that decide where a client's requests go and how long it waits:
 * base URL, proxies, timeouts, Node and TLS settings. Secrets are reduced to set / not set
 * before anything else sees them, and URLs lose their credentials.
 */
import type { EnvironmentReport } from './snapshot.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Variables recorded by value (after redaction) when set. */
const KNOWN = [
  'ANTHROPIC_BASE_URL',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'no_proxy',
  'NODE_OPTIONS',
  'NODE_USE_ENV_PROXY',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'ANTHROPIC_LOG',
] as const;

/** Secrets always reported (set / not set), even when absent. */
const SECRETS = ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN'] as const;

// Client timeouts and retry counts: ANTHROPIC_TIMEOUT, API_TIMEOUT_MS, LIFELINE_STALL_TIMEOUT_MS, ...
const TIMEOUT_LIKE =
  /^(?:ANTHROPIC|LIFELINE|CLAUDE|API|HTTPX|UNDICI)_\w*(?:TIMEOUT|RETRIES|RETRY)\w*$/i;
// Names that may hold a credential; their values are never recorded.
const SECRET_LIKE = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;
const ANTHROPIC_SECRET = /^(?:ANTHROPIC|CLAUDE)_\w*(?:KEY|TOKEN)$/i;

export const PROXY_VARS = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY'] as const;

export function collectEnvironment(env: Env): EnvironmentReport {
  const values: Record<string, string> = {};
  const secrets: Record<string, 'set' | 'not set'> = {};
  for (const name of SECRETS) secrets[name] = isSet(env[name]) ? 'set' : 'not set';
  const names = new Set<string>(KNOWN);
  for (const name of Object.keys(env)) {
    if (TIMEOUT_LIKE.test(name) || ANTHROPIC_SECRET.test(name)) names.add(name);
  }
  for (const name of [...names].sort()) {
    const value = env[name];
    if (SECRET_LIKE.test(name) && name !== 'NODE_TLS_REJECT_UNAUTHORIZED') {
      if (isSet(value) || (SECRETS as readonly string[]).includes(name)) {
        secrets[name] = isSet(value) ? 'set' : 'not set';
      }
      continue;
    }
    if (isSet(value)) values[name] = redact(value);
  }
  return { values: sortRecord(values), secrets: sortRecord(secrets) };
}

/**
 * Removes credentials from URL-like text: `scheme://user:pass@host` keeps only the host,
 * `user:pass@host:port` (no scheme) likewise, and query strings (which may carry tokens) go.
 */
export function redact(value: string): string {
  return value
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1<redacted>@')
    .replace(/^[^/\s@:]+:[^/\s@]+@/, '<redacted>@')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?]+)\?\S*/gi, '$1?<redacted>');
}

/** The proxy a proxy-aware client (httpx, curl, undici EnvHttpProxyAgent) would use for `url`. */
export function proxyFor(url: URL, env: Env): string | undefined {
  if (bypassesProxy(url, env.NO_PROXY ?? env.no_proxy)) return undefined;
  const https = url.protocol === 'https:';
  const candidates = https
    ? [env.HTTPS_PROXY, env.https_proxy, env.ALL_PROXY, env.all_proxy]
    : [env.HTTP_PROXY, env.http_proxy, env.ALL_PROXY, env.all_proxy];
  return candidates.find(isSet);
}

/** NO_PROXY as curl and httpx read it: `*`, or a comma list of host suffixes with optional port. */
function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (!isSet(noProxy)) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const [entryHost = '', entryPort] = entry.replace(/^\*?\./, '.').split(/:(?=\d+$)/);
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = entryHost.replace(/^\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function sortRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
