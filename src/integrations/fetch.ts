/**
 * A `fetch` wrapper: streaming `POST /v1/messages` requests gain resumption; every other
 * request goes to the underlying fetch unchanged. Works with any client that accepts a custom
 * fetch, e.g. the Vercel AI SDK's `createAnthropic({ fetch: lifelineFetch() })` or
 * `new Anthropic({ fetch: lifelineFetch() })`.
 */
import { type LifelineOptions, type OutgoingRequest, protect, protectable } from './protect.js';

/** The shape of `fetch` that `lifelineFetch` wraps and returns. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Options of `lifelineFetch`: those of the engine (`LifelineOptions`) and the fetch to wrap. */
export interface LifelineFetchOptions extends LifelineOptions {
  /** The fetch to wrap (default: the global fetch). */
  fetch?: FetchLike;
}

async function describe(
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<OutgoingRequest> {
  if (input instanceof Request) {
    const body = init?.body ?? (input.body === null ? undefined : await input.clone().text());
    return {
      url: input.url,
      method: init?.method ?? input.method,
      headers: new Headers(init?.headers ?? input.headers),
      body: typeof body === 'string' ? body : undefined,
      signal: init?.signal ?? input.signal,
    };
  }
  const body = init?.body;
  let text: string | undefined;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = new TextDecoder().decode(body);
  return {
    url: String(input),
    method: init?.method ?? 'GET',
    headers: new Headers(init?.headers),
    body: text,
    signal: init?.signal ?? undefined,
  };
}

/**
 * Wraps a fetch so that streaming `POST /v1/messages` requests resume when their stream drops.
 *
 * Every other request goes to the underlying fetch unchanged. Use it with any client that takes
 * a custom fetch: `createAnthropic({ fetch: lifelineFetch() })` (Vercel AI SDK) or
 * `new Anthropic({ fetch: lifelineFetch() })`.
 *
 * @param options - the engine's options, the logger, and `fetch`: the fetch to wrap (default:
 *   the global one).
 * @returns a fetch with the same signature.
 */
export function lifelineFetch(options: LifelineFetchOptions = {}): FetchLike {
  const base: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  return async (input, init) => {
    const request = await describe(input, init);
    const body = protectable(request);
    if (body === undefined) return base(input, init);
    return protect(
      request,
      body,
      (attempt) =>
        base(attempt.url, {
          ...init,
          method: attempt.method,
          headers: attempt.headers,
          body: attempt.body ?? null,
          signal: attempt.signal ?? null,
        }),
      options,
    );
  };
}
