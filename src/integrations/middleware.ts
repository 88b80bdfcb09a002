/**
 * `@anthropic-ai/sdk` middleware: `new Anthropic({ middleware: [lifelineMiddleware()] })`.
 *
 * Streaming `messages.create({stream: true})`, `messages.stream()` and their beta equivalents
 * gain resumption; non-streaming calls and other endpoints are untouched. The report reaches
 * `onReport` and a logger line (the client's logger by default).
 */
import type { Middleware } from '@anthropic-ai/sdk';
import { type LifelineOptions, protect, protectable } from './protect.js';

/**
 * `@anthropic-ai/sdk` middleware: `new Anthropic({ middleware: [lifelineMiddleware()] })`.
 *
 * Streaming `messages.create({ stream: true })`, `messages.stream()` and their beta equivalents
 * resume when their stream drops; other calls are untouched. Needs `@anthropic-ai/sdk` 1.0 or
 * later (an optional peer dependency).
 *
 * @param options - the engine's options (retry policy, stall timeout, `onReport`, ...) and the
 *   logger for the one-line recovery summary.
 * @returns the middleware, for the client's `middleware` option.
 */
export function lifelineMiddleware(options: LifelineOptions = {}): Middleware {
  return async (request, next, ctx) => {
    const outgoing = {
      url: request.url,
      method: request.method ?? 'GET',
      headers: request.headers,
      body: typeof request.body === 'string' ? request.body : undefined,
      signal: request.signal ?? undefined,
    };
    const body = protectable(outgoing);
    if (body === undefined) return next(request);
    const logger =
      options.logger === undefined
        ? { info: (m: string) => ctx.logger.debug(m), warn: (m: string) => ctx.logger.warn(m) }
        : options.logger;
    return protect(
      outgoing,
      body,
      (attempt) =>
        next({
          ...request,
          url: attempt.url,
          method: attempt.method,
          headers: attempt.headers,
          body: attempt.body ?? null,
          signal: attempt.signal ?? null,
        }),
      { ...options, logger },
    );
  };
}
