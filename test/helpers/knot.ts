/**
 * A real knotd for a test: a fresh directory, a random 127.x address and a port picked there,
 * stopped (and its directory removed) by the returned cleanup, and killed should the test die.
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KnotServer, type KnotServerOptions, startKnotServer } from '../../src/landscape/knot-server.js';
import { freePort } from '../../src/process/etcd-process.js';
import { killOnExit } from './etcd.js';

export interface TestKnot {
  knot: KnotServer;
  dir: string;
  cleanup(): Promise<void>;
}

/** A loopback address of its own, so parallel tests never share a listener. */
export function randomLoopbackAddress(): string {
  return `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

export async function startTestKnot(options: Partial<KnotServerOptions> = {}): Promise<TestKnot> {
  const dir = await mkdtemp(join(tmpdir(), 'transplant-knot-'));
  const address = options.address ?? randomLoopbackAddress();
  const port = options.port ?? (await freePort(address));
  const knot = await startKnotServer({ dir, zone: 'landscape.test', address, port, ...options });
  const forget = killOnExit(knot.pid);
  return {
    knot,
    dir,
    async cleanup() {
      await knot.stop();
      forget();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
