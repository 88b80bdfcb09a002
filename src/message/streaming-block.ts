/**
 * One content block between its `content_block_start` and `content_block_stop`.
 *
 * Deltas are kept as a fragment list and joined once, at stop or when a snapshot asks for
 * the text: appending to a string per delta copies the growing text again and again in the
 * worst case, and a tool input arrives as thousands of small `input_json_delta`s.
 *
 * Which delta changes which block follows `@anthropic-ai/sdk`'s `MessageStream` (so that a
 * finished block equals the SDK's): `text_delta`/`citations_delta` apply to `text` blocks,
 * `thinking_delta`/`signature_delta` to `thinking`, `compaction_delta` to `compaction`, and
 * `input_json_delta` to tool-input blocks. One deliberate difference: the SDK applies
 * `input_json_delta` only to the three tool types it knows; we apply it to every block of the
 * `tool_input` category, so a future `*_tool_use` keeps its input instead of ending as `{}`.
 * A delta of a type we do not know is kept as it came and leaves the block unchanged (the
 * SDK ignores it too).
 */
import type {
  BlockCategory,
  ContentBlock,
  ContentBlockDelta,
  UnknownDelta,
} from '../protocol/index.js';
import { blockCategory } from '../protocol/index.js';
import { utf8ByteLength } from './sizes.js';
import { JSON_BUF_PROPERTY, parseToolInput, type ToolInputIssue } from './tool-input.js';

/** The view of an open block that a snapshot gives. */
export interface OpenBlock {
  /** Stream index from `content_block_start`. */
  index: number;
  /** Block type. */
  type: string;
  category: BlockCategory;
  /** The `content_block_start` payload as received (unknown fields kept). */
  start: ContentBlock;
  /**
   * Text so far (`text`), thinking so far (`thinking`), `partial_json` so far (`tool_input`),
   * each after the start payload's own text if it had any; `''` for other blocks.
   */
  text: string;
  /** `thinking`: the signature, once a `signature_delta` arrived. */
  signature: string | undefined;
  /** `text`: citations from `citations_delta`, in order (`undefined` if none arrived). */
  citations: unknown[] | undefined;
  /**
   * UTF-8 bytes of `text_delta`/`thinking_delta`/`input_json_delta` payloads received in this
   * block (also counted when the delta did not fit the block type and was not applied).
   */
  receivedBytes: number;
  deltaCount: number;
  lastDeltaType: string | undefined;
  /** Deltas of types we do not know, kept as they came. */
  unknownDeltas: UnknownDelta[];
}

/** Why a delta was not applied to its block. */
export type DeltaRejection = 'type-mismatch' | 'malformed';

const KNOWN_DELTA_TYPES = new Set([
  'text_delta',
  'citations_delta',
  'input_json_delta',
  'thinking_delta',
  'signature_delta',
  'compaction_delta',
]);

type Json = Record<string, unknown>;

function stringField(value: Json, key: string): string | undefined {
  const field = value[key];
  return typeof field === 'string' ? field : undefined;
}

export class StreamingBlock {
  readonly index: number;
  readonly type: string;
  readonly category: BlockCategory;
  readonly start: ContentBlock;

  /** Payload fragments of the block's streamed text/thinking/JSON, joined lazily. */
  #fragments: string[] = [];
  /** Whether any text/thinking/json delta was applied (distinguishes "no delta" from `''`). */
  #applied = false;
  #signature: string | undefined;
  #citations: unknown[] | undefined;
  /** `compaction_delta` carries the block's final value: last one wins. */
  #compaction: { content: unknown; encrypted?: unknown; hasEncrypted: boolean } | undefined;
  #receivedBytes = 0;
  #deltaCount = 0;
  #lastDeltaType: string | undefined;
  #unknownDeltas: UnknownDelta[] = [];

  constructor(index: number, start: ContentBlock) {
    this.index = index;
    this.start = start;
    this.type = start.type;
    this.category = blockCategory(start.type);
  }

  /** Applies one delta; returns why it was not applied, or `undefined` when it was. */
  push(delta: ContentBlockDelta): DeltaRejection | undefined {
    const d = delta as Json & { type: string };
    this.#deltaCount++;
    this.#lastDeltaType = d.type;
    if (!KNOWN_DELTA_TYPES.has(d.type)) {
      this.#unknownDeltas.push(delta as UnknownDelta);
      return undefined;
    }
    switch (d.type) {
      case 'text_delta':
        return this.#appendPayload(stringField(d, 'text'), this.type === 'text');
      case 'thinking_delta':
        return this.#appendPayload(stringField(d, 'thinking'), this.type === 'thinking');
      case 'input_json_delta':
        return this.#appendPayload(stringField(d, 'partial_json'), this.category === 'tool_input');
      case 'citations_delta':
        if (this.type !== 'text') return 'type-mismatch';
        if (this.#citations === undefined) this.#citations = [];
        this.#citations.push(d.citation);
        return undefined;
      case 'signature_delta': {
        const signature = stringField(d, 'signature');
        if (signature === undefined) return 'malformed';
        if (this.type !== 'thinking') return 'type-mismatch';
        this.#signature = signature;
        return undefined;
      }
      default: {
        // compaction_delta
        if (this.type !== 'compaction') return 'type-mismatch';
        const hasEncrypted = 'encrypted_content' in d;
        this.#compaction = { content: d.content, encrypted: d.encrypted_content, hasEncrypted };
        return undefined;
      }
    }
  }

  #appendPayload(payload: string | undefined, applies: boolean): DeltaRejection | undefined {
    if (payload === undefined) return 'malformed';
    this.#receivedBytes += utf8ByteLength(payload);
    if (!applies) return 'type-mismatch';
    this.#fragments.push(payload);
    this.#applied = true;
    return undefined;
  }

  /** Joins the fragments and keeps the result as the only fragment, so a later join is cheap. */
  #joined(): string {
    const fragments = this.#fragments;
    // Stryker disable next-line ConditionalExpression: speed only (joining no fragment gives '' too)
    if (fragments.length === 0) return '';
    // Stryker disable next-line ConditionalExpression: speed only (joining one gives it back)
    if (fragments.length === 1) return fragments[0]!;
    const text = fragments.join('');
    this.#fragments = [text];
    return text;
  }

  #startText(): string {
    const s = this.start as Json;
    if (this.type === 'text') return stringField(s, 'text') ?? '';
    if (this.type === 'thinking') return stringField(s, 'thinking') ?? '';
    return '';
  }

  view(): OpenBlock {
    return {
      index: this.index,
      type: this.type,
      category: this.category,
      start: this.start,
      text: this.#startText() + this.#joined(),
      signature: this.#signature,
      citations: this.#citations?.slice(),
      receivedBytes: this.#receivedBytes,
      deltaCount: this.#deltaCount,
      lastDeltaType: this.#lastDeltaType,
      unknownDeltas: this.#unknownDeltas.slice(),
    };
  }

  /** The complete block, as the SDK would have it after `content_block_stop`. */
  finish(): { block: ContentBlock; issue?: ToolInputIssue } {
    const block: Json = { ...(this.start as Json) };
    const joined = this.#joined();
    if (this.type === 'text') {
      if (this.#applied) block.text = this.#startText() + joined;
      if (this.#citations !== undefined) {
        const before = Array.isArray(block.citations) ? block.citations : [];
        block.citations = [...before, ...this.#citations];
      }
    } else if (this.type === 'thinking') {
      if (this.#applied) block.thinking = this.#startText() + joined;
      if (this.#signature !== undefined) block.signature = this.#signature;
    } else if (this.type === 'compaction') {
      if (this.#compaction !== undefined) {
        block.content = this.#compaction.content;
        if (this.#compaction.hasEncrypted) block.encrypted_content = this.#compaction.encrypted;
      }
    } else if (this.category === 'tool_input' && this.#applied) {
      const { input, issue } = parseToolInput(joined);
      block.input = input;
      if (issue !== undefined) {
        // Where the SDK keeps the raw text too (non-enumerable, so it never reaches the wire).
        Object.defineProperty(block, JSON_BUF_PROPERTY, { value: joined, enumerable: false });
        return { block: block as ContentBlock, issue: { index: this.index, ...issue } };
      }
    }
    return { block: block as ContentBlock };
  }
}
