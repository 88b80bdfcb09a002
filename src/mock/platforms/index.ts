/**
 * The cloud platforms the mock speaks besides the first-party API: Google Vertex AI and
 * Amazon Bedrock. `matchPlatformRoute` is the router's one hook; the Messages handler then
 * runs the same scenario, continuation and fault logic over the platform's wire shape.
 */
import { BEDROCK_ROUTE, type BedrockOptions, bedrock } from './bedrock.js';
import type { Platform, PlatformRequest } from './types.js';
import { VERTEX_ROUTE, vertex } from './vertex.js';

export {
  type BedrockCredentials,
  type BedrockOptions,
  bedrockExceptionFor,
  chunkFrame,
  decodeFrames,
  exceptionFrame,
  loadBedrockWire,
  streamExceptionFor,
  verifySigV4,
} from './bedrock.js';
export type {
  AuthCheck,
  BodyAdaptation,
  ErrorOrigin,
  Platform,
  PlatformName,
  PlatformRequest,
} from './types.js';
export { googleErrorBody, tokenFingerprint } from './vertex.js';

export interface PlatformOptions {
  bedrock?: BedrockOptions;
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** The platform routes, given the mock's options: `match(method, path)` or undefined. */
export function platformRoutes(options: PlatformOptions = {}) {
  const bedrockPlatform = bedrock(options.bedrock);
  const platforms: Record<Platform['name'], Platform> = { vertex, bedrock: bedrockPlatform };
  return {
    platforms,
    match(method: string | undefined, path: string): PlatformRequest | undefined {
      if (method !== 'POST') return undefined;
      const v = VERTEX_ROUTE.exec(path);
      if (v !== null) {
        const model = decode(v[1]!);
        if (model !== undefined)
          return { platform: vertex, model, stream: v[2]!.toLowerCase() === 'streamrawpredict' };
      }
      const b = BEDROCK_ROUTE.exec(path);
      if (b !== null) {
        const model = decode(b[1]!);
        if (model !== undefined)
          return {
            platform: bedrockPlatform,
            model,
            stream: b[2] === 'invoke-with-response-stream',
          };
      }
      return undefined;
    },
  };
}
