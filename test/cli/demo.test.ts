/** `npm run demo` (the README's first command): the reported drop fails plainly, completes through lifeline. */
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';

describe('lifeline demo', () => {
  it('shows the plain SDK failing, the analysis, and the recovery through lifeline', async () => {
    const lines: string[] = [];
    const code = await runDemo((line) => lines.push(line));
    // picocolors colours output under CI=true even without a TTY: compare the plain text.
    const out = lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
    expect(code).toBe(0);
    expect(out).toMatch(/failed after 38 complete content blocks/);
    expect(out).toMatch(/other side closed/);
    expect(out).toMatch(
      /38 content blocks streamed before the drop.*input_json_delta at 20 bytes.*~42 KB/,
    );
    expect(out).toMatch(/completed: 41 content blocks \(scenario: 41\), stop_reason end_turn/);
    expect(out).toMatch(/attempt 2 \(continue\).*completed/);
    expect(out).toMatch(/container container_\w+ reused/);
  });
});
