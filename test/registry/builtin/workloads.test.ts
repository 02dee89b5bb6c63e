/**
 * The built-in kinds through the generic store, as a client meets them: what the defaults add,
 * what the schema and the semantic checks refuse (with Kubernetes' field paths, nothing stored),
 * which fields are fixed, and the cells kubectl prints.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/api/meta.js';
import { causes, ctx, type Doc, refused, row, storeOf } from '../../helpers/builtin-store.js';

/** What `kubectl create deployment NAME --image=IMAGE` sends. */
function deployment(name: string, image = 'nginx', extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'nginx', image, resources: {} }] },
      },
      strategy: {},
      ...extra,
    },
    status: {},
  };
}

describe('apps/v1 Deployment', () => {
  const deployments = storeOf('apps', 'deployments');

  it('gets the API server defaults: 1 replica, RollingUpdate 25%/25%, history 10, deadline 600, pod spec defaults', async () => {
    const created = await deployments.create('default', deployment('web'), ctx);
    const spec = created.spec as Doc;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
    });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    const pod = spec.template.spec;
    assert.equal(pod.restartPolicy, 'Always');
    assert.equal(pod.dnsPolicy, 'ClusterFirst');
    assert.equal(pod.terminationGracePeriodSeconds, 30);
    assert.equal(pod.schedulerName, 'default-scheduler');
    assert.deepEqual(pod.securityContext, {});
    assert.deepEqual(pod.containers[0], {
      name: 'nginx',
      image: 'nginx',
      imagePullPolicy: 'Always',
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
    assert.deepEqual(created.status, {});
    assert.equal(created.metadata.generation, 1);
  });

  it('pulls a tagged image IfNotPresent and keeps replicas the client chose', async () => {
    const created = await deployments.create('default', deployment('tagged', 'nginx:1.25', { replicas: 3 }), ctx);
    const spec = created.spec as Doc;
    assert.equal(spec.replicas, 3);
    assert.equal(spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  });

  it('refuses a wrong type with its field path, and stores nothing', async () => {
    const err = await refused(deployments.create('default', deployment('typo', 'nginx', { replicas: 'three' }), ctx));
    assert.deepEqual(causes(err), [['spec.replicas', 'FieldValueTypeInvalid']]);
    assert.match(err.message, /spec\.replicas in body must be of type integer/);
    await refused(deployments.get('default', 'typo'), 404);
  });

  it('refuses a missing or empty selector and one that does not select the template', async () => {
    const missing = deployment('noselector');
    delete (missing.spec as Record<string, unknown>).selector;
    assert.deepEqual(causes(await refused(deployments.create('default', missing, ctx))), [
      ['spec.selector', 'FieldValueRequired'],
    ]);
    const empty = deployment('empty', 'nginx', { selector: {} });
    assert.deepEqual(causes(await refused(deployments.create('default', empty, ctx))), [
      ['spec.selector', 'FieldValueInvalid'],
    ]);
    const other = deployment('other', 'nginx', { selector: { matchLabels: { app: 'else' } } });
    const err = await refused(deployments.create('default', other, ctx));
    assert.deepEqual(causes(err), [['spec.template.metadata.labels', 'FieldValueInvalid']]);
    assert.match(err.message, /`selector` does not match template `labels`/);
  });

  it('refuses containers without image, duplicate names, bad ports, mounts of unknown volumes, pods not restarting Always', async () => {
    const bad = deployment('bad');
    const pod = (bad.spec as Doc).template.spec;
    pod.containers = [
      { name: 'a', ports: [{ containerPort: 70000 }], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
      { name: 'a', image: 'x' },
    ];
    pod.restartPolicy = 'Never';
    const err = await refused(deployments.create('default', bad, ctx));
    assert.deepEqual(causes(err), [
      ['spec.template.spec.containers[0].image', 'FieldValueRequired'],
      ['spec.template.spec.containers[0].ports[0].containerPort', 'FieldValueInvalid'],
      ['spec.template.spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound'],
      ['spec.template.spec.containers[1].name', 'FieldValueDuplicate'],
      ['spec.template.spec.restartPolicy', 'FieldValueNotSupported'],
    ]);
  });

  it('refuses a rolling update that can make no progress and one with a strategy it does not have', async () => {
    const stuck = deployment('stuck', 'nginx', {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
    });
    assert.deepEqual(causes(await refused(deployments.create('default', stuck, ctx))), [
      ['spec.strategy.rollingUpdate.maxUnavailable', 'FieldValueInvalid'],
    ]);
    const recreate = deployment('recreate', 'nginx', {
      strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } },
    });
    assert.deepEqual(causes(await refused(deployments.create('default', recreate, ctx))), [
      ['spec.strategy.rollingUpdate', 'FieldValueForbidden'],
    ]);
  });

  it('keeps the selector fixed, lets the template change, and bumps the generation', async () => {
    const current = await deployments.get('default', 'web');
    const moved = structuredClone(current);
    (moved.spec as Doc).selector = { matchLabels: { app: 'moved' } };
    (moved.spec as Doc).template.metadata.labels = { app: 'moved' };
    assert.deepEqual(causes(await refused(deployments.update('default', 'web', '', moved, ctx))), [
      ['spec.selector', 'FieldImmutable'],
    ]);
    const updated = await deployments.patch(
      'default',
      'web',
      '',
      'merge',
      { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } },
      ctx,
    );
    assert.equal((updated.spec as Doc).template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
    assert.equal(updated.metadata.generation, 2);
  });

  it('merges kubectl apply’s strategic patches by the lists’ keys: containers by name, ports, env by theirs', async () => {
    const created = await deployments.create(
      'default',
      deployment('merge', 'nginx:1.25', {
        template: {
          metadata: { labels: { app: 'merge' } },
          spec: {
            containers: [
              { name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] },
              { name: 'side', image: 'busybox' },
            ],
          },
        },
      }),
      ctx,
    );
    assert.equal((created.spec as Doc).template.spec.containers.length, 2);
    const patched = await deployments.patch(
      'default',
      'merge',
      '',
      'strategic',
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'web' }, { name: 'side' }],
              containers: [
                {
                  name: 'web',
                  image: 'nginx:1.26',
                  '$setElementOrder/env': [{ name: 'A' }],
                  env: [{ name: 'A', value: '2' }],
                },
              ],
            },
          },
        },
      },
      { ...ctx, fieldValidation: 'Strict' },
    );
    const containers = (patched.spec as Doc).template.spec.containers;
    assert.deepEqual(
      containers.map((c: Doc) => [c.name, c.image]),
      [
        ['web', 'nginx:1.26'],
        ['side', 'busybox'],
      ],
    );
    assert.deepEqual(containers[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(containers[0].env, [{ name: 'A', value: '2' }]);
    const removed = await deployments.patch(
      'default',
      'merge',
      '',
      'strategic',
      { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
      ctx,
    );
    assert.deepEqual(
      (removed.spec as Doc).template.spec.containers.map((c: Doc) => c.name),
      ['web'],
    );
  });

  it('prints READY, UP-TO-DATE, AVAILABLE, AGE and with -o wide CONTAINERS, IMAGES, SELECTOR', async () => {
    const web = await deployments.get('default', 'web');
    web.status = { readyReplicas: 1, updatedReplicas: 1, availableReplicas: 1 };
    const cells = row(deployments, web);
    assert.deepEqual(Object.keys(cells), [
      'Name',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
      'CONTAINERS',
      'IMAGES',
      'SELECTOR',
    ]);
    assert.equal(cells.READY, '1/1');
    assert.equal(cells.IMAGES, 'nginx:1.27');
    assert.equal(cells.SELECTOR, 'app=web');
  });
});

describe('apps/v1 StatefulSet, DaemonSet, ReplicaSet', () => {
  it('defaults a StatefulSet and refuses changes beyond what may change', async () => {
    const sets = storeOf('apps', 'statefulsets');
    const created = await sets.create(
      'default',
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db' },
        spec: {
          serviceName: 'db',
          selector: { matchLabels: { app: 'db' } },
          template: {
            metadata: { labels: { app: 'db' } },
            spec: { containers: [{ name: 'db', image: 'postgres:16' }] },
          },
          volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }],
        },
      },
      ctx,
    );
    const spec = created.spec as Doc;
    assert.equal(spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.deepEqual(spec.volumeClaimTemplates[0].status, { phase: 'Pending' });
    const err = await refused(sets.patch('default', 'db', '', 'merge', { spec: { serviceName: 'other' } }, ctx));
    assert.deepEqual(causes(err), [['spec', 'FieldValueForbidden']]);
    await sets.patch('default', 'db', '', 'merge', { spec: { replicas: 3 } }, ctx);
  });

  it('defaults a DaemonSet to RollingUpdate with one unavailable', async () => {
    const created = await storeOf('apps', 'daemonsets').create(
      'default',
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent:1' }] } },
        },
      },
      ctx,
    );
    assert.deepEqual((created.spec as Doc).updateStrategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
  });

  it('refuses a negative replica count', async () => {
    const err = await refused(
      storeOf('apps', 'replicasets').create(
        'default',
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: { name: 'rs' },
          spec: {
            replicas: -1,
            selector: { matchLabels: { app: 'rs' } },
            template: { metadata: { labels: { app: 'rs' } }, spec: { containers: [{ name: 'a', image: 'a' }] } },
          },
        },
        ctx,
      ),
    );
    assert.deepEqual(causes(err), [['spec.replicas', 'FieldValueInvalid']]);
  });
});

describe('batch/v1 Job and CronJob', () => {
  const jobs = storeOf('batch', 'jobs');
  const job = (name: string, restartPolicy?: string): KubeObject => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: { spec: { containers: [{ name: 'pi', image: 'perl' }], ...(restartPolicy ? { restartPolicy } : {}) } },
    },
  });

  it('gets a selector of its own uid, completions and parallelism 1 and backoffLimit 6', async () => {
    const created = await jobs.create('default', job('pi', 'Never'), ctx);
    const spec = created.spec as Doc;
    const uid = created.metadata.uid!;
    assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    assert.equal(spec.template.metadata.labels['job-name'], 'pi');
    assert.equal(spec.completions, 1);
    assert.equal(spec.parallelism, 1);
    assert.equal(spec.backoffLimit, 6);
    assert.equal(row(jobs, created).COMPLETIONS, '0/1');
    assert.equal(row(jobs, created).STATUS, 'Running');
  });

  it('refuses pods that restart Always (the pod default) and a changed template', async () => {
    const err = await refused(jobs.create('default', job('always'), ctx));
    assert.deepEqual(causes(err), [['spec.template.spec.restartPolicy', 'FieldValueNotSupported']]);
    const changed = await refused(
      jobs.patch('default', 'pi', '', 'merge', { spec: { template: { spec: { activeDeadlineSeconds: 5 } } } }, ctx),
    );
    assert.deepEqual(causes(changed), [['spec.template', 'FieldImmutable']]);
  });

  it('refuses a CronJob whose schedule cron cannot read, and defaults the others', async () => {
    const cronjobs = storeOf('batch', 'cronjobs');
    const cronjob = (schedule: string): KubeObject => ({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick' },
      spec: {
        schedule,
        jobTemplate: {
          spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'OnFailure' } } },
        },
      },
    });
    assert.deepEqual(causes(await refused(cronjobs.create('default', cronjob('every minute'), ctx))), [
      ['spec.schedule', 'FieldValueInvalid'],
    ]);
    const created = await cronjobs.create('default', cronjob('*/5 * * * *'), ctx);
    const spec = created.spec as Doc;
    assert.deepEqual(
      [spec.concurrencyPolicy, spec.suspend, spec.successfulJobsHistoryLimit, spec.failedJobsHistoryLimit],
      ['Allow', false, 3, 1],
    );
    assert.equal(row(cronjobs, created).SCHEDULE, '*/5 * * * *');
  });
});
