/**
 * Pattern builders shared by the knowledge-base files. Kept tiny: the entries themselves
 * should read as data.
 */
import type { SignaturePattern } from '../signature.js';

/** A key phrase (see SignaturePattern): case, whitespace and quotes do not matter. */
export function phrase(text: string, weight: number): SignaturePattern {
  return { phrase: text, weight };
}

/** A regular expression over the normalised text. */
export function regex(pattern: RegExp, weight: number): SignaturePattern {
  return { regex: pattern, weight };
}

/**
 * An HTTP status code in the forms clients print it: `Error code: 529 - {` (Python SDK),
 * `529 {"type":"error"` (TypeScript SDK), `status: 529` / `status_code=529` (inspected
 * errors, logs) and `HTTP/1.1 529` (raw responses). A bare number is not enough: ports, line
 * numbers and byte counts are full of them.
 */
export function statusCode(code: number, weight: number): SignaturePattern {
  return regex(
    new RegExp(
      `(?:Error code: ${code}\\b|\\b${code} [{(]|\\bstatus(?:_code|Code)?['"]?\\s*[:=]\\s*${code}\\b|HTTP/[\\d.]+ ${code}\\b)`,
      'i',
    ),
    weight,
  );
}
