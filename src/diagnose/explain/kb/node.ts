/**
 * Node.js transport errors: the global fetch and undici (what the Anthropic TypeScript SDK
 * and the AI SDK run on), the `http` module, and system errors (ECONNRESET, ...). Node prints
 * the wrapper first (`TypeError: fetch failed`, `TypeError: terminated`) and the reason in
 * `[cause]`, so the cause carries most of the weight here.
 */
import type { Signature } from '../signature.js';
import { phrase, regex } from './evidence.js';

const UNDICI_DOCS = 'undici: Errors';
const NODE_ERRORS_DOCS = 'Node.js docs: Errors (Common system errors)';
const STREAMING_DOCS = 'Anthropic API docs: Streaming Messages';

export const NODE_SIGNATURES: readonly Signature[] = [
  {
    id: 'node-fetch-terminated',
    title: 'Node fetch: response body terminated (TypeError: terminated)',
    patterns: [
      regex(/\b(?:Type|Anthropic)?Error: terminated\b/, 12),
      phrase('other side closed', 10),
      phrase('UND_ERR_SOCKET', 8),
      regex(/\bSocketError\b/, 2),
    ],
    meaning:
      "Node's fetch (undici) was reading the response body when the connection ended. The cause says how: `SocketError: other side closed` (UND_ERR_SOCKET) is a clean close by the peer before the body was complete; `read ECONNRESET` is an abrupt reset. On an Anthropic stream this is a mid-stream drop; the TypeScript SDK surfaces it as `terminated` and keeps the partial message only in MessageStream.currentMessage.",
    category: 'network/transport',
    likelyCauses: [
      'An intermediary (proxy, load balancer, NAT gateway) closed the connection on an idle or duration timeout.',
      'The upstream or a proxy restarted during the stream.',
      'The network path changed (VPN reconnect, Wi-Fi roaming, laptop sleep).',
      'Your own reverse proxy or server framework has a response timeout shorter than the stream.',
    ],
    fixes: [
      'Resume instead of starting over: put lifeline in the path (SDK middleware, fetch wrapper or proxy).',
      "Find and raise the intermediary's idle or duration timeout; compare environments with `lifeline doctor --json` and `lifeline diff`.",
      'Make sure ping events reach the client (no SSE buffering): `lifeline doctor --sse`.',
      'If you handle it yourself, catch the error and keep MessageStream.currentMessage rather than discarding it.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'This is the drop lifeline is built for: it continues the partial message and splices the continuation into one stream the SDK accepts.',
    docs: [UNDICI_DOCS, 'Node.js docs: fetch', STREAMING_DOCS],
  },
  {
    id: 'node-econnreset',
    title: 'Node: connection reset (ECONNRESET)',
    generic: true,
    patterns: [
      regex(/\bECONNRESET\b/, 12),
      phrase('read ECONNRESET', 3),
      regex(/errno:? -104\b/, 2),
    ],
    meaning:
      'The peer or an intermediary reset the TCP connection. Before the response it means the request got no answer; during a stream it is an abrupt mid-stream drop.',
    category: 'network/transport',
    likelyCauses: [
      'A proxy, load balancer or firewall killed the connection (idle timeout, connection limit, deploy).',
      'A pooled keep-alive socket was reused after the server had closed it.',
      'The upstream process crashed.',
    ],
    fixes: [
      'Retry requests that had not started, and resume streams from the partial message (lifeline does both).',
      "Keep client keep-alive shorter than the server's (undici Agent keepAliveTimeout, http.Agent freeSocketTimeout).",
      'Compare environments with `lifeline doctor --json` and `lifeline diff`.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'Before the first event lifeline retries the request; after it, lifeline resumes from the partial message.',
    docs: [NODE_ERRORS_DOCS],
  },
  {
    id: 'node-epipe',
    title: 'Node: broken pipe while sending (EPIPE)',
    patterns: [regex(/\bEPIPE\b/, 14), regex(/write EPIPE/, 2), regex(/errno:? -32\b/, 1)],
    meaning:
      'The client was still writing the request (headers or body) when the other side closed the connection. The request was not fully sent, so no response will come on this connection.',
    category: 'network/transport',
    likelyCauses: [
      'A large request body (images, long history) refused mid-upload by a proxy body limit or the server.',
      'A pooled keep-alive connection closed by the server just as a new request was written on it.',
      'A proxy that closes connections on a timeout while uploads are slow.',
    ],
    fixes: [
      'Retry: the request did not complete, so it is safe to send again.',
      'Check body-size limits on proxies in front of the API (nginx client_max_body_size).',
      "Keep the client's keep-alive timeout below the server's.",
    ],
    lifelineRecovers: 'yes',
    recoveryNote: 'No event had arrived, so lifeline retries the original request with backoff.',
    docs: [NODE_ERRORS_DOCS],
  },
  {
    id: 'node-socket-hang-up',
    title: 'Node http: socket hang up',
    patterns: [phrase('socket hang up', 16)],
    meaning:
      "Node's http client saw the connection close before a response arrived: the server (or a proxy) closed the socket without answering. The error carries code ECONNRESET.",
    category: 'network/transport',
    likelyCauses: [
      'A reused keep-alive socket that the server had just closed (a race on idle timeout).',
      'A proxy or gateway closed the request without an HTTP answer (request timeout, limits).',
      'The server crashed or restarted while handling the request.',
      'Plain HTTP sent to an HTTPS port, or the other way round.',
    ],
    fixes: [
      'Retry: no response had started, so it is safe.',
      "Keep the client's keep-alive timeout below the server's.",
      'Check the scheme and port of the base URL (`lifeline doctor`), and the proxy or server logs for the request.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'No event had arrived, so lifeline retries the original request unchanged with backoff.',
    docs: ['Node.js docs: HTTP (http.request)', NODE_ERRORS_DOCS],
  },
  {
    id: 'node-http-aborted',
    title: 'Node http: response aborted (Error: aborted)',
    patterns: [regex(/\bError: aborted\b/, 12), phrase('connResetException', 4)],
    meaning:
      "Node's http client had started receiving the response when the connection closed: the body is incomplete. On a stream read through the http module (or a library built on it, such as node-fetch v2 or axios) this is a mid-stream drop.",
    category: 'network/transport',
    likelyCauses: [
      'An intermediary closed the long-lived connection on a timeout.',
      'The upstream or a proxy restarted during the response.',
    ],
    fixes: [
      'Resume from the partial message (lifeline proxy or fetch wrapper).',
      "Find and raise the intermediary's timeout; compare environments with `lifeline doctor` and `lifeline diff`.",
    ],
    lifelineRecovers: 'yes',
    recoveryNote: 'A cut stream is resumed from the partial message and spliced into one stream.',
    docs: ['Node.js docs: HTTP (http.IncomingMessage)', STREAMING_DOCS],
  },
  {
    id: 'undici-body-timeout',
    title: 'undici: no body data within bodyTimeout (UND_ERR_BODY_TIMEOUT)',
    patterns: [
      phrase('UND_ERR_BODY_TIMEOUT', 14),
      phrase('BodyTimeoutError', 4),
      phrase('Body Timeout Error', 4),
    ],
    meaning:
      "No body bytes arrived for undici's bodyTimeout (300 s by default) while the response was streaming, so undici aborted it; fetch reports this as `TypeError: terminated` with this cause. The Anthropic API sends ping events, so a silence this long means the stream stalled or something in between is holding it back.",
    category: 'network/transport',
    likelyCauses: [
      'An intermediary buffers SSE (nginx with proxy_buffering on, some corporate proxies), so nothing arrives until the end.',
      'The upstream stalled.',
      'A bodyTimeout set lower than the pauses a stream can have, behind a proxy that strips pings.',
    ],
    fixes: [
      'Check for SSE buffering: `lifeline doctor --sse` (or --sse-url for your proxy).',
      'If the pauses are real, raise bodyTimeout on the dispatcher: new Agent({ bodyTimeout: 600_000 }), passed to fetch or the SDK (fetchOptions.dispatcher).',
      "Let lifeline's stall timer (90 s by default) detect the stall and resume instead.",
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      "lifeline treats a stalled stream as failed and resumes it from the partial message; its stall timer fires before undici's.",
    docs: [UNDICI_DOCS, STREAMING_DOCS],
  },
  {
    id: 'undici-headers-timeout',
    title: 'undici: response headers not received in time (UND_ERR_HEADERS_TIMEOUT)',
    patterns: [
      phrase('UND_ERR_HEADERS_TIMEOUT', 14),
      phrase('HeadersTimeoutError', 4),
      phrase('Headers Timeout Error', 4),
    ],
    meaning:
      "The response headers did not arrive within undici's headersTimeout (300 s by default). Streaming Messages responses send headers at once, so this points to a non-streaming request with a long generation, or to something in between holding the response.",
    category: 'network/transport',
    likelyCauses: [
      'A non-streaming Messages request that takes longer than 300 s (large max_tokens, extended thinking).',
      'A proxy or gateway that buffers the whole response before sending headers.',
      'The upstream is overloaded and queueing requests.',
    ],
    fixes: [
      'Stream long requests (stream: true, or messages.stream() and finalMessage()).',
      'Raise headersTimeout on the undici Agent only if you must wait for a non-streaming response.',
      'Check proxies between you and the API with `lifeline doctor`.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'Nothing had been received, so lifeline can retry, but a request that always needs longer than the timeout will time out again: stream it.',
    docs: [UNDICI_DOCS],
  },
  {
    id: 'node-econnrefused',
    title: 'Node: connection refused (ECONNREFUSED)',
    patterns: [
      regex(/\bECONNREFUSED\b/, 14),
      regex(/connect ECONNREFUSED \S+/, 2),
      regex(/errno:? -111\b/, 1),
    ],
    meaning:
      'Nothing was listening at the address the client connected to; the connection was refused and the request never left.',
    category: 'deployment config',
    likelyCauses: [
      'ANTHROPIC_BASE_URL or the proxy URL points at the wrong host or port.',
      'A local proxy (lifeline, LiteLLM, a corporate agent) is not running, or listens on another interface (127.0.0.1 versus ::1 for "localhost").',
      'Inside a container, "localhost" is the container, not the host machine.',
    ],
    fixes: [
      'Run `lifeline doctor` to see which base URL and proxies this process uses.',
      'Start the proxy, or fix the host and port.',
      'From a container, use the service name or host.docker.internal instead of localhost.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries connection errors with backoff, which covers an upstream that is restarting; a wrong address needs a configuration fix.',
    docs: [NODE_ERRORS_DOCS],
  },
  {
    id: 'node-etimedout',
    title: 'Node: connection timed out (ETIMEDOUT)',
    patterns: [
      regex(/\bETIMEDOUT\b/, 14),
      regex(/connect ETIMEDOUT/, 2),
      regex(/errno:? -110\b/, 1),
    ],
    meaning:
      'A TCP operation timed out at the operating-system level: the connection attempt got no answer, or data on an open connection was never acknowledged.',
    category: 'network/transport',
    likelyCauses: [
      'A firewall silently drops traffic to the upstream.',
      'This network needs a proxy, and Node does not use HTTPS_PROXY by itself.',
      'A broken IPv6 route to a host that resolves to IPv6 and IPv4.',
      'On an open stream: the NAT or firewall state for the connection expired.',
    ],
    fixes: [
      'Test egress from the same host: `curl -v --connect-timeout 10 https://api.anthropic.com/v1/models`.',
      'If a proxy is required, give Node a proxy dispatcher (undici EnvHttpProxyAgent, or NODE_USE_ENV_PROXY=1 on Node 24+), or use the lifeline proxy.',
      'Try `--dns-result-order=ipv4first` in NODE_OPTIONS if IPv6 is broken.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries timeouts and resumes streams that die mid-way, but a blocked path needs a network fix.',
    docs: [NODE_ERRORS_DOCS],
  },
  {
    id: 'undici-connect-timeout',
    title: 'undici: connect timed out (UND_ERR_CONNECT_TIMEOUT)',
    patterns: [
      phrase('UND_ERR_CONNECT_TIMEOUT', 14),
      phrase('ConnectTimeoutError', 4),
      phrase('Connect Timeout Error', 4),
    ],
    meaning:
      'undici could not complete the TCP/TLS connection within its connect timeout (10 s by default). No request was sent.',
    category: 'network/transport',
    likelyCauses: [
      'A firewall silently drops traffic to the upstream.',
      'This network needs a proxy and Node is not using one (Node fetch ignores HTTPS_PROXY unless told).',
      'A broken IPv6 route.',
    ],
    fixes: [
      'Test egress: `curl -v --connect-timeout 10 https://api.anthropic.com/v1/models`.',
      'Configure a proxy dispatcher for Node if the network requires one; `lifeline doctor` shows the proxy variables.',
      'Prefer IPv4 (`--dns-result-order=ipv4first`) if IPv6 is broken.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries connection failures with backoff; a blocked path needs a network fix.',
    docs: [UNDICI_DOCS],
  },
  {
    id: 'node-enotfound',
    title: 'Node: host name did not resolve (ENOTFOUND / EAI_AGAIN)',
    patterns: [
      regex(/\bENOTFOUND\b/, 14),
      regex(/\bEAI_AGAIN\b/, 12),
      regex(/getaddrinfo (?:ENOTFOUND|EAI_AGAIN)/, 4),
    ],
    meaning:
      'DNS lookup for the host failed: the name does not exist (ENOTFOUND) or the resolver did not answer (EAI_AGAIN). No connection was attempted.',
    category: 'deployment config',
    likelyCauses: [
      'A typo in ANTHROPIC_BASE_URL or a proxy host name.',
      'No DNS inside a container or sandbox, or a network without internet access.',
      'VPN split DNS that resolves the name only on the VPN.',
    ],
    fixes: [
      'Check the host in the message against `lifeline doctor` (base URL and proxies).',
      'Resolve it from the same host: `getent hosts api.anthropic.com`, and check /etc/resolv.conf.',
      'In containers, check the DNS settings of the runtime.',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'lifeline retries transient failures only; a name that does not resolve needs the address or DNS fixed.',
    docs: [NODE_ERRORS_DOCS],
  },
  {
    id: 'node-fetch-failed',
    title: 'Node fetch: fetch failed (look at the cause)',
    generic: true,
    patterns: [regex(/\bTypeError: fetch failed\b/, 10), phrase('fetch failed', 2)],
    meaning:
      "Node's fetch could not complete the request before a response arrived. `fetch failed` is only a wrapper: the reason is in its [cause] (ECONNREFUSED, ENOTFOUND, UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT, a certificate error, ...).",
    category: 'network/transport',
    likelyCauses: [
      'Any connection, DNS, TLS or header-timeout failure; the cause names it.',
      'The cause was lost because only error.message was logged.',
    ],
    fixes: [
      'Print the cause (console.error(err) or util.inspect(err, { depth: 5 })) and run `lifeline explain` on the whole output.',
      'Run `lifeline doctor` to check the base URL, proxies and reachability.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'Transient causes are retried by lifeline before the stream starts; configuration causes need a fix.',
    docs: ['Node.js docs: fetch', UNDICI_DOCS],
  },
  {
    id: 'tls-untrusted-certificate',
    title: 'TLS: certificate not trusted (corporate TLS inspection or missing CA)',
    patterns: [
      phrase('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 18),
      phrase('SELF_SIGNED_CERT_IN_CHAIN', 18),
      phrase('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 18),
      phrase('CERTIFICATE_VERIFY_FAILED', 18),
      phrase('unable to get local issuer certificate', 10),
      phrase('self-signed certificate in certificate chain', 10),
    ],
    meaning:
      "The TLS connection was refused because the server's certificate chain does not lead to a trusted root. Behind a corporate proxy that inspects TLS, the proxy presents its own certificate, which the runtime does not trust.",
    category: 'deployment config',
    likelyCauses: [
      "A TLS-inspecting proxy or antivirus whose root CA is installed in the OS but not in Node's or Python's CA store.",
      'A lifeline or other local proxy served over HTTPS with a self-signed certificate.',
      'An outdated CA bundle (certifi) in the Python environment.',
    ],
    fixes: [
      "Give the runtime your organisation's CA: NODE_EXTRA_CA_CERTS=/path/ca.pem for Node; SSL_CERT_FILE=/path/ca.pem for Python httpx.",
      'Update the CA bundle (pip install -U certifi).',
      'Do not disable verification (NODE_TLS_REJECT_UNAUTHORIZED=0, verify=False): it exposes the API key.',
    ],
    lifelineRecovers: 'no',
    recoveryNote: 'The connection is refused by the client for safety; only a trust fix helps.',
    docs: ['Node.js docs: Command-line options (NODE_EXTRA_CA_CERTS)', 'httpx: SSL'],
  },
];
