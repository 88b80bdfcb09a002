/**
 * The error-signature knowledge base: every failure `lifeline explain` can name, grouped by
 * the layer that prints it. The entries are data (see `signature.ts` for the shape); the files
 * in kb/ hold them by family so each stays readable.
 */
import { API_SIGNATURES } from './kb/api.js';
import { NODE_SIGNATURES } from './kb/node.js';
import { PLATFORM_SIGNATURES } from './kb/platforms.js';
import { PROXY_SIGNATURES } from './kb/proxy.js';
import { PYTHON_SIGNATURES } from './kb/python.js';
import { SDK_SIGNATURES } from './kb/sdk.js';
import type { Signature } from './signature.js';

export const SIGNATURES: readonly Signature[] = [
  ...PYTHON_SIGNATURES,
  ...NODE_SIGNATURES,
  ...SDK_SIGNATURES,
  ...API_SIGNATURES,
  ...PLATFORM_SIGNATURES,
  ...PROXY_SIGNATURES,
];

/** Looks a signature up by id. */
export function getSignature(id: string): Signature | undefined {
  return SIGNATURES.find((s) => s.id === id);
}
