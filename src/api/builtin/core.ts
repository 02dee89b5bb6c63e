/**
 * The core group (`/api/v1`) of Kubernetes 1.31, as `kubectl api-resources` and
 * `kubectl get --raw /api/v1` show it. componentstatuses (deprecated since 1.19, answered from
 * the real control plane's components) is left out.
 */
import {
  type BuiltinResource,
  type BuiltinSubresource,
  CLUSTER,
  createOnly,
  groupVersion,
  NAMESPACED,
  scale,
  status,
} from './resource.js';

const v1 = groupVersion('', 'v1');

const all = ['all'];

/** A subresource with the parent's kind. */
const sub = (name: string, ...verbs: string[]): BuiltinSubresource => ({ name, verbs });

/** What a real pod serves besides itself: the kubelet's streams, binding, eviction, status. */
const podSubresources = [
  sub('attach', 'create', 'get'),
  { name: 'binding', verbs: ['create'], kind: { group: '', version: 'v1', kind: 'Binding' } },
  sub('ephemeralcontainers', 'get', 'patch', 'update'),
  { name: 'eviction', verbs: ['create'], kind: { group: 'policy', version: 'v1', kind: 'Eviction' } },
  sub('exec', 'create', 'get'),
  sub('log', 'get'),
  sub('portforward', 'create', 'get'),
  sub('proxy', 'create', 'delete', 'get', 'patch', 'update'),
  status,
];

export const coreResources: readonly BuiltinResource[] = Object.freeze([
  v1('Binding', 'bindings', NAMESPACED, { verbs: createOnly }),
  v1('ConfigMap', 'configmaps', NAMESPACED, { shortNames: ['cm'] }),
  v1('Endpoints', 'endpoints', NAMESPACED, { shortNames: ['ep'] }),
  v1('Event', 'events', NAMESPACED, { shortNames: ['ev'] }),
  v1('LimitRange', 'limitranges', NAMESPACED, { shortNames: ['limits'] }),
  v1('Namespace', 'namespaces', CLUSTER, {
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [sub('finalize', 'update'), status],
  }),
  v1('Node', 'nodes', CLUSTER, {
    shortNames: ['no'],
    subresources: [sub('proxy', 'create', 'delete', 'get', 'patch', 'update'), status],
  }),
  v1('PersistentVolumeClaim', 'persistentvolumeclaims', NAMESPACED, { shortNames: ['pvc'], subresources: [status] }),
  v1('PersistentVolume', 'persistentvolumes', CLUSTER, { shortNames: ['pv'], subresources: [status] }),
  v1('Pod', 'pods', NAMESPACED, { shortNames: ['po'], categories: all, subresources: podSubresources }),
  v1('PodTemplate', 'podtemplates', NAMESPACED),
  v1('ReplicationController', 'replicationcontrollers', NAMESPACED, {
    shortNames: ['rc'],
    categories: all,
    subresources: [scale, status],
  }),
  v1('ResourceQuota', 'resourcequotas', NAMESPACED, { shortNames: ['quota'], subresources: [status] }),
  v1('Secret', 'secrets', NAMESPACED),
  v1('ServiceAccount', 'serviceaccounts', NAMESPACED, {
    shortNames: ['sa'],
    subresources: [
      {
        name: 'token',
        verbs: ['create'],
        kind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      },
    ],
  }),
  v1('Service', 'services', NAMESPACED, {
    shortNames: ['svc'],
    categories: all,
    subresources: [sub('proxy', 'create', 'delete', 'get', 'patch', 'update'), status],
  }),
]);
