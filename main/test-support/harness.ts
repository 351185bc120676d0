/**
 * Real parts on temp dirs for tests: the Ollama simulator on a free port and foreman in front of it,
 * each listening on loopback.
 */
import type { Simulator, SimulatorOptions } from '../sim/simulator.js';
import { createSimulator } from '../sim/simulator.js';
import { startForeman, type Foreman } from '../app/foreman.js';
import type { CoreOptions } from '../app/core.js';
import type { ForemanConfig } from '../core/config.js';
import { tempDir, testConfig } from './test-config.js';

export { tempDir, testConfig };

export interface Stack {
  /** The first simulator (the only one unless `hosts` asked for more). */
  sim: Simulator;
  simUrl: string;
  /** Every simulator, one per Ollama host, in `--upstream` order. */
  sims: Simulator[];
  simUrls: string[];
  foreman: Foreman;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startStack(
  opts: {
    sim?: SimulatorOptions;
    foreman?: Partial<ForemanConfig>;
    dataDir?: string;
    uiRoot?: string;
    hosts?: number;
    jobRetry?: CoreOptions['jobRetry'];
  } = {},
): Promise<Stack> {
  const sims = Array.from({ length: opts.hosts ?? 1 }, () => createSimulator({ tokensPerSecond: 0, loadMs: 20, ...opts.sim }));
  const simUrls = await Promise.all(sims.map((s) => s.listen(0, '127.0.0.1')));
  const dataDir = opts.dataDir ?? tempDir();
  const foreman = await startForeman(testConfig(simUrls.join(','), opts.foreman, dataDir), {
    uiRoot: opts.uiRoot,
    jobRetry: opts.jobRetry,
  });
  const sim = sims[0]!;
  return {
    sim,
    simUrl: simUrls[0]!,
    sims,
    simUrls,
    foreman,
    url: foreman.url,
    dataDir,
    async close() {
      await foreman.close(1000);
      await Promise.all(sims.map((s) => s.close()));
    },
  };
}

/** Reads a streamed body chunk by chunk as the client receives it. */
export async function readAll(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}
