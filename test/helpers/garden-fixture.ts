/**
 * A garden for tests: a real `startGarden` on a random port in a fresh temp directory, with a
 * silent logger. `stop()` stops it and removes the directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { gardenEncryptedResources } from '../../src/garden/encrypted-resources.js';
import { type Garden, type GardenOptions, startGarden } from '../../src/garden/garden.js';
import { registerLocalSetup } from '../../src/garden/local-setup.js';
import { newEncryptionConfig } from '../../src/storage/encryption/encryption-config.js';

export interface TestGarden {
  dir: string;
  garden: Garden;
  /** Operator kubeconfig (may use shoots/binding). */
  kubeconfig: string;
  /** Project member of `dev` (garden-dev), without shoots/binding. */
  memberKubeconfig: string;
  /** Stops the garden; the directory stays, for restart tests. */
  stop(): Promise<void>;
  /** Stops the garden and removes its directory. */
  cleanup(): Promise<void>;
}

/**
 * A garden as `transplant up` and examples/10-project.yaml leave it: the `local` CloudProfile and,
 * in garden-dev, the Secret and SecretBinding `local` that shootManifest's shoots name
 * (`localSetup: false`: none of it, for tests of an empty garden).
 */
export async function startTestGarden(
  options: Partial<GardenOptions> & { localSetup?: boolean } = {},
  dir?: string,
): Promise<TestGarden> {
  const { localSetup = true, ...gardenOptions } = options;
  options = gardenOptions;
  const stateDir = dir ?? (await mkdtemp(join(tmpdir(), 'transplant-garden-')));
  // A garden on etcd takes no generated key (its replicas must share one): the test gives it one.
  if (options.store?.kind === 'etcd' && !options.encryptionConfigFile) {
    const encryptionConfigFile = join(stateDir, 'test-encryption-config.yaml');
    const config = newEncryptionConfig(gardenEncryptedResources, randomBytes(32).toString('base64'));
    await writeFile(encryptionConfigFile, config, { mode: 0o600, flag: 'wx' }).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
    options = { ...options, encryptionConfigFile };
  }
  const garden = await startGarden({
    dir: stateDir,
    port: 0,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    // Tests of the API alone place shoots themselves and write the shoots' status; the scheduler
    // and the shoot-migration controller (which writes a moved shoot's status) are tested on their own.
    scheduler: false,
    shootMigration: false,
    ...options,
  });
  if (localSetup) {
    try {
      await registerLocalSetup(garden.hosted.client, ['garden-dev']);
    } catch (err) {
      await garden.stop();
      throw err;
    }
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await garden.stop();
  };
  return {
    dir: stateDir,
    garden,
    kubeconfig: garden.operatorKubeconfig,
    memberKubeconfig: garden.memberKubeconfig,
    stop,
    async cleanup() {
      await stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Seed conditions as a healthy gardenlet reports them, stamped now (or at `at`). */
export function healthySeedConditions(at: Date = new Date()): object[] {
  const time = `${at.toISOString().slice(0, 19)}Z`;
  return ['GardenletReady', 'BackupBucketsReady', 'ExtensionsReady', 'SeedSystemComponentsHealthy'].map((type) => ({
    type,
    status: 'True',
    reason: `${type}`,
    message: 'reported by test',
    lastTransitionTime: time,
    lastUpdateTime: time,
  }));
}
