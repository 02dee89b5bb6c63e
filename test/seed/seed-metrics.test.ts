/**
 * The seed's metrics, each read back from its registry's text: the migration flows' step
 * durations (through the flow engine's `taskEnded` hook, combined with other hooks such as the
 * crash points'), the API downtime and the bytes copied; etcd-backup-restore's snapshot and
 * restoration metrics per Etcd, whose latest snapshots go with their sidecar; and the shoots' API
 * servers behind `/metrics/shoots` (Prometheus' HTTP service discovery, then each one's text).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { combineFlowHooks, Graph, isFlowFailed, sleep } from '../../src/flow/index.js';
import { BackupMetrics } from '../../src/seed/druid/backup-metrics.js';
import { MigrationMetrics } from '../../src/seed/gardenlet/migration-metrics.js';
import type { ApiServerRuntime } from '../../src/seed/runtime/apiserver-runtime.js';
import { shootApiServerMetrics } from '../../src/seed/runtime/shoot-apiserver-metrics.js';
import { samplesOf, sampleValue } from '../helpers/prometheus-text.js';

describe('migration metrics', () => {
  it("record each step's latest duration, succeeded or failed, beside the other hooks", async () => {
    const registry = new Registry();
    const metrics = new MigrationMetrics(registry);
    const g = new Graph('Shoot cluster preparation for migration');
    const stop = g.add({ name: 'Deleting kube-apiserver deployment', fn: (ctx) => sleep(30, ctx.signal) });
    g.add({
      name: 'Creating ETCD Snapshot',
      fn: async () => {
        throw new Error('the store is unreachable');
      },
      dependencies: stop,
    });
    const started: string[] = [];
    const hooks = combineFlowHooks(
      { beforeTask: (_flow, task) => started.push(task) },
      metrics.stepHooks('garden-dev/a'),
    );
    const failed = await g
      .compile()
      .run({ hooks })
      .catch((err: unknown) => err);
    assert.ok(isFlowFailed(failed));
    assert.deepEqual(started, ['Deleting kube-apiserver deployment', 'Creating ETCD Snapshot']);
    metrics.apiDowntime('garden-dev/a', 1.5);
    metrics.backupBytesCopied('garden-dev/a', 1000);
    metrics.backupBytesCopied('garden-dev/a', 24);

    const text = await registry.metrics();
    const step = (name: string) =>
      sampleValue(text, 'transplant_migration_step_duration_seconds', {
        shoot: 'garden-dev/a',
        flow: 'Shoot cluster preparation for migration',
        step: name,
      });
    assert.ok(step('Deleting kube-apiserver deployment') >= 0.025);
    assert.ok(step('Creating ETCD Snapshot') < 0.025);
    assert.equal(sampleValue(text, 'transplant_migration_api_downtime_seconds', { shoot: 'garden-dev/a' }), 1.5);
    assert.equal(sampleValue(text, 'transplant_migration_backup_bytes_copied_total', { shoot: 'garden-dev/a' }), 1024);
  });
});

describe('backup metrics', () => {
  it("report each Etcd's snapshots and restores with etcd-backup-restore's names", async () => {
    const registry = new Registry();
    const metrics = new BackupMetrics(registry);
    const ref = { namespace: 'shoot--dev--a', etcd: 'etcd-main' };
    const observer = metrics.snapshotterObserver(ref);
    const snapshot = { startRevision: 1, compression: 'none' as const, isFinal: false, name: 'x' };
    observer.latestSnapshot({ ...snapshot, kind: 'Full', lastRevision: 10, createdOn: 1_700_000_000 });
    observer.snapshotAttempted('Incr', true, 0.02);
    observer.latestSnapshot({ ...snapshot, kind: 'Incr', lastRevision: 12, createdOn: 1_700_000_020 });
    observer.snapshotAttempted('Full', false, 3);
    metrics.restorationObserver(ref)(true, 0.7);

    let text = await registry.metrics();
    assert.equal(sampleValue(text, 'etcdbr_snapshot_latest_revision', { ...ref, kind: 'Full' }), 10);
    assert.equal(sampleValue(text, 'etcdbr_snapshot_latest_revision', { ...ref, kind: 'Incr' }), 12);
    assert.equal(sampleValue(text, 'etcdbr_snapshot_latest_timestamp', { ...ref, kind: 'Incr' }), 1_700_000_020);
    assert.equal(
      sampleValue(text, 'etcdbr_snapshot_duration_seconds_count', { ...ref, kind: 'Full', succeeded: 'false' }),
      1,
    );
    assert.equal(sampleValue(text, 'etcdbr_restoration_duration_seconds_sum', { ...ref, succeeded: 'true' }), 0.7);

    metrics.sidecarStopped(ref);
    text = await registry.metrics();
    assert.deepEqual(samplesOf(text, 'etcdbr_snapshot_latest_timestamp'), [], 'no longer this seed to report');
    assert.equal(samplesOf(text, 'etcdbr_snapshot_duration_seconds_count').length, 2, 'the attempts stay counted');
  });
});

describe('/metrics/shoots', () => {
  const running = new Map([['shoot--dev--a', '# the text of a\n']]);
  const runtime = {
    names: () => [...running.keys()],
    metrics: async (name: string) => running.get(name),
  } as unknown as ApiServerRuntime;
  const handler = shootApiServerMetrics(runtime, 'seed-a', '127.0.0.1:4443');

  it("lists the running shoots' API servers for Prometheus' HTTP service discovery", async () => {
    const answer = await handler('');
    assert.equal(answer?.contentType, 'application/json');
    assert.deepEqual(JSON.parse(answer?.body ?? ''), [
      {
        targets: ['127.0.0.1:4443'],
        labels: { __metrics_path__: '/metrics/shoots/shoot--dev--a', seed: 'seed-a', technical_id: 'shoot--dev--a' },
      },
    ]);
  });

  it("serves a running shoot's text, and nothing for another", async () => {
    assert.equal((await handler('/shoot--dev--a'))?.body, '# the text of a\n');
    assert.equal(await handler('/shoot--dev--b'), undefined);
    assert.equal(await handler('/shoot--dev--a/more'), undefined);
  });
});
