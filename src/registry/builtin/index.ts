/**
 * The built-in API of Kubernetes 1.31 as a shoot's API server serves it: one definition per
 * stored resource of the table (src/api/builtin), built by the generic builder from each kind's
 * behaviour (core.ts, workloads.ts, networking-storage.ts, cluster.ts) — or, for the kinds every
 * API server here already serves (Namespace, Secret, ConfigMap, Event, ServiceAccount, Node,
 * Lease, RBAC), their own definitions with the table's discovery facts — and the custom handlers
 * of the subresources a store cannot serve (scale, pods' binding, eviction and log, bindings).
 * Reviews (authentication and authorization) are served by handlers the server wires itself, as
 * they need its authenticator and authorizer.
 */
import { builtinResources, isStored } from '../../api/builtin/index.js';
import type { CustomHandler } from '../../apiserver/custom-handler.js';
import type { ResourceDefinition } from '../../apiserver/types.js';
import { customResourceDefinition } from '../apiextensions/crd-behaviour.js';
import { leaseDefinition } from '../coordination/lease.js';
import { coreDefinitions } from '../core/index.js';
import { rbacDefinitions } from '../rbac/index.js';
import { builtinDefinition, type KindBehaviour, withTableFacts } from './builder.js';
import * as cluster from './cluster.js';
import * as core from './core.js';
import * as net from './networking-storage.js';
import { bindingsHandler, podBindingHandler } from './pod-binding.js';
import { podEvictionHandler, podLogHandler } from './pod-handlers.js';
import { scaleHandler } from './scale.js';
import * as workloads from './workloads.js';

/**
 * What is special about each kind, by `group/plural` (`group/version/plural` where the versions
 * differ); kinds not listed get schema checks and NAME, AGE.
 */
const behaviours: Readonly<Record<string, KindBehaviour>> = {
  '/pods': core.pod,
  '/services': core.service,
  '/endpoints': core.endpoints,
  '/persistentvolumeclaims': core.persistentVolumeClaim,
  '/persistentvolumes': core.persistentVolume,
  '/podtemplates': core.podTemplate,
  '/resourcequotas': core.resourceQuota,
  '/limitranges': core.limitRange,
  '/replicationcontrollers': workloads.replicationController,
  'apps/deployments': workloads.deployment,
  'apps/replicasets': workloads.replicaSet,
  'apps/statefulsets': workloads.statefulSet,
  'apps/daemonsets': workloads.daemonSet,
  'apps/controllerrevisions': workloads.controllerRevision,
  'batch/jobs': workloads.job,
  'batch/cronjobs': workloads.cronJob,
  'autoscaling/horizontalpodautoscalers': workloads.horizontalPodAutoscaler,
  'autoscaling/v1/horizontalpodautoscalers': workloads.horizontalPodAutoscalerV1,
  'policy/poddisruptionbudgets': workloads.podDisruptionBudget,
  'networking.k8s.io/ingresses': net.ingress,
  'networking.k8s.io/ingressclasses': net.ingressClass,
  'networking.k8s.io/networkpolicies': net.networkPolicy,
  'discovery.k8s.io/endpointslices': net.endpointSlice,
  'storage.k8s.io/storageclasses': net.storageClass,
  'storage.k8s.io/csidrivers': net.csiDriver,
  'storage.k8s.io/csinodes': net.csiNode,
  'storage.k8s.io/volumeattachments': net.volumeAttachment,
  'storage.k8s.io/csistoragecapacities': net.csiStorageCapacity,
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': cluster.mutatingWebhookConfiguration,
  'admissionregistration.k8s.io/validatingwebhookconfigurations': cluster.validatingWebhookConfiguration,
  'admissionregistration.k8s.io/validatingadmissionpolicies': cluster.validatingAdmissionPolicy,
  'admissionregistration.k8s.io/validatingadmissionpolicybindings': cluster.validatingAdmissionPolicyBinding,
  'certificates.k8s.io/certificatesigningrequests': cluster.certificateSigningRequest,
  'scheduling.k8s.io/priorityclasses': cluster.priorityClass,
  'node.k8s.io/runtimeclasses': cluster.runtimeClass,
  'flowcontrol.apiserver.k8s.io/flowschemas': cluster.flowSchema,
  'flowcontrol.apiserver.k8s.io/prioritylevelconfigurations': cluster.priorityLevelConfiguration,
  'apiregistration.k8s.io/apiservices': cluster.apiService,
  'apiextensions.k8s.io/customresourcedefinitions': customResourceDefinition,
  'events.k8s.io/events': cluster.eventsV1Event,
};

/** The definitions every API server here has, by `group/plural`. */
const existing = new Map(
  [...coreDefinitions, leaseDefinition, ...rbacDefinitions].map((d): [string, ResourceDefinition] => [
    `${d.group}/${d.plural}`,
    d,
  ]),
);

/** The definitions of every stored built-in resource, in the table's order. */
export const builtinDefinitions: readonly ResourceDefinition[] = Object.freeze(
  builtinResources.filter(isStored).map((row) => {
    const key = `${row.group}/${row.plural}`;
    const own = existing.get(key);
    const behaviour = behaviours[`${row.group}/${row.version}/${row.plural}`] ?? behaviours[key];
    return own ? withTableFacts(row, own) : builtinDefinition(row, behaviour);
  }),
);

/** The handlers of the built-in subresources no store serves: every `scale`, pods' binding, eviction and log, bindings. */
export const builtinHandlers: readonly CustomHandler[] = Object.freeze([
  ...builtinResources
    .filter((row) => row.subresources.some((s) => s.name === 'scale'))
    .map((row) => scaleHandler(row.group, row.version, row.plural)),
  podBindingHandler,
  bindingsHandler,
  podEvictionHandler,
  podLogHandler,
]);
