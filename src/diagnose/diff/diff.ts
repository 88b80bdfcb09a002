/**
 * `diff`: compares two doctor snapshots (say, a host where streams fail and one where they do
 * not) and ranks the differences by how likely each is to cause a mid-stream failure.
 *
 * The ranking encodes field experience with cut Anthropic streams: what sits on the path and
 * touches the bytes (buffering, proxies, gateways) first; timeouts next; then the client
 * stack that reads the stream (SDK, HTTP library, runtime); cosmetic differences last.
 */
import { PROXY_VARS } from '../doctor/env.js';
import type { DoctorSnapshot, PythonReport } from '../doctor/snapshot.js';

export const DIFF_SCHEMA = 'lifeline.diff/1';

export interface SnapshotDifference {
  /** What differs, e.g. `sse.verdict`, `env.HTTPS_PROXY`, `js.@anthropic-ai/sdk`. */
  readonly key: string;
  readonly a: string;
  readonly b: string;
  /** 0..100: how likely this difference is to cause a mid-stream failure. */
  readonly risk: number;
  /** One line: why it matters. */
  readonly reason: string;
}

export interface SnapshotDiff {
  readonly schema: typeof DIFF_SCHEMA;
  readonly a: { readonly createdAt: string };
  readonly b: { readonly createdAt: string };
  /** Highest risk first. */
  readonly differences: readonly SnapshotDifference[];
  /** What to do, in order. */
  readonly advice: readonly string[];
}

/** How many differences the advice walks through. */
const ADVICE_STEPS = 5;
const NOT_SET = '(not set)';

/** Risk of each kind of difference; the ranking in one place. */
const RISK = {
  sseBuffered: 100,
  proxyOneSide: 95,
  proxyDiffers: 90,
  via: 88,
  intermediaries: 85,
  baseUrl: 80,
  timeout: 75,
  noProxy: 70,
  reachability: 65,
  sdkMajor: 60,
  sseFailed: 60,
  pythonHttpMajor: 55,
  aiSdkMajor: 55,
  nodeMajor: 50,
  undiciMajor: 50,
  nodeOptions: 45,
  tls: 40,
  status: 35,
  sdkMinor: 30,
  pythonVersion: 30,
  latency: 30,
  otherEnv: 25,
  packageMinor: 20,
  secrets: 20,
  nodeMinor: 15,
  sseProbedOneSide: 10,
  platform: 10,
  lifeline: 5,
} as const;

export function diffSnapshots(a: DoctorSnapshot, b: DoctorSnapshot): SnapshotDiff {
  const out: SnapshotDifference[] = [];
  const add = (key: string, av: string, bv: string, risk: number, reason: string) => {
    if (av !== bv) out.push({ key, a: av, b: bv, risk, reason });
  };

  // The path: what touches the bytes between client and API.
  const buffered = (s: DoctorSnapshot) => s.sse.verdict === 'buffered';
  if (buffered(a) !== buffered(b)) {
    add(
      'sse.verdict',
      a.sse.verdict,
      b.sse.verdict,
      RISK.sseBuffered,
      'SSE is buffered on one side only: events arrive in one burst at the end, so clients time out waiting and a drop loses the whole answer.',
    );
  } else if (a.sse.verdict !== b.sse.verdict) {
    const skipped = a.sse.verdict === 'skipped' || b.sse.verdict === 'skipped';
    add(
      'sse.verdict',
      a.sse.verdict,
      b.sse.verdict,
      skipped ? RISK.sseProbedOneSide : RISK.sseFailed,
      skipped
        ? 'SSE was probed on one side only: run `lifeline doctor --sse` (or --sse-url) on both to compare.'
        : 'The SSE probe did not complete on one side: the stream path itself is failing there.',
    );
  }
  for (const name of PROXY_VARS) {
    const av = envValue(a, name);
    const bv = envValue(b, name);
    const oneSide = (av === NOT_SET) !== (bv === NOT_SET);
    add(
      `env.${name}`,
      av,
      bv,
      oneSide ? RISK.proxyOneSide : RISK.proxyDiffers,
      oneSide
        ? 'A proxy on one side only: proxies are the most common cause of buffered and cut streams (idle timeouts, response buffering).'
        : 'Different proxies: each has its own idle timeout and buffering behaviour.',
    );
  }
  add(
    'upstream.via',
    a.upstream.via,
    b.upstream.via,
    RISK.via,
    'The upstream is reached through a proxy on one side and directly on the other.',
  );
  add(
    'upstream.intermediaries',
    list(a.upstream.intermediaries),
    list(b.upstream.intermediaries),
    RISK.intermediaries,
    'Different intermediaries answer on the path (from response headers): each may buffer or cut long streams.',
  );
  add(
    'upstream.url',
    a.upstream.url,
    b.upstream.url,
    RISK.baseUrl,
    'Requests go to different places: a gateway or proxy base URL adds its own timeouts, buffering and limits.',
  );
  add(
    'env.NO_PROXY',
    envValue(a, 'NO_PROXY'),
    envValue(b, 'NO_PROXY'),
    RISK.noProxy,
    'NO_PROXY decides whether API traffic uses the proxy at all.',
  );

  // Timeouts and settings that end streams.
  for (const name of unionKeys(a.env.values, b.env.values)) {
    if (/^(?:HTTPS?_PROXY|ALL_PROXY|NO_PROXY|ANTHROPIC_BASE_URL)$/i.test(name)) continue;
    const av = envValue(a, name);
    const bv = envValue(b, name);
    if (/TIMEOUT/i.test(name)) {
      add(
        `env.${name}`,
        av,
        bv,
        RISK.timeout,
        'Client timeouts differ: a shorter one cuts long generations and streams with long pauses.',
      );
    } else if (name === 'NODE_OPTIONS') {
      add(
        `env.${name}`,
        av,
        bv,
        RISK.nodeOptions,
        'NODE_OPTIONS changes how Node runs (DNS order, proxies, TLS, memory) for every client.',
      );
    } else if (/CA_CERTS|CERT_FILE|CERT_DIR|CA_BUNDLE|REJECT_UNAUTHORIZED/i.test(name)) {
      add(
        `env.${name}`,
        av,
        bv,
        RISK.tls,
        'Different TLS trust settings usually mean TLS interception (a corporate proxy) on one side.',
      );
    } else {
      add(`env.${name}`, av, bv, RISK.otherEnv, 'A client setting differs.');
    }
  }
  add(
    'upstream.reachable',
    String(a.upstream.reachable),
    String(b.upstream.reachable),
    RISK.reachability,
    'The upstream is unreachable on one side: requests fail there before any stream starts.',
  );
  add(
    'upstream.status',
    String(a.upstream.status ?? '-'),
    String(b.upstream.status ?? '-'),
    RISK.status,
    'The upstream answers differently (credentials or routing differ).',
  );
  const [la, lb] = [a.upstream.headersMs, b.upstream.headersMs];
  if (
    la !== null &&
    lb !== null &&
    Math.max(la, lb) >= 3 * Math.min(la, lb) &&
    Math.abs(la - lb) >= 300
  ) {
    out.push({
      key: 'upstream.latency',
      a: `${la} ms`,
      b: `${lb} ms`,
      risk: RISK.latency,
      reason: 'One path is much slower: more hops or a distant proxy, and more room for idle cuts.',
    });
  }

  // The client stack that reads the stream.
  for (const name of unionKeys(packageMap(a), packageMap(b))) {
    const av = packageMap(a)[name] ?? NOT_SET;
    const bv = packageMap(b)[name] ?? NOT_SET;
    const major = significant(av) !== significant(bv);
    const risk =
      name === '@anthropic-ai/sdk'
        ? major
          ? RISK.sdkMajor
          : RISK.sdkMinor
        : name === 'undici'
          ? major
            ? RISK.undiciMajor
            : RISK.packageMinor
          : major
            ? RISK.aiSdkMajor
            : RISK.packageMinor;
    add(
      `js.${name}`,
      av,
      bv,
      risk,
      major
        ? `Different ${name} releases handle errors, retries and streaming differently.`
        : `Minor ${name} version difference.`,
    );
  }
  for (const command of unionKeys(pythonMap(a), pythonMap(b))) {
    const pa = pythonMap(a)[command];
    const pb = pythonMap(b)[command];
    add(
      `python.${command}`,
      pa?.version ?? NOT_SET,
      pb?.version ?? NOT_SET,
      RISK.pythonVersion,
      'A different Python runs the client (and brings its own packages).',
    );
    for (const pkg of unionKeys(pa?.packages ?? {}, pb?.packages ?? {})) {
      const av = pa?.packages[pkg] ?? NOT_SET;
      const bv = pb?.packages[pkg] ?? NOT_SET;
      const major = significant(av) !== significant(bv);
      const risk = major
        ? pkg === 'anthropic'
          ? RISK.sdkMajor
          : RISK.pythonHttpMajor
        : RISK.packageMinor;
      add(
        `python.${command}.${pkg}`,
        av,
        bv,
        risk,
        major
          ? `Different ${pkg} releases (${command}) handle timeouts, connection reuse and stream errors differently.`
          : `Minor ${pkg} version difference (${command}).`,
      );
    }
  }
  if (a.node.major !== b.node.major) {
    add(
      'node.version',
      a.node.version,
      b.node.version,
      RISK.nodeMajor,
      'Different Node majors bundle different undici versions, whose fetch timeouts and errors differ.',
    );
  } else {
    add(
      'node.version',
      a.node.version,
      b.node.version,
      RISK.nodeMinor,
      'Node minor version difference.',
    );
  }
  for (const name of unionKeys(a.env.secrets, b.env.secrets)) {
    add(
      `env.${name}`,
      a.env.secrets[name] ?? 'not set',
      b.env.secrets[name] ?? 'not set',
      RISK.secrets,
      'Credentials are set on one side only: an auth failure, not a stream failure, but it changes what runs.',
    );
  }
  add(
    'host.platform',
    `${a.host.platform}/${a.host.arch}`,
    `${b.host.platform}/${b.host.arch}`,
    RISK.platform,
    'Different operating system or architecture.',
  );
  add(
    'lifeline',
    a.lifeline,
    b.lifeline,
    RISK.lifeline,
    'Snapshots were taken with different lifeline versions.',
  );

  const differences = out.sort((x, y) => y.risk - x.risk || x.key.localeCompare(y.key));
  return {
    schema: DIFF_SCHEMA,
    a: { createdAt: a.createdAt },
    b: { createdAt: b.createdAt },
    differences,
    advice: advise(differences),
  };
}

function advise(differences: readonly SnapshotDifference[]): string[] {
  if (differences.length === 0) {
    return [
      'No differences that matter for streaming: the cause is probably outside what doctor sees (the network beyond the first proxy, or the workload). Capture a trace of a failing request and run `lifeline analyze` on it.',
    ];
  }
  const steps = differences
    .slice(0, ADVICE_STEPS)
    .map(
      (d, i) =>
        `${i + 1}. ${d.key}: make the two sides match (A: ${d.a}; B: ${d.b}), then rerun the failing workload.`,
    );
  return [
    'Change one thing at a time, most likely first; if the failure stops, the last change was the cause:',
    ...steps,
  ];
}

function envValue(s: DoctorSnapshot, name: string): string {
  return s.env.values[name] ?? s.env.values[name.toLowerCase()] ?? NOT_SET;
}

function packageMap(s: DoctorSnapshot): Record<string, string | undefined> {
  return Object.fromEntries(
    s.js.packages.filter((p) => p.version !== null).map((p) => [p.name, p.version ?? undefined]),
  );
}

function pythonMap(s: DoctorSnapshot): Record<string, PythonReport | undefined> {
  return Object.fromEntries(s.python.filter((p) => p.version !== null).map((p) => [p.command, p]));
}

function unionKeys(...records: ReadonlyArray<Readonly<Record<string, unknown>>>): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
}

/** The part of a version that signals breaking changes: major, or major.minor while 0.x. */
function significant(version: string): string {
  const m = /^(\d+)\.(\d+)/.exec(version);
  if (m === null) return version;
  return m[1] === '0' ? `0.${m[2]}` : (m[1] ?? version);
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join(', ');
}
