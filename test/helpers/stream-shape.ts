/**
 * What a well-formed Messages stream is, checked on the bytes a client received: one
 * message_start first, contiguous block indices each started and stopped once, one
 * message_delta, one message_stop at the end. Shared by the fault matrix and the platform
 * matrices.
 */
import { SseDecoder } from '../../src/sse/index.js';

/** Checks the downstream bytes form one well-formed Messages stream; returns problems found. */
export function streamProblems(bytes: Uint8Array): string[] {
  const decoder = new SseDecoder();
  const events = [...decoder.push(bytes), ...decoder.end()];
  const problems: string[] = [];
  const types = events.map((e) => e.event ?? 'message');
  const count = (t: string) => types.filter((x) => x === t).length;
  if (types[0] !== 'message_start') problems.push(`first event is ${types[0]}`);
  if (count('message_start') !== 1) problems.push(`${count('message_start')} message_start`);
  if (count('message_delta') !== 1) problems.push(`${count('message_delta')} message_delta`);
  if (count('message_stop') !== 1 || types.at(-1) !== 'message_stop')
    problems.push('message_stop not once at the end');
  let open = -1;
  let next = 0;
  for (const e of events) {
    if (e.event === 'content_block_start') {
      const { index } = JSON.parse(e.data) as { index: number };
      if (open !== -1) problems.push(`block ${index} started while ${open} open`);
      if (index !== next) problems.push(`block index ${index}, expected ${next}`);
      open = index;
      next++;
    } else if (e.event === 'content_block_delta') {
      const { index } = JSON.parse(e.data) as { index: number };
      if (index !== open) problems.push(`delta for ${index} while ${open} open`);
    } else if (e.event === 'content_block_stop') {
      const { index } = JSON.parse(e.data) as { index: number };
      if (index !== open) problems.push(`stop for ${index} while ${open} open`);
      open = -1;
    }
  }
  if (open !== -1) problems.push(`block ${open} never stopped`);
  return problems;
}
