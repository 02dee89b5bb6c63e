/**
 * A real landscape for end-to-end tests: `transplant up --detach` in a temp dir (garden and seed
 * processes, real etcds), the example shoot created with kubectl, its admin kubeconfig, and a
 * `stop()` that leaves no process and no file behind whatever state the test left it in.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { stopMachinesUnder } from '../../src/seed/runtime/machine-runtime.js';
import { getJson, type Json } from './api-client.js';
import { shootPath } from './garden-e2e.js';
import { kubectl } from './kubectl.js';
import { alive, etcdPidsUnder, eventually } from './processes.js';

const run = promisify(execFile);
export const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));

export interface LandscapeOptions {
  seeds: string[];
  /** `--backup`; default local. */
  backup?: 'local' | 's3';
  backupEndpoint?: string;
  /** Extra environment of the landscape's processes (e.g. S3 credentials). */
  env?: NodeJS.ProcessEnv;
  /** More `transplant up` flags, e.g. `--wait-timeout 10`. */
  upArgs?: string[];
}

export interface TestLandscape {
  dir: string;
  /** The operator's garden kubeconfig. */
  garden: string;
  file(): Promise<LandscapeFile>;
  seedKubeconfig(seed: string): string;
  /** The directory of one etcd's server on a seed (`etcd.json`, `data/`, `conf/`). */
  etcdDir(seed: string, namespace: string, name: string): string;
  shoot(namespace: string, name: string): Promise<Json>;
  /** Waits until the shoot's last operation is `type` Succeeded. */
  waitForOperation(namespace: string, name: string, type: string, timeoutMs?: number): Promise<Json>;
  /** Writes an admin kubeconfig of the shoot (from `shoots/adminkubeconfig`) to `path`. */
  adminKubeconfig(namespace: string, name: string, path: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startLandscape(options: LandscapeOptions): Promise<TestLandscape> {
  const dir = await mkdtemp(join(tmpdir(), 'transplant-e2e-'));
  const env = { ...process.env, ...options.env };
  // TRANSPLANT_E2E_LOG_LEVEL=info: the processes' logs say which step a flow is at (with TRANSPLANT_E2E_KEEP).
  const logLevel = process.env.TRANSPLANT_E2E_LOG_LEVEL || 'warn';
  const args = [cli, 'up', '--dir', dir, '--seeds', options.seeds.join(','), '--detach', '--log-level', logLevel];
  args.push('--backup', options.backup ?? 'local');
  if (options.backupEndpoint) args.push('--backup-endpoint', options.backupEndpoint);
  args.push(...(options.upArgs ?? []));
  const garden = join(dir, 'garden.kubeconfig');
  const file = async () => JSON.parse(await readFile(join(dir, 'landscape.json'), 'utf8')) as LandscapeFile;
  const stop = async () => {
    const l = await file().catch(() => undefined);
    await run(process.execPath, [cli, 'down', '--dir', dir], { env }).catch(() => undefined);
    const pids = [
      l?.supervisorPid,
      l?.garden.pid,
      ...Object.values(l?.seeds ?? {}).map((s) => s.pid),
      l?.monitoring?.pid,
    ];
    for (const pid of pids) {
      if (alive(pid)) process.kill(pid!, 'SIGKILL');
    }
    for (const pid of await etcdPidsUnder(dir)) process.kill(pid, 'SIGKILL');
    // `down` stops the machines too, unless it failed or a seed started one while going down:
    // none may outlive the test.
    await stopMachinesUnder(join(dir, 'infrastructure'), 2_000);
    // TRANSPLANT_E2E_KEEP=1 keeps the landscape's directory (the processes' logs) to look at after a failure.
    if (process.env.TRANSPLANT_E2E_KEEP) process.stderr.write(`kept the landscape's directory ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  };
  try {
    await run(process.execPath, args, { env });
  } catch (err) {
    await stop();
    throw err;
  }
  // A GET in-process, not a kubectl per poll: tests poll the shoot every 250 ms for minutes, and a
  // kubectl process each time costs the two cores more than the landscape under test does.
  const shoot = (namespace: string, name: string): Promise<Json> => getJson(garden, shootPath(namespace, name));
  return {
    dir,
    garden,
    file,
    seedKubeconfig: (seed) => join(dir, 'seeds', `${seed}.kubeconfig`),
    etcdDir: (seed, namespace, name) => join(dir, 'seeds', seed, 'state', 'controlplanes', namespace, name),
    shoot,
    waitForOperation: (namespace, name, type, timeoutMs = 90_000) =>
      eventually(
        async () => {
          const s = await shoot(namespace, name).catch(() => undefined);
          const last = s?.status?.lastOperation;
          return last?.type === type && last.state === 'Succeeded' ? s : undefined;
        },
        timeoutMs,
        `shoot ${namespace}/${name}: ${type} Succeeded`,
      ),
    async adminKubeconfig(namespace, name, path) {
      const request = JSON.stringify({
        apiVersion: 'authentication.gardener.cloud/v1alpha1',
        kind: 'AdminKubeconfigRequest',
        spec: { expirationSeconds: 86400 },
      });
      const created = await kubectl(
        garden,
        [
          'create',
          '--raw',
          `/apis/core.gardener.cloud/v1beta1/namespaces/${namespace}/shoots/${name}/adminkubeconfig`,
          '-f',
          '-',
        ],
        request,
      );
      if (created.code !== 0) throw new Error(`adminkubeconfig: ${created.stderr}`);
      await writeFile(path, Buffer.from(JSON.parse(created.stdout).status.kubeconfig, 'base64'), { mode: 0o600 });
      return path;
    },
    stop,
  };
}

/**
 * examples/30-shoot.yaml, with its worker pool at `machines` machines when given (0: a shoot whose
 * etcd only changes when the test writes, e.g. to compare revisions after a restore).
 */
export async function exampleShootManifest(machines?: number): Promise<string> {
  const doc = parseYaml(await readFile(join(examplesDir, '30-shoot.yaml'), 'utf8'));
  if (machines !== undefined) {
    const pool = doc.spec.provider.workers[0];
    pool.minimum = machines;
    pool.maximum = Math.max(machines, 1);
  }
  return JSON.stringify(doc);
}
