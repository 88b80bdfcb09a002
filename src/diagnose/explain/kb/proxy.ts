/**
 * Proxies, gateways and load balancers between the client and the API: what they print (error
 * pages, error-log lines) and what they do to long SSE streams (buffer them, time them out,
 * cut them).
 */
import type { Signature } from '../signature.js';
import { phrase, regex, statusCode } from './evidence.js';

const NGINX_PROXY_DOCS = 'nginx: ngx_http_proxy_module';
const STREAMING_DOCS = 'Anthropic API docs: Streaming Messages';

export const PROXY_SIGNATURES: readonly Signature[] = [
  {
    id: 'nginx-proxy-buffering',
    title: 'Proxy buffers the SSE stream (nginx proxy_buffering)',
    patterns: [
      phrase('proxy_buffering on', 14),
      phrase('X-Accel-Buffering', 10),
      phrase('proxy_buffering', 8),
      regex(
        /\b(?:arrives?|arrived|came|comes|delivered|appears?|shows? up|dumped)(?: all)? at once\b/i,
        8,
      ),
      regex(
        /\bSSE\b.{0,100}\bbuffer(?:s|ed|ing)?\b|\bbuffer(?:s|ed|ing)?\b.{0,100}\b(?:SSE|event[- ]stream)\b/i,
        6,
      ),
      regex(/\bin one burst\b/i, 6),
      regex(/\bbehind (?:our |the |an? |my )?(?:nginx|reverse proxy|proxy|gateway|ingress)\b/i, 4),
      regex(/\b(?:whole|entire|full) (?:response|answer|stream|output)\b/i, 2),
      phrase('sse-buffered', 6),
    ],
    meaning:
      'A reverse proxy collects the upstream response before passing it on (nginx does by default: proxy_buffering on), so the SSE events reach the client in one burst at the end instead of as they are produced. Clients see no progress, read timeouts fire, pings never arrive in time, and a drop loses everything.',
    category: 'deployment config',
    likelyCauses: [
      'nginx with proxy_buffering on (the default) in the location that proxies /v1/messages.',
      'gzip or another filter that needs the whole body before sending.',
      'A corporate proxy or antivirus that scans whole responses.',
      'A serverless platform or API gateway that buffers response bodies.',
    ],
    fixes: [
      'In nginx, for the API location: proxy_buffering off; proxy_cache off; proxy_http_version 1.1; or have the upstream send the header X-Accel-Buffering: no.',
      'Turn off gzip for text/event-stream.',
      'Confirm the fix: `lifeline doctor --sse-url <URL through the proxy>` should report streaming, not buffered; `curl -N` should print events one by one.',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'Buffering happens outside the client; lifeline cannot make a buffering proxy stream, though it still resumes if the buffered connection later drops.',
    docs: [`${NGINX_PROXY_DOCS} (proxy_buffering)`, STREAMING_DOCS],
  },
  {
    id: 'nginx-504-gateway-timeout',
    title: 'nginx: 504 Gateway Time-out (upstream timed out)',
    patterns: [
      phrase('504 Gateway Time-out', 12),
      regex(/upstream timed out \(110: (?:Connection|Operation) timed out\)/, 16),
      regex(/<center>nginx(?:\/[\d.]+)?<\/center>|\bServer: nginx\b/i, 4),
      phrase('GatewayTimeoutError', 3),
    ],
    meaning:
      'nginx waited for the upstream longer than its timeout (proxy_read_timeout, 60 s by default, counted between two reads) and answered 504 itself.',
    category: 'deployment config',
    likelyCauses: [
      'proxy_read_timeout (60 s default) shorter than the time to first byte of a non-streaming request, or than a silence in a buffered stream.',
      'The upstream behind nginx is overloaded or stuck.',
    ],
    fixes: [
      'Raise proxy_read_timeout and proxy_send_timeout for the API location (for example 600s).',
      'Stream, and turn proxy_buffering off so bytes (and pings) flow and the read timer keeps resetting.',
      'Check the upstream that nginx proxies to for its own slowness.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      "lifeline retries a 504 that arrives before any event, but if the proxy's timeout is shorter than the model's time to first byte every retry hits it again: raise the timeout.",
    docs: [`${NGINX_PROXY_DOCS} (proxy_read_timeout)`],
  },
  {
    id: 'nginx-upstream-prematurely-closed',
    title: 'nginx: upstream prematurely closed connection',
    patterns: [
      phrase('upstream prematurely closed connection while reading upstream', 18),
      phrase('upstream prematurely closed connection', 14),
    ],
    meaning:
      "nginx's error log: the server behind nginx closed its connection before sending the whole response. nginx then cuts the client's response, which the client sees as an incomplete chunked read, `terminated` or a reset.",
    category: 'deployment config',
    likelyCauses: [
      "The app server behind nginx has a shorter timeout than the stream (gunicorn's 30 s worker timeout, a uvicorn or Node server timeout).",
      "The upstream keep-alive timeout is shorter than nginx's, and nginx reused a closing connection.",
      'The upstream process crashed or was restarted mid-response.',
    ],
    fixes: [
      "Raise the app server's timeout above your longest stream (gunicorn --timeout, Node server.requestTimeout).",
      "Make the upstream's keep-alive timeout longer than nginx's upstream keepalive_timeout.",
      'Check the upstream logs at the same time stamp for a crash or timeout.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'With lifeline between the client and nginx (or in the client), the cut stream is resumed from the partial message.',
    docs: [NGINX_PROXY_DOCS, STREAMING_DOCS],
  },
  {
    id: 'proxy-502-bad-gateway',
    title: 'Proxy: 502 Bad Gateway (the proxy could not reach its upstream)',
    patterns: [
      phrase('502 Bad Gateway', 12),
      regex(/connect\(\) failed \(111: Connection refused\) while connecting to upstream/, 16),
      phrase('no live upstreams', 12),
      statusCode(502, 4),
    ],
    meaning:
      'A proxy or gateway answered 502: it could not get a valid response from the server behind it (refused, reset, or an invalid reply).',
    category: 'deployment config',
    likelyCauses: [
      'The upstream behind the proxy is down, restarting or listening on another port.',
      'The upstream closed a kept-alive connection the proxy reused.',
      'A load balancer with no healthy targets.',
    ],
    fixes: [
      'Check the proxy error log for the upstream address and reason.',
      'Check that the upstream is running and healthy on the address the proxy uses.',
      'Retry: a 502 before any response is safe to retry.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote: 'lifeline retries a 502 that arrives before any event, with backoff.',
    docs: [NGINX_PROXY_DOCS],
  },
  {
    id: 'service-unavailable-503',
    title: '503 Service Unavailable (gateway, load balancer or API temporarily unavailable)',
    patterns: [
      phrase('503 Service Unavailable', 12),
      phrase('Service Temporarily Unavailable', 12),
      regex(/\bServiceUnavailableError\b/, 8),
      statusCode(503, 6),
    ],
    meaning:
      'Something on the path answered 503: the service behind it is temporarily unable to take the request (no healthy backend, overloaded, in maintenance). It came before any stream.',
    category: 'deployment config',
    likelyCauses: [
      'A gateway or load balancer with no healthy targets (deploying, failing health checks).',
      'A rate-limiting or overloaded proxy in front of the API.',
      'A temporary API-side unavailability.',
    ],
    fixes: [
      'Retry with backoff, honouring retry-after if present.',
      'Look at which component answered (Server header, error page) and check its backends.',
      'If it comes from your gateway, check its health checks and capacity.',
    ],
    lifelineRecovers: 'yes',
    recoveryNote:
      'lifeline retries a 503 that arrives before any event, with backoff and retry-after.',
    docs: ['Anthropic API docs: Errors', NGINX_PROXY_DOCS],
  },
  {
    id: 'envoy-upstream-reset',
    title: 'Envoy / Istio: upstream connect error or disconnect/reset before headers',
    patterns: [
      phrase('upstream connect error or disconnect/reset before headers', 18),
      regex(
        /reset reason: (?:connection termination|connection failure|overflow|remote reset|local reset)/i,
        6,
      ),
      phrase('upstream request timeout', 10),
    ],
    meaning:
      'Envoy (an Istio or other service-mesh sidecar, or an Envoy-based gateway) could not get response headers from its upstream: the connection failed, was reset, or timed out, and Envoy answered 503 (or 504 for "upstream request timeout") itself.',
    category: 'deployment config',
    likelyCauses: [
      'The route timeout (15 s by default in Envoy) is shorter than the time to the first byte of a non-streaming request.',
      'The egress path to the API is blocked or needs an egress gateway / ServiceEntry in the mesh.',
      'The upstream closed a pooled connection Envoy reused (idle timeout mismatch).',
    ],
    fixes: [
      'Raise or disable the route timeout for the API route (timeout: 0s for streaming routes), and set a stream idle timeout longer than your longest silence.',
      'Declare the external API host for mesh egress (Istio ServiceEntry) if outbound traffic is restricted.',
      'Stream long requests so headers arrive at once.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries failures before the first event, but a route timeout shorter than the time to first byte fails every retry: fix the timeout.',
    docs: ['Envoy docs: Route timeouts', 'Istio docs: Accessing external services'],
  },
  {
    id: 'nginx-413-body-too-large',
    title: 'nginx: 413 Request Entity Too Large (client_max_body_size)',
    patterns: [
      phrase('Request Entity Too Large', 12),
      phrase('client intended to send too large body', 16),
      phrase('client_max_body_size', 10),
    ],
    meaning:
      'A proxy in front of the API (nginx by default allows 1 MB bodies) refused the request body before it reached the API. Requests with images, PDFs or long histories exceed this easily.',
    category: 'deployment config',
    likelyCauses: [
      'nginx client_max_body_size left at its 1 MB default on the proxy in front of the API.',
      'A similar body limit on another gateway or ingress controller.',
    ],
    fixes: [
      'Raise client_max_body_size (for example 32m, the Messages API limit) in the proxy location.',
      'On Kubernetes ingress-nginx: the nginx.ingress.kubernetes.io/proxy-body-size annotation.',
    ],
    lifelineRecovers: 'no',
    recoveryNote:
      'The proxy rejects the body before anything streams; only its limit can change that.',
    docs: ['nginx: ngx_http_core_module (client_max_body_size)'],
  },
  {
    id: 'gunicorn-worker-timeout',
    title: 'gunicorn: worker timeout killed a streaming response',
    patterns: [phrase('WORKER TIMEOUT', 16), regex(/\bgunicorn\b/i, 2)],
    meaning:
      'gunicorn killed a worker that was busy longer than its --timeout (30 s by default). A sync worker streaming a long response is "busy" for the whole stream, so the stream is cut.',
    category: 'deployment config',
    likelyCauses: [
      'A Python app relays Anthropic streams from sync gunicorn workers with the default 30 s timeout.',
    ],
    fixes: [
      'Use async workers (uvicorn.workers.UvicornWorker, gevent) for streaming endpoints.',
      'Or raise --timeout above your longest stream.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      "lifeline resumes the client's stream after the cut, but each resume risks the same kill until the timeout is fixed.",
    docs: ['gunicorn: Settings (timeout)'],
  },
  {
    id: 'lb-idle-timeout-aws-alb',
    title: 'AWS load balancer: idle timeout (ALB/ELB, 60 s by default)',
    patterns: [
      phrase('awselb', 16),
      regex(/\b(?:ALB|ELB|application load balancer|elastic load balanc\w*)\b/i, 6),
      regex(/\bidle[ _-]?timeout\b/i, 5),
      regex(/\b60 ?s(?:ec(?:ond)?s?)?\b/i, 2),
      phrase('504 Gateway Time-out', 3),
      phrase('502 Bad Gateway', 3),
    ],
    meaning:
      'An AWS Application (or Classic) Load Balancer closes a connection when no byte has crossed it for its idle timeout, 60 s by default. A stream that pauses longer (long thinking, a large tool input built up in silence, a buffering proxy behind it) is cut, or the client gets a 504 from awselb.',
    category: 'deployment config',
    likelyCauses: [
      'The idle timeout is left at 60 s on a load balancer in front of a service that relays Anthropic streams.',
      'Something behind the load balancer buffers the stream, so no bytes flow for minutes.',
    ],
    fixes: [
      'Raise the load balancer idle timeout (attribute idle_timeout.timeout_seconds, up to 4000 s).',
      'Make sure bytes flow: no buffering behind the balancer, so the API pings pass through (or send SSE comments as keep-alives).',
      "Keep the target's keep-alive timeout above the balancer's idle timeout to avoid 502s.",
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline resumes a stream the balancer cut and sends keep-alive comments while it recovers, but a stream silent for longer than the idle timeout is cut again until the timeout is raised.',
    docs: [
      'AWS Elastic Load Balancing: Application Load Balancer attributes (connection idle timeout)',
    ],
  },
  {
    id: 'cloudflare-524',
    title: 'Cloudflare: 524 A timeout occurred (100 s without a response)',
    patterns: [
      phrase('Error code 524', 14),
      phrase('524: A timeout occurred', 14),
      statusCode(524, 8),
      phrase('A timeout occurred', 4),
      regex(/\bcloudflare\b|\bcf-ray\b|Ray ID/i, 4),
    ],
    meaning:
      "Cloudflare reached your origin, but the origin did not send an HTTP response within Cloudflare's proxy read timeout (100 s on most plans), so Cloudflare answered 524.",
    category: 'deployment config',
    likelyCauses: [
      'A non-streaming request relayed through Cloudflare that takes more than 100 s to first byte.',
      'An origin that buffers the Anthropic stream and answers only at the end.',
    ],
    fixes: [
      'Stream, and send response headers as soon as the upstream does, so bytes flow within 100 s.',
      'Route the API traffic around Cloudflare (a DNS-only host) if responses must take longer.',
      'On Enterprise plans the proxy read timeout can be raised.',
    ],
    lifelineRecovers: 'partly',
    recoveryNote:
      'lifeline retries a 524 that arrives before any event, but a request that always needs more than 100 s before its first byte hits it again.',
    docs: ['Cloudflare docs: Error 524'],
  },
];
