/** Sample objects the kinds' tests share. */
import { DRUID_API_VERSION } from '../../src/api/druid/common.js';
import type { ExtensionStatus } from '../../src/api/extensions/common.js';
import type { KubeObject } from '../../src/api/meta.js';

/** The control-plane namespace of the sample shoot (`shoot--<project>--<name>`). */
export const SAMPLE_CONTROL_PLANE_NAMESPACE = 'shoot--dev--my-shoot';
/** The sample shoot's BackupEntry (`<control-plane namespace>--<uid prefix>`). */
export const SAMPLE_BACKUP_ENTRY = `${SAMPLE_CONTROL_PLANE_NAMESPACE}--0b5e8d3a`;

/** A Shoot as the core.gardener.cloud tests start from: on seed-a, reconciled, with an unknown field. */
export function sampleShoot(
  extra: { spec?: Record<string, unknown>; status?: Record<string, unknown>; metadata?: Record<string, unknown> } = {},
): KubeObject {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: 'my-shoot', namespace: 'garden-dev', generation: 4, resourceVersion: '10', ...extra.metadata },
    spec: {
      cloudProfileName: 'local',
      region: 'local',
      provider: { type: 'local', workers: [{ name: 'local', machine: { type: 'local' }, minimum: 1, maximum: 1 }] },
      kubernetes: { version: '1.31.1' },
      seedName: 'seed-a',
      futureField: { keep: 'me' },
      ...extra.spec,
    },
    status: {
      seedName: 'seed-a',
      lastOperation: { type: 'Reconcile', state: 'Succeeded', progress: 100 },
      ...extra.status,
    },
  };
}

/** Gardener's etcd-main, trimmed to what Transplant runs. */
export function sampleEtcdMain(spec: Record<string, unknown> = {}, backup: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: DRUID_API_VERSION,
    kind: 'Etcd',
    metadata: { name: 'etcd-main', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE, labels: { role: 'main' } },
    spec: {
      labels: { 'gardener.cloud/role': 'controlplane', role: 'main', app: 'etcd-statefulset' },
      selector: { matchLabels: { 'gardener.cloud/role': 'controlplane', role: 'main' } },
      etcd: {
        quota: '8Gi',
        clientPort: 2379,
        serverPort: 2380,
        metrics: 'basic',
        defragmentationSchedule: '0 */24 * * *',
        clientUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd-bundle', dataKey: 'bundle.crt' },
          serverTLSSecretRef: { name: 'etcd-server-etcd-main' },
          clientTLSSecretRef: { name: 'etcd-client' },
        },
        peerUrlTls: {
          tlsCASecretRef: { name: 'ca-etcd-peer-bundle', dataKey: 'bundle.crt' },
          serverTLSSecretRef: { name: 'etcd-peer-server-etcd-main' },
        },
      },
      backup: {
        port: 8080,
        store: {
          provider: 'local',
          container: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
          prefix: `${SAMPLE_BACKUP_ENTRY}/etcd-main`,
          secretRef: { name: 'etcd-backup' },
        },
        fullSnapshotSchedule: '0 */12 * * *',
        deltaSnapshotPeriod: '5m',
        deltaSnapshotMemoryLimit: '100Mi',
        garbageCollectionPolicy: 'Exponential',
        garbageCollectionPeriod: '12h',
        compression: { enabled: true, policy: 'gzip' },
        ...backup,
      },
      sharedConfig: { autoCompactionMode: 'periodic', autoCompactionRetention: '30m' },
      storageCapacity: '10Gi',
      priorityClassName: 'gardener-system-500',
      futureField: { keep: 'me' },
      ...spec,
    },
  };
}

/** The task Gardener's Restore creates (pkg/gardenlet/operation/botanist/etcdcopybackupstask.go). */
export function sampleCopyTask(spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'druid.gardener.cloud/v1alpha1',
    kind: 'EtcdCopyBackupsTask',
    metadata: { name: 'my-shoot', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
    spec: {
      podLabels: {
        'networking.gardener.cloud/to-dns': 'allowed',
        'networking.gardener.cloud/to-public-networks': 'allowed',
      },
      sourceStore: {
        provider: 's3',
        container: 'source-bucket',
        prefix: `${SAMPLE_BACKUP_ENTRY}/etcd-main`,
        secretRef: { name: 'source-etcd-backup', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
      },
      targetStore: {
        provider: 'local',
        container: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
        prefix: `${SAMPLE_BACKUP_ENTRY}/etcd-main`,
        secretRef: { name: 'etcd-backup', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
      },
      waitForFinalSnapshot: { enabled: true, timeout: '5m' },
      ...spec,
    },
  };
}

/** `sampleCopyTask()` after its copy failed (the Failed condition and a last error). */
export function sampleFailedCopyTask(): KubeObject {
  return {
    ...sampleCopyTask(),
    status: {
      conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'source unreachable' }],
      lastError: 'dial tcp: i/o timeout',
    },
  };
}

const cloudProviderSecretRef = { name: 'cloudprovider', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE };

/** An extension's status after a successful reconcile of generation 1. */
export const SAMPLE_SUCCEEDED_EXTENSION_STATUS: ExtensionStatus = {
  observedGeneration: 1,
  lastOperation: {
    type: 'Reconcile',
    state: 'Succeeded',
    progress: 100,
    description: 'done',
    lastUpdateTime: '2026-11-23T19:40:00Z',
  },
};

/** One object of each extension kind, as the gardenlet writes them for the sample shoot. */
export const sampleExtensionObjects: Record<string, KubeObject> = {
  BackupBucket: {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'BackupBucket',
    metadata: { name: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11' },
    spec: { type: 'local', region: 'local', secretRef: { name: 'backup-seed-a', namespace: 'garden' } },
  },
  BackupEntry: {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'BackupEntry',
    metadata: { name: `${SAMPLE_BACKUP_ENTRY}` },
    spec: {
      type: 'local',
      region: 'local',
      bucketName: '3f1c4f0e-5b0d-4c3a-9a52-2d7c3f0b9e11',
      secretRef: { name: 'entry-shoot--dev--my-shoot--0b5e8d3a', namespace: 'garden' },
      backupBucketProviderStatus: { root: '/var/lib/transplant/buckets' },
    },
  },
  DNSRecord: {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'DNSRecord',
    metadata: { name: 'my-shoot-internal', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
    spec: {
      type: 'local',
      secretRef: cloudProviderSecretRef,
      name: 'api.internal.my-shoot.dev.local.gardener.cloud',
      recordType: 'A',
      values: ['10.0.0.10'],
      ttl: 120,
    },
  },
  Infrastructure: {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'Infrastructure',
    metadata: { name: 'my-shoot', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
    spec: {
      type: 'local',
      region: 'local',
      secretRef: cloudProviderSecretRef,
      sshPublicKey: 'c3NoLWVkMjU1MTkgQUFBQQ==',
    },
  },
  ControlPlane: {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'ControlPlane',
    metadata: { name: 'my-shoot', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
    spec: {
      type: 'local',
      region: 'local',
      secretRef: cloudProviderSecretRef,
      purpose: 'normal',
      infrastructureProviderStatus: { apiVersion: 'local.provider.extensions.gardener.cloud/v1alpha1' },
    },
  },
  Worker: {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'Worker',
    metadata: { name: 'my-shoot', namespace: SAMPLE_CONTROL_PLANE_NAMESPACE },
    spec: {
      type: 'local',
      region: 'local',
      secretRef: cloudProviderSecretRef,
      pools: [
        {
          name: 'local',
          machineType: 'local',
          minimum: 1,
          maximum: 3,
          maxSurge: 1,
          maxUnavailable: '0%',
          machineImage: { name: 'node-agent', version: '1.0.0' },
          labels: { 'worker.gardener.cloud/pool': 'local' },
          zones: ['0'],
          userDataSecretRef: { name: 'osc', key: 'cloud_config' },
        },
      ],
    },
  },
  Cluster: {
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'Cluster',
    metadata: { name: SAMPLE_CONTROL_PLANE_NAMESPACE },
    spec: {
      cloudProfile: { apiVersion: 'core.gardener.cloud/v1beta1', kind: 'CloudProfile', metadata: { name: 'local' } },
      seed: { apiVersion: 'core.gardener.cloud/v1beta1', kind: 'Seed', metadata: { name: 'seed-a' } },
      shoot: {
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'Shoot',
        metadata: { name: 'my-shoot', namespace: 'garden-dev' },
      },
    },
  },
};

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** A Role in `namespace` with these `rules`. */
export function sampleRole(rules: unknown, namespace = 'garden-dev'): KubeObject {
  return { apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: { name: 'r', namespace }, rules };
}

/** A RoleBinding in `namespace` (a ClusterRoleBinding without one) of ClusterRole view to jane, with `fields` on top. */
export function sampleBinding(fields: Record<string, unknown>, namespace?: string): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: namespace ? 'RoleBinding' : 'ClusterRoleBinding',
    metadata: { name: 'b', ...(namespace ? { namespace } : {}) },
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', apiGroup: RBAC_GROUP, name: 'jane' }],
    ...fields,
  };
}
