/**
 * The built-in API table against what `kubectl api-resources` prints on a Kubernetes 1.31 cluster
 * with the default-enabled APIs (componentstatuses left out on purpose: deprecated, answered from
 * the real control plane's components).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinResources, isStored, preferredResources } from '../../src/api/builtin/index.js';
import { apiVersionOf } from '../../src/api/resource-ref.js';
import { schemaErrors } from '../../src/registry/builtin/schema-validation.js';

/** `kubectl api-resources` of 1.31: NAME SHORTNAMES APIVERSION NAMESPACED KIND. */
const kubectl131 = `
bindings - v1 true Binding
configmaps cm v1 true ConfigMap
endpoints ep v1 true Endpoints
events ev v1 true Event
limitranges limits v1 true LimitRange
namespaces ns v1 false Namespace
nodes no v1 false Node
persistentvolumeclaims pvc v1 true PersistentVolumeClaim
persistentvolumes pv v1 false PersistentVolume
pods po v1 true Pod
podtemplates - v1 true PodTemplate
replicationcontrollers rc v1 true ReplicationController
resourcequotas quota v1 true ResourceQuota
secrets - v1 true Secret
serviceaccounts sa v1 true ServiceAccount
services svc v1 true Service
mutatingwebhookconfigurations - admissionregistration.k8s.io/v1 false MutatingWebhookConfiguration
validatingadmissionpolicies - admissionregistration.k8s.io/v1 false ValidatingAdmissionPolicy
validatingadmissionpolicybindings - admissionregistration.k8s.io/v1 false ValidatingAdmissionPolicyBinding
validatingwebhookconfigurations - admissionregistration.k8s.io/v1 false ValidatingWebhookConfiguration
customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition
apiservices - apiregistration.k8s.io/v1 false APIService
controllerrevisions - apps/v1 true ControllerRevision
daemonsets ds apps/v1 true DaemonSet
deployments deploy apps/v1 true Deployment
replicasets rs apps/v1 true ReplicaSet
statefulsets sts apps/v1 true StatefulSet
selfsubjectreviews - authentication.k8s.io/v1 false SelfSubjectReview
tokenreviews - authentication.k8s.io/v1 false TokenReview
localsubjectaccessreviews - authorization.k8s.io/v1 true LocalSubjectAccessReview
selfsubjectaccessreviews - authorization.k8s.io/v1 false SelfSubjectAccessReview
selfsubjectrulesreviews - authorization.k8s.io/v1 false SelfSubjectRulesReview
subjectaccessreviews - authorization.k8s.io/v1 false SubjectAccessReview
horizontalpodautoscalers hpa autoscaling/v2 true HorizontalPodAutoscaler
cronjobs cj batch/v1 true CronJob
jobs - batch/v1 true Job
certificatesigningrequests csr certificates.k8s.io/v1 false CertificateSigningRequest
leases - coordination.k8s.io/v1 true Lease
endpointslices - discovery.k8s.io/v1 true EndpointSlice
events ev events.k8s.io/v1 true Event
flowschemas - flowcontrol.apiserver.k8s.io/v1 false FlowSchema
prioritylevelconfigurations - flowcontrol.apiserver.k8s.io/v1 false PriorityLevelConfiguration
ingressclasses - networking.k8s.io/v1 false IngressClass
ingresses ing networking.k8s.io/v1 true Ingress
networkpolicies netpol networking.k8s.io/v1 true NetworkPolicy
runtimeclasses - node.k8s.io/v1 false RuntimeClass
poddisruptionbudgets pdb policy/v1 true PodDisruptionBudget
clusterrolebindings - rbac.authorization.k8s.io/v1 false ClusterRoleBinding
clusterroles - rbac.authorization.k8s.io/v1 false ClusterRole
rolebindings - rbac.authorization.k8s.io/v1 true RoleBinding
roles - rbac.authorization.k8s.io/v1 true Role
priorityclasses pc scheduling.k8s.io/v1 false PriorityClass
csidrivers - storage.k8s.io/v1 false CSIDriver
csinodes - storage.k8s.io/v1 false CSINode
csistoragecapacities - storage.k8s.io/v1 true CSIStorageCapacity
storageclasses sc storage.k8s.io/v1 false StorageClass
volumeattachments - storage.k8s.io/v1 false VolumeAttachment
`
  .trim()
  .split('\n');

const row = (r: (typeof builtinResources)[number]) =>
  [r.plural, r.shortNames.join(',') || '-', apiVersionOf(r), String(r.namespaced), r.kind].join(' ');

describe('the built-in API table of Kubernetes 1.31', () => {
  it('has exactly the resources kubectl api-resources lists, with their short names, versions, scopes and kinds', () => {
    assert.deepEqual(preferredResources().map(row).sort(), [...kubectl131].sort());
    const others = builtinResources.filter((r) => !preferredResources().includes(r));
    assert.deepEqual(others.map(row), ['horizontalpodautoscalers hpa autoscaling/v1 true HorizontalPodAutoscaler']);
  });

  it('puts exactly the workloads kubectl get all shows in the category all', () => {
    const all = preferredResources()
      .filter((r) => r.categories.includes('all'))
      .map((r) => r.plural);
    assert.deepEqual(all.sort(), [
      'cronjobs',
      'daemonsets',
      'deployments',
      'horizontalpodautoscalers',
      'jobs',
      'pods',
      'replicasets',
      'replicationcontrollers',
      'services',
      'statefulsets',
    ]);
    const extensions = builtinResources.filter((r) => r.categories.includes('api-extensions')).map((r) => r.plural);
    assert.deepEqual(extensions.sort(), [
      'apiservices',
      'customresourcedefinitions',
      'mutatingwebhookconfigurations',
      'validatingadmissionpolicies',
      'validatingadmissionpolicybindings',
      'validatingwebhookconfigurations',
    ]);
  });

  it('gives the workloads a scale subresource of kind autoscaling/v1 Scale, and pods binding, eviction, log and status', () => {
    const scaled = builtinResources.filter((r) => r.subresources.some((s) => s.name === 'scale'));
    assert.deepEqual(scaled.map((r) => r.plural).sort(), [
      'deployments',
      'replicasets',
      'replicationcontrollers',
      'statefulsets',
    ]);
    for (const r of scaled) {
      assert.deepEqual(r.subresources.find((s) => s.name === 'scale')?.kind, {
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
      });
    }
    const pods = builtinResources.find((r) => r.plural === 'pods')!;
    for (const name of ['binding', 'eviction', 'log', 'status']) {
      assert.ok(
        pods.subresources.some((s) => s.name === name),
        name,
      );
    }
    const withStatus = builtinResources
      .filter((r) => r.subresources.some((s) => s.name === 'status'))
      .map((r) => r.plural);
    for (const plural of ['deployments', 'services', 'jobs', 'nodes', 'persistentvolumeclaims', 'ingresses']) {
      assert.ok(withStatus.includes(plural), plural);
    }
    for (const plural of ['configmaps', 'secrets', 'events', 'endpoints', 'leases', 'roles']) {
      assert.ok(!withStatus.includes(plural), plural);
    }
  });

  it('serves reviews and bindings as create-only, everything else with the full set of verbs', () => {
    const createOnly = preferredResources()
      .filter((r) => !isStored(r))
      .map((r) => r.plural);
    assert.deepEqual(createOnly.sort(), [
      'bindings',
      'localsubjectaccessreviews',
      'selfsubjectaccessreviews',
      'selfsubjectreviews',
      'selfsubjectrulesreviews',
      'subjectaccessreviews',
      'tokenreviews',
    ]);
    assert.deepEqual(
      builtinResources.find((r) => r.plural === 'namespaces')?.verbs.includes('deletecollection'),
      false,
    );
  });

  it('finds a kubernetes-models schema for every stored kind', () => {
    for (const r of builtinResources.filter(isStored)) {
      const errors = schemaErrors(r, { apiVersion: apiVersionOf(r), kind: r.kind, metadata: { name: 'x' } });
      assert.ok(Array.isArray(errors), r.kind);
    }
  });
});
