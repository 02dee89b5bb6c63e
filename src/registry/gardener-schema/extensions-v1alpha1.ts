/**
 * extensions.gardener.cloud/v1alpha1 as Gardener defines it (pkg/apis/extensions/v1alpha1), the
 * kinds a seed serves; `core:` names a type of core.gardener.cloud (notation: field-table.ts).
 */
import type { TypeTable } from './field-table.js';

export const extensionsV1alpha1Types: TypeTable = {
  id: 'com.github.gardener.gardener.pkg.apis.extensions.v1alpha1',
  descriptions: {
    BackupBucket: 'An object store bucket for the etcd backups of the shoots on a seed.',
    BackupEntry: "The prefix in a BackupBucket holding one shoot's etcd backups.",
    Cluster: "The shoot, seed and cloud profile a shoot's extensions work with.",
    ControlPlane: "The provider-specific part of a shoot's control plane.",
    DNSRecord: 'A DNS record managed by a DNS provider extension.',
    Infrastructure: 'The infrastructure (networks, security groups) of a shoot.',
    Worker: "The machines of a shoot's worker pools.",
  },
  types: {
    DefaultSpec: {
      type: 'string!',
      class: 'string',
      providerConfig: 'raw',
    },
    DefaultStatus: {
      providerStatus: 'raw',
      conditions: '[]core:Condition',
      lastError: 'core:LastError',
      lastOperation: 'core:LastOperation',
      observedGeneration: 'integer',
      state: 'raw',
      resources: '[]core:NamedResourceReference',
    },
    BackupBucket: {
      metadata: 'k8s:meta/ObjectMeta',
      spec: 'BackupBucketSpec!',
      status: 'BackupBucketStatus',
    },
    BackupEntry: {
      metadata: 'k8s:meta/ObjectMeta',
      spec: 'BackupEntrySpec!',
      status: 'BackupEntryStatus',
    },
    Cluster: {
      metadata: 'k8s:meta/ObjectMeta',
      spec: 'ClusterSpec!',
    },
    ControlPlane: {
      metadata: 'k8s:meta/ObjectMeta',
      spec: 'ControlPlaneSpec!',
      status: 'ControlPlaneStatus',
    },
    DNSRecord: {
      metadata: 'k8s:meta/ObjectMeta',
      spec: 'DNSRecordSpec!',
      status: 'DNSRecordStatus',
    },
    Infrastructure: {
      metadata: 'k8s:meta/ObjectMeta',
      spec: 'InfrastructureSpec!',
      status: 'InfrastructureStatus',
    },
    Worker: {
      metadata: 'k8s:meta/ObjectMeta',
      spec: 'WorkerSpec!',
      status: 'WorkerStatus',
    },
    BackupBucketSpec: {
      '...': 'DefaultSpec',
      region: 'string!',
      secretRef: 'k8s:core/SecretReference!',
    },
    BackupBucketStatus: {
      '...': 'DefaultStatus',
      generatedSecretRef: ['k8s:core/SecretReference', 'Secret the extension generated for access to the bucket.'],
    },
    BackupEntrySpec: {
      '...': 'DefaultSpec',
      backupBucketProviderStatus: 'raw',
      region: 'string!',
      bucketName: ['string!', 'BackupBucket the entry lives in.'],
      secretRef: 'k8s:core/SecretReference!',
    },
    BackupEntryStatus: {
      '...': 'DefaultStatus',
    },
    ClusterSpec: {
      cloudProfile: 'raw!',
      seed: 'raw',
      shoot: 'raw!',
    },
    ControlPlaneSpec: {
      '...': 'DefaultSpec',
      infrastructureProviderStatus: 'raw',
      region: 'string!',
      secretRef: 'k8s:core/SecretReference!',
      purpose: ['string', 'normal or exposure (removed from Gardener; Transplant still sets it).'],
    },
    ControlPlaneStatus: {
      '...': 'DefaultStatus',
    },
    DNSRecordSpec: {
      '...': 'DefaultSpec',
      secretRef: 'k8s:core/SecretReference!',
      region: 'string',
      zone: 'string',
      name: 'string!',
      recordType: 'string!',
      values: '[]string!',
      ttl: 'integer',
    },
    DNSRecordStatus: {
      '...': 'DefaultStatus',
      zone: 'string',
    },
    InfrastructureSpec: {
      '...': 'DefaultSpec',
      region: 'string!',
      secretRef: 'k8s:core/SecretReference!',
      sshPublicKey: 'bytes',
    },
    InfrastructureStatus: {
      '...': 'DefaultStatus',
      nodesCIDR: 'string',
      egressCIDRs: '[]string',
      networking: 'InfrastructureStatusNetworking',
    },
    WorkerSpec: {
      '...': 'DefaultSpec',
      infrastructureProviderStatus: 'raw',
      region: 'string!',
      secretRef: 'k8s:core/SecretReference!',
      sshPublicKey: 'bytes',
      pools: '[]WorkerPool!',
    },
    WorkerStatus: {
      '...': 'DefaultStatus',
      machineDeployments: '[]MachineDeployment',
      machineDeploymentsLastUpdateTime: 'time',
      inPlaceUpdates: 'InPlaceUpdatesWorkerStatus',
    },
    InfrastructureStatusNetworking: {
      pods: '[]string',
      nodes: '[]string',
      services: '[]string',
    },
    WorkerPool: {
      machineType: 'string!',
      maximum: 'integer!',
      maxSurge: 'int-or-string!',
      maxUnavailable: 'int-or-string!',
      annotations: 'map:string',
      labels: 'map:string',
      taints: '[]k8s:core/Taint',
      machineImage: 'MachineImage',
      minimum: 'integer!',
      name: 'string!',
      nodeAgentSecretName: 'string',
      providerConfig: 'raw',
      userDataSecretRef: 'k8s:core/SecretKeySelector!',
      volume: 'core:Volume',
      dataVolumes: '[]core:DataVolume',
      kubeletDataVolumeName: 'string',
      zones: '[]string',
      machineControllerManager: 'core:MachineControllerManagerSettings',
      kubernetesVersion: 'string',
      kubeletConfig: 'core:KubeletConfig',
      nodeTemplate: 'NodeTemplate',
      architecture: 'string',
      clusterAutoscaler: 'ClusterAutoscalerOptions',
      priority: 'integer',
      updateStrategy: 'string',
    },
    MachineDeployment: {
      name: 'string!',
      minimum: 'integer!',
      maximum: 'integer!',
      priority: 'integer',
      autoPreserveFailedMachineMax: 'integer',
    },
    InPlaceUpdatesWorkerStatus: {
      workerPoolToHashMap: 'map:string',
    },
    MachineImage: {
      name: ['string!', 'Name of the image.'],
      version: 'string!',
    },
    NodeTemplate: {
      capacity: 'map:quantity!',
      virtualCapacity: 'map:quantity',
    },
    ClusterAutoscalerOptions: {
      scaleDownUtilizationThreshold: 'string',
      scaleDownGpuUtilizationThreshold: 'string',
      scaleDownUnneededTime: 'duration',
      scaleDownUnreadyTime: 'duration',
      maxNodeProvisionTime: 'duration',
    },
  },
};
