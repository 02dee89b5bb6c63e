/**
 * The remaining groups of Kubernetes 1.31 that `kubectl api-resources` lists: admission,
 * extension and aggregation registration, authentication, authorization, certificates,
 * coordination, discovery, events, flow control, networking, node, RBAC, scheduling and storage.
 * The kinds that extend the API carry the `api-extensions` category, as on a real cluster.
 */
import { type BuiltinResource, CLUSTER, createOnly, groupVersion, NAMESPACED, status } from './resource.js';

const admission = groupVersion('admissionregistration.k8s.io', 'v1');
const apiextensions = groupVersion('apiextensions.k8s.io', 'v1');
const apiregistration = groupVersion('apiregistration.k8s.io', 'v1');
const authentication = groupVersion('authentication.k8s.io', 'v1');
const authorization = groupVersion('authorization.k8s.io', 'v1');
const certificates = groupVersion('certificates.k8s.io', 'v1');
const coordination = groupVersion('coordination.k8s.io', 'v1');
const discovery = groupVersion('discovery.k8s.io', 'v1');
const events = groupVersion('events.k8s.io', 'v1');
const flowcontrol = groupVersion('flowcontrol.apiserver.k8s.io', 'v1');
const networking = groupVersion('networking.k8s.io', 'v1');
const node = groupVersion('node.k8s.io', 'v1');
const rbac = groupVersion('rbac.authorization.k8s.io', 'v1');
const scheduling = groupVersion('scheduling.k8s.io', 'v1');
const storage = groupVersion('storage.k8s.io', 'v1');

const extensions = ['api-extensions'];

export const clusterResources: readonly BuiltinResource[] = Object.freeze([
  admission('MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', CLUSTER, { categories: extensions }),
  admission('ValidatingAdmissionPolicy', 'validatingadmissionpolicies', CLUSTER, {
    categories: extensions,
    subresources: [status],
  }),
  admission('ValidatingAdmissionPolicyBinding', 'validatingadmissionpolicybindings', CLUSTER, {
    categories: extensions,
  }),
  admission('ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', CLUSTER, { categories: extensions }),
  apiextensions('CustomResourceDefinition', 'customresourcedefinitions', CLUSTER, {
    shortNames: ['crd', 'crds'],
    categories: extensions,
    subresources: [status],
  }),
  apiregistration('APIService', 'apiservices', CLUSTER, { categories: extensions, subresources: [status] }),
  authentication('SelfSubjectReview', 'selfsubjectreviews', CLUSTER, { verbs: createOnly }),
  authentication('TokenReview', 'tokenreviews', CLUSTER, { verbs: createOnly }),
  authorization('LocalSubjectAccessReview', 'localsubjectaccessreviews', NAMESPACED, { verbs: createOnly }),
  authorization('SelfSubjectAccessReview', 'selfsubjectaccessreviews', CLUSTER, { verbs: createOnly }),
  authorization('SelfSubjectRulesReview', 'selfsubjectrulesreviews', CLUSTER, { verbs: createOnly }),
  authorization('SubjectAccessReview', 'subjectaccessreviews', CLUSTER, { verbs: createOnly }),
  certificates('CertificateSigningRequest', 'certificatesigningrequests', CLUSTER, {
    shortNames: ['csr'],
    subresources: [{ name: 'approval', verbs: ['get', 'patch', 'update'] }, status],
  }),
  coordination('Lease', 'leases', NAMESPACED),
  discovery('EndpointSlice', 'endpointslices', NAMESPACED),
  events('Event', 'events', NAMESPACED, { shortNames: ['ev'] }),
  flowcontrol('FlowSchema', 'flowschemas', CLUSTER, { subresources: [status] }),
  flowcontrol('PriorityLevelConfiguration', 'prioritylevelconfigurations', CLUSTER, { subresources: [status] }),
  networking('IngressClass', 'ingressclasses', CLUSTER),
  networking('Ingress', 'ingresses', NAMESPACED, { shortNames: ['ing'], subresources: [status] }),
  networking('NetworkPolicy', 'networkpolicies', NAMESPACED, { shortNames: ['netpol'] }),
  node('RuntimeClass', 'runtimeclasses', CLUSTER),
  rbac('ClusterRoleBinding', 'clusterrolebindings', CLUSTER),
  rbac('ClusterRole', 'clusterroles', CLUSTER),
  rbac('RoleBinding', 'rolebindings', NAMESPACED),
  rbac('Role', 'roles', NAMESPACED),
  scheduling('PriorityClass', 'priorityclasses', CLUSTER, { shortNames: ['pc'] }),
  storage('CSIDriver', 'csidrivers', CLUSTER),
  storage('CSINode', 'csinodes', CLUSTER),
  storage('CSIStorageCapacity', 'csistoragecapacities', NAMESPACED),
  storage('StorageClass', 'storageclasses', CLUSTER, { shortNames: ['sc'] }),
  storage('VolumeAttachment', 'volumeattachments', CLUSTER, { subresources: [status] }),
]);
