/**
 * Real parts on temp dirs for tests: the Ollama simulator on a free port and foreman in front of it,
 * each listening on loopback.
 */
import type { Simulator, SimulatorOptions } from '../sim/simulator.js';
import { createSimulator } from '../sim/simulator.js';
import { startForeman, type Foreman } from '../core/foreman.js';
import type { ForemanConfig } from '../core/config.js';
import { tempDir, testConfig } from './test-config.js';

export { tempDir, testConfig };

export interface Stack {
  sim: Simulator;
  simUrl: string;
  foreman: Foreman;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startStack(opts: { sim?: SimulatorOptions; foreman?: Partial<ForemanConfig>; dataDir?: string; uiRoot?: string } = {}): Promise<Stack> {
  const sim = createSimulator({ tokensPerSecond: 0, loadMs: 20, ...opts.sim });
  const simUrl = await sim.listen(0, '127.0.0.1');
  const dataDir = opts.dataDir ?? tempDir();
  const foreman = await startForeman(testConfig(simUrl, opts.foreman, dataDir), { uiRoot: opts.uiRoot });
  return {
    sim,
    simUrl,
    foreman,
    url: foreman.url,
    dataDir,
    async close() {
      await foreman.close(1000);
      await sim.close();
    },
  };
}

/** Reads a streamed body chunk by chunk as the client receives it. */
export async function readAll(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}
