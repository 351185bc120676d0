/**
 * Go clients read Ollama's NDJSON with bufio.Scanner and reject any line that is not JSON (go-llm,
 * Ollama's own CLI). A Go program built from main/test-support/go-client must see the same stream
 * through foreman as straight from the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../test-support/spawn-cli.js';
import { startStack, tempDir, type Stack } from '../test-support/harness.js';

let stack: Stack;
let bin: string;

beforeAll(async () => {
  bin = path.join(tempDir('foreman-go-'), 'go-client');
  execFileSync('go', ['build', '-o', bin, '.'], {
    cwd: path.join(ROOT, 'main/test-support/go-client'),
    env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
    stdio: 'pipe',
  });
  stack = await startStack({ sim: { tokensPerSecond: 500 } });
}, 120_000);
afterAll(() => stack?.close());

/** Async on purpose: foreman and the simulator run in this process and must keep answering. */
function run(base: string, prompt: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(bin, [base, 'llama3.2', prompt], { encoding: 'utf8', timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, out: stdout.trim(), err: stderr.trim() });
    });
  });
}

describe('a Go bufio.Scanner client', () => {
  it('reads the same NDJSON stream through foreman as from Ollama', async () => {
    const direct = await run(stack.simUrl, 'tell me about <tags> & such [[sim:tokens=60]]');
    const via = await run(stack.url, 'tell me about <tags> & such [[sim:tokens=60]]');
    expect(direct.code, direct.err).toBe(0);
    expect(via.code, via.err).toBe(0);
    const d = JSON.parse(direct.out) as { lines: number; text: string; content_type: string };
    expect(JSON.parse(via.out)).toEqual(d);
    expect(d.lines).toBeGreaterThan(60);
    expect(d.content_type).toBe('application/x-ndjson');
  });

  it('gets the mid-stream error line exactly as from Ollama', async () => {
    const direct = await run(stack.simUrl, 'x [[sim:error-after=3]]');
    const via = await run(stack.url, 'x [[sim:error-after=3]]');
    expect(via.code).toBe(1);
    expect(via.err).toBe(direct.err);
    expect(via.err).toBe('stream error: an error was encountered while running the model: simulated failure');
  });
});
