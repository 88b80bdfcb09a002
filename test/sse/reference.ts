/**
 * A deliberately plain reading of WHATWG HTML "Interpreting an event stream", used as the
 * oracle in property tests: decode the whole body with TextDecoder (which strips one leading
 * BOM, as the spec's UTF-8 decode does), split lines on CRLF, LF or CR, and follow the field
 * steps word for word. Slow and simple on purpose; never used outside tests.
 */
import type { SseEvent } from '../../src/sse/index.js';

export interface ReferenceResult {
  events: SseEvent[];
  comments: string[];
  retries: number[];
}

export function referenceDecode(bytes: Uint8Array): ReferenceResult {
  const text = new TextDecoder('utf-8').decode(bytes);
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      lines.push(text.slice(start, i));
      if (c === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
    }
  }
  // Whatever follows the last line end is an incomplete line: discarded at end of stream.

  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  let data = '';
  let eventType = '';
  let id: string | undefined;
  let retry: number | undefined;
  for (const line of lines) {
    if (line === '') {
      if (data !== '') {
        events.push({
          event: eventType === '' ? undefined : eventType,
          data: data.endsWith('\n') ? data.slice(0, -1) : data,
          id,
          retry,
        });
      }
      data = '';
      eventType = '';
      id = undefined;
      retry = undefined;
      continue;
    }
    if (line.startsWith(':')) {
      const value = line.slice(1);
      comments.push(value.startsWith(' ') ? value.slice(1) : value);
      continue;
    }
    const colon = line.indexOf(':');
    let field = line;
    let value = '';
    if (colon !== -1) {
      field = line.slice(0, colon);
      value = line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
    }
    if (field === 'event') eventType = value;
    else if (field === 'data') data += `${value}\n`;
    else if (field === 'id') {
      if (!value.includes('\0')) id = value;
    } else if (field === 'retry') {
      if (/^[0-9]+$/.test(value)) {
        retry = Number.parseInt(value, 10);
        retries.push(retry);
      }
    }
  }
  return { events, comments, retries };
}
