/**
 * The proxy's settings: defaults, environment, a JSON config file, command-line flags.
 *
 * Precedence, highest first: flags > config file > environment > defaults. The config file is
 * checked with zod: an unknown key or a wrong type is an error naming the file and the field,
 * never silently ignored (a typo in `stallTimeoutMs` must not leave the default in place).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LifelineError } from '../errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

const upstreamUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an http:// or https:// URL, e.g. "https://api.anthropic.com"' },
);

/** The config file's shape (every field optional; unknown keys rejected). */
export const proxyConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65_535),
    host: z.string().min(1),
    upstream: upstreamUrl,
    traceDir: z.string().min(1),
    traceContent: z.boolean(),
    upgradeNonstreaming: z.boolean(),
    /**
     * How upstream silences are judged: `adaptive` (budgets from what the stream does, between
     * stallFloorMs and stallTimeoutMs) or `fixed` (every silence gets stallTimeoutMs).
     */
    stall: z.enum(['adaptive', 'fixed']),
    /** The longest silence tolerated (adaptive: the ceiling; fixed: the timeout). */
    stallTimeoutMs: positiveInt,
    /** The shortest adaptive budget: a dead connection mid-text is resumed after this long. */
    stallFloorMs: positiveInt,
    maxAttempts: z.number().int().min(1).max(100),
    /** Backoff base and cap, and the overall deadline of one request's attempts. */
    baseDelayMs: nonNegativeInt,
    maxDelayMs: nonNegativeInt,
    deadlineMs: positiveInt,
    /** SSE comments downstream while recovering, every N ms (0 disables). */
    keepAliveMs: nonNegativeInt,
    /**
     * Largest request body the proxy accepts, on every path (streamed or passed through): a
     * larger one is refused with 413 request_too_large.
     */
    maxBodyBytes: positiveInt,
    /** Per-path overrides of maxBodyBytes, by exact path: {"/v1/files": 524288000}. */
    maxBodyBytesByPath: z.record(z.string(), positiveInt).superRefine((record, ctx) => {
      for (const path of Object.keys(record)) {
        if (!/^\/\S*$/.test(path)) {
          ctx.addIssue({
            code: 'custom',
            path: [path],
            message: 'paths start with "/" and hold no spaces, e.g. "/v1/files"',
          });
        }
      }
    }),
    /**
     * Requests forwarded upstream at once (streams and passthrough alike; 0: no cap). One more
     * is answered at once with 529 overloaded_error and retry-after, which clients retry.
     */
    maxConcurrentRequests: nonNegativeInt,
    /** Length of the listen queue (connections the kernel accepts before the proxy takes them). */
    listenBacklog: positiveInt,
    /**
     * After SIGTERM/SIGINT: how long open requests may still run. Meanwhile the proxy keeps
     * listening: /healthz and /readyz answer 503, new requests get 503 with retry-after.
     */
    shutdownDeadlineMs: nonNegativeInt,
    /** Cap on connections per upstream origin (0: no cap; each open stream holds one). */
    upstreamConnections: nonNegativeInt,
    logLevel: z.enum(LOG_LEVELS),
    /** The user message of a continuation turn. */
    instruction: z.string().min(1),
    /** Characters of the partial text quoted in a continuation turn (0: none; default 100). */
    instructionTail: nonNegativeInt,
    thinking: z.enum(['hold', 'stream']),
    /**
     * Resumable downstream: every event carries an SSE id, and a client that lost its
     * connection gets the rest with `GET /v1/lifeline/streams/{id}` (see docs/gateway.md).
     */
    resumable: z.boolean(),
    /** Where the stream logs live: "memory" (this process) or a redis:// or rediss:// URL. */
    store: z.string().refine((value) => value === 'memory' || /^rediss?:\/\/./.test(value), {
      message: 'must be "memory" or a redis:// or rediss:// URL, e.g. "redis://127.0.0.1:6379"',
    }),
    /** How long an ended stream's log is kept for reconnects, ms. */
    resumableTtlMs: positiveInt,
    /** The memory store's limit on all logs together, bytes. */
    resumableMaxBytes: positiveInt,
    /** One stream's log limit, bytes (past it, the stream goes on but cannot be resumed). */
    resumableMaxStreamBytes: positiveInt,
    /**
     * Redis store: how long a running stream's lease lasts unless its instance renews it (every
     * third of it). When an instance dies, its streams are taken over this long after.
     */
    leaseMs: z.number().int().min(300),
    /**
     * `lifeline proxy` only: worker processes (node:cluster) sharing the port; "auto": one per
     * CPU (default 1). `startProxy` runs in its caller's process and does not read it.
     */
    workers: z.union([z.number().int().min(1), z.literal('auto')]),
    /** Serve the status page at /lifeline (default false). */
    statusPage: z.boolean(),
    /** Answer the status page for clients other than loopback (default false). */
    statusPageRemote: z.boolean(),
  })
  .partial()
  .strict();

export type ProxyConfig = z.infer<typeof proxyConfigSchema>;

type DefaultedKey =
  | 'port'
  | 'host'
  | 'upstream'
  | 'traceContent'
  | 'upgradeNonstreaming'
  | 'stall'
  | 'stallTimeoutMs'
  | 'stallFloorMs'
  | 'maxAttempts'
  | 'keepAliveMs'
  | 'maxBodyBytes'
  | 'maxConcurrentRequests'
  | 'listenBacklog'
  | 'shutdownDeadlineMs'
  | 'upstreamConnections'
  | 'logLevel';

/** Settings with every defaulted field filled in. */
export type ResolvedProxyConfig = Omit<ProxyConfig, DefaultedKey> &
  Required<Pick<ProxyConfig, DefaultedKey>>;

export const DEFAULT_CONFIG: Readonly<Required<Pick<ProxyConfig, DefaultedKey>>> = {
  port: 8787,
  host: '127.0.0.1',
  upstream: 'https://api.anthropic.com',
  traceContent: false,
  upgradeNonstreaming: false,
  stall: 'adaptive',
  stallTimeoutMs: 90_000,
  // Clamped to stallTimeoutMs when that is set lower.
  stallFloorMs: 10_000,
  maxAttempts: 6,
  keepAliveMs: 5_000,
  maxBodyBytes: 32 * 1024 * 1024,
  maxConcurrentRequests: 5_000,
  // Linux caps it at net.core.somaxconn (4096 since kernel 5.4, 128 before).
  listenBacklog: 4_096,
  shutdownDeadlineMs: 30_000,
  upstreamConnections: 0,
  logLevel: 'info',
};

/** A user-facing settings error (bad file, bad field, bad flag); the CLI exits 2 on it. */
export class ProxyConfigError extends LifelineError {
  readonly type = 'config' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ProxyConfigError';
  }
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fieldAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let at: unknown = input;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

/** Validates a parsed config object; `source` names it in errors (a file path, "environment"). */
export function parseProxyConfig(input: unknown, source: string): ProxyConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ProxyConfigError(
      `${source}: the config must be a JSON object such as {"port": 8787, "upstream": "https://api.anthropic.com"}`,
    );
  }
  const parsed = proxyConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const known = Object.keys(proxyConfigSchema.shape).join(', ');
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} (known fields: ${known})`;
    }
    const field = issue.path.map(String).join('.');
    const got = fieldAt(input, issue.path);
    return `field "${field}": ${issue.message} (got ${describeValue(got)})`;
  });
  throw new ProxyConfigError(`${source}: ${problems.join('; ')}`);
}

/** Reads and validates a JSON config file. */
export function loadProxyConfigFile(path: string): ProxyConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
    throw new ProxyConfigError(`config file ${path}: cannot read it (${why})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProxyConfigError(
      `config file ${path}: not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  return parseProxyConfig(json, `config file ${path}`);
}

/** Settings from LIFELINE_PORT, LIFELINE_HOST, LIFELINE_UPSTREAM and LIFELINE_LOG_LEVEL. */
export function proxyConfigFromEnv(env: NodeJS.ProcessEnv): ProxyConfig {
  const raw: Record<string, unknown> = {};
  const port = env.LIFELINE_PORT;
  if (port !== undefined && port !== '') {
    const n = Number(port);
    raw.port = Number.isInteger(n) ? n : port;
  }
  if (env.LIFELINE_HOST) raw.host = env.LIFELINE_HOST;
  if (env.LIFELINE_UPSTREAM) raw.upstream = env.LIFELINE_UPSTREAM;
  if (env.LIFELINE_LOG_LEVEL) raw.logLevel = env.LIFELINE_LOG_LEVEL;
  const names: Record<string, string> = {
    port: 'LIFELINE_PORT',
    host: 'LIFELINE_HOST',
    upstream: 'LIFELINE_UPSTREAM',
    logLevel: 'LIFELINE_LOG_LEVEL',
  };
  try {
    return parseProxyConfig(raw, 'environment');
  } catch (err) {
    if (!(err instanceof ProxyConfigError)) throw err;
    // Say which variable, not which config field.
    let message = err.message;
    for (const [field, name] of Object.entries(names))
      message = message.replace(`field "${field}"`, name);
    throw new ProxyConfigError(message);
  }
}

/**
 * Merges the layers: flags over the config file (`--config`, else LIFELINE_CONFIG) over the
 * environment over defaults.
 */
export function resolveProxyConfig(
  flags: ProxyConfig & { config?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ResolvedProxyConfig {
  const fromEnv = proxyConfigFromEnv(env);
  const file = flags.config ?? (env.LIFELINE_CONFIG || undefined);
  const fromFile = file === undefined ? {} : loadProxyConfigFile(file);
  const { config: _config, ...flagValues } = flags;
  const fromFlags = parseProxyConfig(dropUndefined(flagValues), 'command line');
  return { ...DEFAULT_CONFIG, ...fromEnv, ...fromFile, ...fromFlags };
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
