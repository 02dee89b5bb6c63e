/**
 * How the lists of the built-in kinds merge (their Go types' `patchStrategy`/`patchMergeKey` and
 * `listType`/`listMapKeys` markers, which the published schemas carry as `x-kubernetes-*` and
 * kubernetes-models strips): a map list's items are identified by their keys (containers by
 * name, container ports by containerPort, Service ports by port), a set's by their value; every
 * list not named here is atomic and replaced whole. Strategic merge patches (`kubectl apply`)
 * merge by the merge key; server-side apply needs the keys too. Written by hand for the types
 * users patch, keyed by the declaring type as kubernetes-models names its file
 * (`v1.Container`, `apps.v1.DeploymentStatus`, `apimachinery.apis.meta.v1.ObjectMeta`).
 */

export type ListFact =
  | { readonly type: 'map'; readonly keys: readonly string[]; readonly mergeKey: string }
  | { readonly type: 'set' };

const byName: ListFact = { type: 'map', keys: ['name'], mergeKey: 'name' };
const byType: ListFact = { type: 'map', keys: ['type'], mergeKey: 'type' };
const byIp: ListFact = { type: 'map', keys: ['ip'], mergeKey: 'ip' };
const set: ListFact = { type: 'set' };
const conditions = { conditions: byType };

export const listFacts: Readonly<Record<string, Readonly<Record<string, ListFact>>>> = {
  'apimachinery.apis.meta.v1.ObjectMeta': {
    finalizers: set,
    ownerReferences: { type: 'map', keys: ['uid'], mergeKey: 'uid' },
  },
  'v1.PodSpec': {
    containers: byName,
    initContainers: byName,
    ephemeralContainers: byName,
    volumes: byName,
    imagePullSecrets: byName,
    hostAliases: byIp,
    resourceClaims: byName,
    schedulingGates: byName,
    topologySpreadConstraints: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'], mergeKey: 'topologyKey' },
  },
  'v1.Container': {
    ports: { type: 'map', keys: ['containerPort', 'protocol'], mergeKey: 'containerPort' },
    env: byName,
    volumeMounts: { type: 'map', keys: ['mountPath'], mergeKey: 'mountPath' },
    volumeDevices: { type: 'map', keys: ['devicePath'], mergeKey: 'devicePath' },
  },
  'v1.EphemeralContainer': {
    env: byName,
    volumeMounts: { type: 'map', keys: ['mountPath'], mergeKey: 'mountPath' },
    volumeDevices: { type: 'map', keys: ['devicePath'], mergeKey: 'devicePath' },
  },
  'v1.PodStatus': { conditions: byType, podIPs: byIp, hostIPs: byIp },
  'v1.NodeSpec': { podCIDRs: set },
  'v1.NodeStatus': { conditions: byType, addresses: byType },
  'v1.ServiceSpec': { ports: { type: 'map', keys: ['port', 'protocol'], mergeKey: 'port' } },
  'v1.ServiceStatus': conditions,
  'v1.ServiceAccount': { secrets: byName },
  'v1.NamespaceStatus': conditions,
  'v1.PersistentVolumeClaimStatus': conditions,
  'v1.ReplicationControllerStatus': conditions,
  'apps.v1.DeploymentStatus': conditions,
  'apps.v1.ReplicaSetStatus': conditions,
  'apps.v1.StatefulSetStatus': conditions,
  'apps.v1.DaemonSetStatus': conditions,
  'batch.v1.JobStatus': conditions,
  'autoscaling.v2.HorizontalPodAutoscalerStatus': conditions,
  'policy.v1.PodDisruptionBudgetStatus': conditions,
  'certificates.k8s.io.v1.CertificateSigningRequestStatus': conditions,
  'apiextensions.k8s.io.v1.CustomResourceDefinitionStatus': conditions,
  'apiregistration.k8s.io.v1.APIServiceStatus': conditions,
};
