/**
 * The proxy's logger: pino, JSON, one line per request. Bodies are never logged; credential
 * headers are redacted by pino itself as a second line of defence, should a header object ever
 * reach a log call.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.js';

const CREDENTIALS = ['x-api-key', 'authorization', 'proxy-authorization', 'cookie'];

/** pino `redact` paths for the credential headers, wherever a headers object is logged. */
export const REDACT_PATHS: string[] = CREDENTIALS.flatMap((name) => [
  `headers["${name}"]`,
  `req.headers["${name}"]`,
  `*.headers["${name}"]`,
]);

export function createProxyLogger(
  level: LogLevel,
  destination?: DestinationStream | NodeJS.WritableStream,
): Logger {
  const options = {
    level,
    base: { name: 'lifeline-proxy' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined
    ? pino(options)
    : pino(options, destination as DestinationStream);
}
