import { describe, expect, it } from 'vitest';
import { probeBinary } from '../helpers/binaries.js';

describe('probeBinary', () => {
  it('accepts a binary whose probe exits 0', () => {
    expect(probeBinary({ command: process.execPath, args: ['--version'] })).toBeUndefined();
  });

  it('says why a missing binary is not usable', () => {
    expect(probeBinary({ command: 'lifeline-no-such-binary' })).toMatch(/ENOENT/);
  });

  it('says which probe failed and how', () => {
    const problem = probeBinary({ command: process.execPath, args: ['-e', 'process.exit(3)'] });
    expect(problem).toContain('exited 3');
  });
});
