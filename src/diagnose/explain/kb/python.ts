/**
 * Python transport errors: httpx/httpcore (what the `anthropic` Python SDK runs on) and
 * requests/urllib3. The messages are the ones these libraries print; httpcore raises first
 * and httpx re-raises the same message, so a traceback usually shows both.
 */
import type { Signature } from '../signature.js';
import { phrase, regex } from './evidence.js';

const HTTPX_DOCS = 'httpx: Exceptions';
const STREAMING_DOCS = 'Anthropic API docs: Streaming Messages';
const ERRORS_DOCS = 'Anthropic API docs: Errors';

export const PYTHON_SIGNATURES: readonly Signature[] = [
  {
    id: 'httpx-incomplete-chunked-read',
    title: 'httpx: connection closed in the middle of the response body (incomplete chunked read)',
    patterns: [
      phrase('incomplete chunked read', 16),
      phrase('peer closed connection without sending complete message body', 12),
      regex(/\b(?:httpx|httpcore|h11[._\w]*)\.RemoteProtocolError\b/, 3),
    ],
    meaning:
      'The server, or something between you and it, closed the connection while the chunked response body was still arriving. On an Anthropic stream this is the classic mid-stream drop: the events received so far are valid, the rest (and message_stop) never came.',
    category: 'network/transport',
    likelyCauses: [
      'An intermediary (corporate proxy, load balancer, NAT gateway, service-mesh sidecar) closed a long-lived connection on an idle or maximum-duration timeout.',
      'The upstream or a proxy was restarted or redeployed during the response.',
      'The network path dropped (VPN reconnect, Wi-Fi roaming, laptop sleep).',
      'A reverse proxy of your own (nginx, Envoy) cut the response at its read or send timeout.',
    ],
    fixes: [
      'Resume rather than start over: keep the partial message and continue it (lifeline does this for you as SDK middleware, fetch wrapper or proxy).',
      'Find the intermediary whose idle or duration timeout is shorter than your longest stream and raise it (nginx proxy_read_timeout, AWS ALB idle timeout 60 s, Cloudflare 100 s).',
      'Run `lifeline doctor --json` on a failing host and on a working one, then `lifeline diff` the two snapshots.',
      'If drops follow long pauses (large tool inputs, long thinking), check that nothing buffers the stream: `lifeline doctor --sse`.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'This is the failure lifeline exists for: it keeps the partial message, continues it with a continuation turn (or a prefill on older models) and splices the attempts into one stream.',
    docs: [HTTPX_DOCS, STREAMING_DOCS, ERRORS_DOCS],
  },
  {
    id: 'httpx-server-disconnected',
    title: 'httpx: server disconnected without sending a response',
    patterns: [
      phrase('Server disconnected without sending a response', 16),
      regex(/\b(?:httpx|httpcore)\.RemoteProtocolError\b/, 3),
    ],
    meaning:
      'The connection closed before any response header arrived. Most often the client reused a pooled keep-alive connection that the server or a proxy had already closed.',
    category: 'network/transport',
    likelyCauses: [
      'A race on a reused keep-alive connection: the server or proxy closed it after its idle timeout just as the client sent a new request on it.',
      'A proxy or load balancer dropped the request without an HTTP answer.',
      'The upstream crashed or restarted while the request was in flight.',
    ],
    fixes: [
      'Retry: no response had started, so a retry is safe (the Anthropic SDKs retry this by default, max_retries=2).',
      "Expire pooled connections before the server does: httpx.Limits(keepalive_expiry=...) shorter than the server's or proxy's idle timeout.",
      'If it happens on every request, check the proxy or upstream logs for the request: something refuses it outright.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'No event had arrived, so lifeline retries the original request unchanged (the restart strategy) with backoff.',
    docs: [HTTPX_DOCS, ERRORS_DOCS],
  },
  {
    id: 'httpx-read-timeout',
    title: 'httpx: read timed out (ReadTimeout)',
    patterns: [
      regex(/\b(?:httpx|httpcore)\.ReadTimeout\b/, 14),
      regex(/\bReadTimeout\b/, 4),
      phrase('The read operation timed out', 3),
    ],
    meaning:
      "No byte arrived within the client's read timeout. Before the response it means the server was slow to answer; during a stream it means the stream went silent (no event, not even a ping) for longer than the timeout.",
    category: 'network/transport',
    likelyCauses: [
      'A non-streaming request whose generation takes longer than the read timeout (large max_tokens, extended thinking).',
      'An intermediary buffers the SSE stream, so nothing arrives until the whole response is done.',
      'The connection died silently (NAT or firewall state dropped, no reset reached the client).',
      'A timeout lowered on the client (Anthropic(timeout=...)) or per request.',
    ],
    fixes: [
      'Stream long requests; the API sends ping events, so a healthy stream does not go quiet for long.',
      'If you lowered the timeout, raise it, e.g. Anthropic(timeout=httpx.Timeout(600, connect=10)).',
      'Check for SSE buffering between you and the API: `lifeline doctor --sse`.',
      'Look for proxies or NAT gateways that drop idle connections without telling the client.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      "lifeline's stall timer treats a silent stream as failed and resumes it from the partial message; before the first event it retries the request.",
    docs: [HTTPX_DOCS, STREAMING_DOCS, 'Anthropic Python SDK: Timeouts'],
  },
  {
    id: 'httpx-connect-error',
    title: 'httpx: could not connect (ConnectError)',
    patterns: [
      regex(/\b(?:httpx|httpcore)\.ConnectError\b/, 14),
      phrase('All connection attempts failed', 6),
      phrase('[Errno 111] Connection refused', 3),
      phrase('Name or service not known', 3),
      phrase('Temporary failure in name resolution', 3),
      phrase('Network is unreachable', 3),
    ],
    meaning:
      'The TCP or TLS connection to the upstream could not be set up, so the request was never sent. The text after ConnectError says which step failed: refused, name resolution, unreachable network, or TLS.',
    category: 'network/transport',
    likelyCauses: [
      'A wrong ANTHROPIC_BASE_URL or proxy address (host or port).',
      'DNS failure ([Errno -2] Name or service not known, [Errno -3] Temporary failure in name resolution).',
      'No route to the internet from this host, or a firewall blocking port 443.',
      'A proxy is required on this network but HTTPS_PROXY is not set for this process.',
    ],
    fixes: [
      'Run `lifeline doctor` to see the base URL, the proxy variables and whether the upstream answers.',
      'Check the host and port named in the message; try `curl -v https://api.anthropic.com/v1/models` from the same host.',
      'Set HTTPS_PROXY (and NO_PROXY) if this network requires a proxy.',
      'Retry with backoff if it only happens now and then.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries connect errors before the stream starts, which covers blips and restarts; a wrong address, missing proxy or DNS problem needs a configuration fix.',
    docs: [HTTPX_DOCS, ERRORS_DOCS],
  },
  {
    id: 'httpx-connect-timeout',
    title: 'httpx: connect timed out (ConnectTimeout)',
    patterns: [regex(/\b(?:httpx|httpcore)\.ConnectTimeout\b/, 14), regex(/\bConnectTimeout\b/, 4)],
    meaning:
      'The TCP or TLS handshake did not finish within the connect timeout: packets to the upstream went unanswered. Nothing was sent.',
    category: 'network/transport',
    likelyCauses: [
      'A firewall silently drops traffic to the upstream (no egress to port 443).',
      'This network needs a proxy and none is configured for the process.',
      'A broken IPv6 route: the host resolves to an AAAA address that cannot be reached.',
      'A very short connect timeout under load.',
    ],
    fixes: [
      'Check egress from the same host: `curl -v --connect-timeout 10 https://api.anthropic.com/v1/models`.',
      'Configure HTTPS_PROXY if the network requires one; `lifeline doctor` shows what is set.',
      'Prefer IPv4 if IPv6 is broken on this network.',
      'Raise the connect timeout only after ruling out the above.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries connection failures with backoff, which helps when the network is briefly congested, not when the path is blocked.',
    docs: [HTTPX_DOCS, ERRORS_DOCS],
  },
  {
    id: 'httpx-read-error',
    title: 'httpx: the connection failed while reading (ReadError)',
    patterns: [regex(/\b(?:httpx|httpcore)\.ReadError\b/, 16), phrase('[Errno 104]', 2)],
    meaning:
      'The socket failed while the response was being read, usually because the other side reset the TCP connection ([Errno 104] Connection reset by peer). During a stream it is a mid-stream drop like an incomplete chunked read, only abrupt (a reset instead of a clean close).',
    category: 'network/transport',
    likelyCauses: [
      'A proxy, load balancer or firewall killed the connection (idle timeout, connection limit, deploy).',
      'The upstream process died mid-response.',
      'A TLS error on an established connection (an empty ReadError message often means this).',
    ],
    fixes: [
      'Resume the stream from its partial message instead of starting over (lifeline does this).',
      'Compare a failing and a working environment: `lifeline doctor --json` on both, then `lifeline diff`.',
      'Raise idle timeouts on intermediaries that cut long streams.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'Before the first event lifeline retries the request; after it, lifeline resumes from the partial message.',
    docs: [HTTPX_DOCS, STREAMING_DOCS],
  },
  {
    id: 'httpx-pool-timeout',
    title: 'httpx: no free connection in the pool (PoolTimeout)',
    patterns: [regex(/\b(?:httpx|httpcore)\.PoolTimeout\b/, 16), regex(/\bPoolTimeout\b/, 4)],
    meaning:
      "Every connection in the client's pool was in use and none became free within the pool timeout. The request never left your process.",
    category: 'local runtime',
    likelyCauses: [
      'More concurrent requests than the pool allows (httpx.Limits(max_connections=...)).',
      'Streams or responses that are never closed keep their connection checked out (a `with client.messages.stream(...)` block left without closing the stream, a response never read).',
      'A client created per request, each with its own small pool, under high concurrency.',
    ],
    fixes: [
      'Close every stream and response: use the context managers (`with client.messages.stream(...) as stream:`).',
      'Limit concurrency (a semaphore) or raise max_connections to match it.',
      'Share one client per process instead of creating one per request.',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'The failure is inside your process before any request is sent; lifeline cannot free connections your code holds.',
    docs: [HTTPX_DOCS, 'httpx: Resource Limits'],
  },
  {
    id: 'httpx-local-protocol-error',
    title: 'httpx/h11: request refused by the client itself (LocalProtocolError)',
    patterns: [
      regex(/\b(?:httpx|httpcore|h11[._\w]*)\.LocalProtocolError\b/, 16),
      phrase('Illegal header value', 4),
      phrase('Too much data for declared Content-Length', 4),
    ],
    meaning:
      'The HTTP client refused to send a request that breaks HTTP/1.1 rules, such as a header value containing a line break or a body longer than its Content-Length. Nothing reached the server.',
    category: 'local runtime',
    likelyCauses: [
      'The API key (or another header) has a trailing newline or carriage return: read from a file, or from a .env file with CRLF line ends.',
      'A Content-Length header set by hand that does not match the body.',
      'A custom header built from unsanitised input.',
    ],
    fixes: [
      'Strip the key before use: Anthropic(api_key=key.strip()). To check the environment without printing the key: python3 -c "import os; print(repr(os.environ[\'ANTHROPIC_API_KEY\'][-1:]))".',
      'Do not set Content-Length yourself; let httpx compute it.',
      'Print repr() of any custom header value to spot hidden characters.',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'The request is malformed before it leaves the client; fix the header or body.',
    docs: [HTTPX_DOCS],
  },
  {
    id: 'requests-chunked-encoding-error',
    title:
      'requests/urllib3: connection broken in the middle of the body (ChunkedEncodingError, IncompleteRead)',
    patterns: [
      regex(/\bChunkedEncodingError\b/, 14),
      phrase('Connection broken: IncompleteRead', 14),
      phrase('Connection broken: InvalidChunkLength', 14),
      regex(/\bIncompleteRead\(\d+ bytes read/, 4),
      regex(/\burllib3\.exceptions\.ProtocolError\b/, 4),
    ],
    meaning:
      'requests (through urllib3) lost the connection while reading a chunked response body: it ended before the final zero-length chunk. On an SSE stream this is a mid-stream drop.',
    category: 'network/transport',
    likelyCauses: [
      'An intermediary closed the long-lived connection on an idle or duration timeout.',
      'The upstream or a proxy restarted during the response.',
      'A flaky network path.',
    ],
    fixes: [
      'Resume from the partial message instead of repeating the whole request (lifeline does this; point requests at the lifeline proxy).',
      "Find and raise the intermediary's timeout; compare environments with `lifeline doctor` and `lifeline diff`.",
      'Consider the official `anthropic` SDK, which retries connection errors before the stream starts.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'Through the lifeline proxy, a cut stream is resumed from the partial message and the client receives one complete stream.',
    docs: ['requests: Exceptions', 'urllib3: Exceptions', STREAMING_DOCS],
  },
  {
    id: 'connection-reset-104',
    title: 'Connection reset by peer (ConnectionResetError, errno 104)',
    generic: true,
    patterns: [
      regex(/\bConnectionResetError\b/, 10),
      phrase('Connection reset by peer', 10),
      regex(/\[Errno 104\]|ConnectionResetError\(104\b/, 4),
      phrase('Connection aborted.', 3),
    ],
    meaning:
      'The remote side (the server or something in between) aborted the TCP connection with a reset. Before the response it means the request got no answer; during a stream it is an abrupt mid-stream drop.',
    category: 'network/transport',
    likelyCauses: [
      'A proxy or load balancer killed the connection (idle timeout, connection limit, deploy).',
      'A pooled keep-alive connection was reset when reused after the server had dropped it.',
      'A firewall or intrusion-prevention system injected a reset.',
    ],
    fixes: [
      'Retry requests that had not started, and resume streams from the partial message (lifeline does both).',
      "Expire pooled connections before the server's or proxy's idle timeout does.",
      'Compare a failing and a working environment with `lifeline doctor --json` and `lifeline diff`.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'Before the first event lifeline retries the request; after it, lifeline resumes from the partial message.',
    docs: ['Python docs: Built-in Exceptions (ConnectionResetError)', 'requests: Exceptions'],
  },
];
