/**
 * The seed document's two failure modes as real network cuts on the multi-host landscape, each
 * named first by `transplant migrate --dry-run` (the preflight: the target seed's probe of the
 * source's store, the machines' probes of the target; nothing changes, the exit code is 1), then
 * ending in success after the documented remedy, every command typed on the operator's host
 * through `transplant exec`:
 *
 * 1. seed-b cannot reach seed-a's backup store (`transplant cut seed-b store-a`, a firewall that
 *    drops, the common case): the Restore on seed-b waits at "Waiting until etcd backups are
 *    copied" with a lastError naming the store it cannot reach (its connects time out after the
 *    S3 client's connect timeout, not the kernel's two minutes); the manual path (`transplant
 *    backup copy` from the operator's host, which reaches both stores, the document's
 *    `kubectl patch … etcdcopybackupstask`, the source BackupEntry's finalizer) finishes it.
 * 2. The machines cannot reach seed-a (`transplant cut machines seed-a --reject`): moving the shoot
 *    back to seed-a waits at "Waiting until the Kubernetes API server can connect to the Shoot
 *    workers" with a lastError naming the node; skip-readiness finishes the Restore, and migrating
 *    back to seed-b brings the node Ready again. This cut rejects: where the Restore waits does
 *    not depend on how the machines' connects fail (the VPN client's 5 s handshake timeout turns a
 *    drop into the same failure, later), and a reset keeps the agents' redials to seed-a short
 *    while the suite moves the shoot back to seed-b.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import { getJson, type Json } from '../helpers/api-client.js';
import { shootPath } from '../helpers/garden-e2e.js';
import { cli, exampleShootManifest, examplesDir } from '../helpers/landscape.js';
import {
  CONTROL_PLANE,
  MACHINE,
  SEED_DOCUMENT_TRIGGER,
  SHOOT,
  SHOOT_NAMESPACE,
  SKIP_READINESS,
  WORKERS_STEP,
} from '../helpers/migration.js';
import { hostsLandscapeUnavailable } from '../helpers/netns.js';
import { eventually } from '../helpers/processes.js';
import { onHost, tearDownHostsLandscape, transplant, upHostsLandscape } from '../helpers/transplant-cli.js';

const skip = hostsLandscapeUnavailable();
const COPY_STEP = 'Waiting until etcd backups are copied';
const ENV = { NAMESPACE: SHOOT_NAMESPACE, SHOOT_NAME: SHOOT };
/** The seed document's command marking the copy task successful, verbatim. */
const MARK_COPY_SUCCEEDED = `SHOOT_NAME=my-shoot
PROJECT_NAME=dev
kubectl patch -n shoot--\${PROJECT_NAME}--\${SHOOT_NAME} etcdcopybackupstask \${SHOOT_NAME} --subresource status --type merge -p "{\\"status\\":{\\"conditions\\":[{\\"type\\":\\"Succeeded\\",\\"status\\":\\"True\\",\\"reason\\":\\"manual copy successful\\",\\"message\\":\\"manual copy successful\\",\\"lastTransitionTime\\":\\"$(date -Iseconds)\\",\\"lastUpdateTime\\":\\"$(date -Iseconds)\\"}]}}"`;

describe("the seed document's failure modes as real network cuts", { skip }, () => {
  let dir: string;
  let landscape: LandscapeFile;

  /** `kubectl … -o json` on the operator's host, against the garden or `kubeconfig`. */
  const kubectlJson = async (args: string, kubeconfig?: string): Promise<Json> => {
    const res = await onHost(dir, `kubectl ${kubeconfig ? `--kubeconfig ${kubeconfig} ` : ''}${args} -o json`);
    if (res.code !== 0) throw new Error(`kubectl ${args}: ${res.stderr}`);
    return JSON.parse(res.stdout);
  };
  /**
   * An object read by the test itself (the garden's, or through `kubeconfig`): what the tests poll
   * for, where a kubectl process per poll on the operator's host cost the suite CPU.
   */
  const read = (path: string, kubeconfig = landscape.garden.kubeconfig): Promise<Json> => getJson(kubeconfig, path);
  const shoot = () => read(shootPath(SHOOT_NAMESPACE, SHOOT));
  /** The last operation and where the shoot is (a move's Restore/Succeeded follows the last move's). */
  const operation = async () => {
    const status = (await shoot()).status;
    return `${status?.lastOperation?.type}/${status?.lastOperation?.state} on ${status?.seedName}`;
  };
  const waitFor = (wanted: string, timeoutMs = 180_000) =>
    eventually(async () => ((await operation()) === wanted ? true : undefined), timeoutMs, wanted);
  /** The shoot's lastError at `step` once its description matches `matching` (any, without). */
  const lastErrorAt = (step: string, matching = /./, timeoutMs = 120_000) =>
    eventually(
      async () =>
        ((await shoot()).status?.lastErrors ?? []).find(
          (e: Json) => e.taskID === step && matching.test(e.description),
        ) as Json,
      timeoutMs,
      `a lastError at "${step}" matching ${matching}`,
    );
  const trigger = async (destination: string) => {
    const res = await onHost(dir, SEED_DOCUMENT_TRIGGER, { env: { ...ENV, DEST_SEED_NAME: destination } });
    assert.equal(res.stdout, `${destination}\n`, res.stderr);
  };
  const cut = async (...args: string[]) => assert.equal((await transplant(['cut', '--dir', dir, ...args])).code, 0);
  /**
   * `transplant migrate --dry-run --json` on the operator's host: its exit code and the preflight's
   * checks by name (`Status (origin): message`); the shoot must be where it was.
   */
  const dryRun = async (target: string) => {
    const before = (await shoot()).spec.seedName;
    const res = await onHost(dir, `node ${cli} migrate ${SHOOT_NAMESPACE}/${SHOOT} --to ${target} --dry-run --json`);
    const events = res.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Json);
    const preflight = events.filter((e) => e.event === 'preflight').at(-1);
    assert.ok(preflight, `no preflight in the output: ${res.stdout}${res.stderr}`);
    const checks = Object.fromEntries(
      (preflight.checks as Json[]).map((c) => [c.name, `${c.status} (${c.origin}): ${c.message}`]),
    ) as Record<string, string>;
    assert.equal((await shoot()).spec.seedName, before, 'a dry run changes nothing');
    return { code: res.code, checks };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-hosts-pitfalls-'));
    landscape = await upHostsLandscape(dir, [
      '--machines',
      '1',
      '--wait-timeout',
      '10',
      '--node-monitor-grace-period',
      '10',
      '--log-level',
      'warn',
    ]);
    const project = await onHost(dir, `kubectl apply -f ${join(examplesDir, '10-project.yaml')}`);
    assert.equal(project.code, 0, project.stderr);
    const created = await onHost(dir, 'kubectl apply -f -', { input: await exampleShootManifest(1) });
    assert.equal(created.code, 0, created.stderr);
    await waitFor('Create/Succeeded on seed-a');
  });

  after(async () => {
    await tearDownHostsLandscape(dir);
  });

  it('1. seed-b cut from store-a: the dry run names the check; the copy step names the store; the manual path finishes the Restore', async (t) => {
    await cut('seed-b', 'store-a');
    const storeAddress = landscape.hosts!['store-a']!.address.replaceAll('.', '\\.');
    const preflight = await dryRun('seed-b');
    for (const [name, line] of Object.entries(preflight.checks)) t.diagnostic(`${name}: ${line}`);
    assert.equal(preflight.code, 1, 'a failed preflight exits non-zero');
    assert.match(
      preflight.checks.TargetSeedReachesSourceBackupStore ?? '',
      new RegExp(`^Failed \\(seed/seed-b\\): .*cannot reach http://${storeAddress}:9000 \\(connect timeout\\)`),
    );
    assert.match(preflight.checks.MachinesReachTargetSeed ?? '', /^Passed/);
    await trigger('seed-b');
    // The step first says the task has not succeeded yet; the copy's connects to store-a time out
    // after the S3 client's connect timeout (three attempts), well before the kernel would give up
    // on them (about 130 s): the lastError then names the store.
    const storeA = landscape.hosts!['store-a']!.address;
    const unreachable = new RegExp(`cannot reach http://${storeA.replaceAll('.', '\\.')}:9000 \\(connect timeout\\)`);
    const error = await lastErrorAt(COPY_STEP, unreachable, 90_000);
    t.diagnostic(`lastError: ${String(error.description).slice(0, 300)}`);
    assert.match(error.description, /transplant backup copy /);

    const seedB = landscape.seeds['seed-b']!.kubeconfig;
    const task = await kubectlJson(`get etcdcopybackupstask -n ${CONTROL_PLANE} ${SHOOT}`, seedB);
    const credentials = join(dir, 'stores', 'credentials.json');
    const copied = await onHost(
      dir,
      [
        `node ${cli} backup copy`,
        '--source-storage-provider=S3',
        `--source-store-container=${task.spec.sourceStore.container}`,
        `--source-store-prefix=${task.spec.sourceStore.prefix}`,
        `--source-store-endpoint-override=http://store-a:9000`,
        '--storage-provider=S3',
        `--store-container=${task.spec.targetStore.container}`,
        `--store-prefix=${task.spec.targetStore.prefix}`,
        `--store-endpoint-override=http://store-b:9000`,
        '--wait-for-final-snapshot=true',
      ].join(' '),
      { env: { SOURCE_AWS_APPLICATION_CREDENTIALS_JSON: credentials, AWS_APPLICATION_CREDENTIALS_JSON: credentials } },
    );
    assert.equal(copied.code, 0, copied.stderr);
    // Against the destination seed's API (exec sets KUBECONFIG to the garden's; the operator points it elsewhere).
    const marked = await onHost(dir, `export KUBECONFIG=${seedB}\n${MARK_COPY_SUCCEEDED}`);
    assert.match(marked.stdout, /etcdcopybackupstask.* patched/, marked.stderr);
    const sourceEntry = `source-${CONTROL_PLANE}--${(await shoot()).metadata.uid}`;
    await eventually(
      async () => {
        const entry = await read(`/apis/extensions.gardener.cloud/v1alpha1/backupentries/${sourceEntry}`, seedB).catch(
          () => undefined,
        );
        return entry?.metadata.deletionTimestamp ? entry : undefined;
      },
      120_000,
      'the source BackupEntry is being deleted (etcd-main restored, source-etcd-backup gone)',
    ).catch(async (err: Error) => {
      // Where the Restore stands, so that a failure here explains itself.
      const status = (await shoot()).status ?? {};
      throw new Error(
        `${err.message}\n${JSON.stringify({ lastOperation: status.lastOperation, lastErrors: status.lastErrors }, null, 1)}`,
      );
    });
    const released = await onHost(
      dir,
      `kubectl --kubeconfig ${seedB} patch backupentries.extensions.gardener.cloud ${sourceEntry} --type merge -p '{"metadata":{"finalizers":null}}'`,
    );
    assert.equal(released.code, 0, released.stderr);
    await waitFor('Restore/Succeeded on seed-b');
    assert.equal((await transplant(['heal', '--dir', dir, '--all'])).code, 0);
  });

  it('2. the machines cut from seed-a: the dry run names the node; the workers step names it; skip-readiness, then back to seed-b', async (t) => {
    await cut('machines', 'seed-a', '--reject');
    const preflight = await dryRun('seed-a');
    for (const [name, line] of Object.entries(preflight.checks)) t.diagnostic(`${name}: ${line}`);
    assert.equal(preflight.code, 1);
    assert.match(
      preflight.checks.MachinesReachTargetSeed ?? '',
      new RegExp(`^Failed \\(seed/seed-b\\): node ${MACHINE} cannot reach seed "seed-a" at .*ECONNREFUSED`),
    );
    assert.match(preflight.checks.TargetSeedReachesSourceBackupStore ?? '', /^Passed/);
    await trigger('seed-a');
    const error = await lastErrorAt(WORKERS_STEP);
    t.diagnostic(`lastError: ${error.description}`);
    assert.match(error.description, new RegExp(MACHINE));
    const annotated = await onHost(dir, `kubectl annotate shoot -n $NAMESPACE $SHOOT_NAME ${SKIP_READINESS}=true`, {
      env: ENV,
    });
    assert.equal(annotated.code, 0, annotated.stderr);
    await waitFor('Restore/Succeeded on seed-a');
    await trigger('seed-b');
    await waitFor('Restore/Succeeded on seed-b');
    const done = await shoot();
    assert.deepEqual(done.status.lastErrors ?? [], []);
    assert.equal((await transplant(['heal', '--dir', dir, '--all'])).code, 0);
  });
});
