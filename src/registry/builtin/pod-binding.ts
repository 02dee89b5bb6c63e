/**
 * Binding a pod to a node (k8s registry/core/pod BindingREST.assignPod): `POST
 * pods/<name>/binding` and `POST bindings` set `spec.nodeName` — which no update of the pod
 * itself may change — and the PodScheduled condition, once: a pod already on a node, or being
 * deleted, is a 409. The handlers decode the Binding; the `binding` subresource strategy here is
 * how they write, so the pod's own update rules stay whole.
 */
import { badRequest, conflict, FieldError, invalid, successStatus } from '../../api/errors.js';
import { deepCopy, isRecord, type KubeObject, nowTimestamp } from '../../api/meta.js';
import type { CustomHandler, CustomRequest } from '../../apiserver/custom-handler.js';
import { parseBody } from '../../apiserver/http-util.js';
import type { SubresourceDefinition } from '../../apiserver/types.js';

const pods = { group: '', resource: 'pods' };

/** The node the binding handlers asked for travels in `spec.nodeName` of the updated pod. */
export const podBindingSubresource: SubresourceDefinition = {
  name: 'binding',
  verbs: ['update'],
  strategy: {
    /** Keeps the stored pod but for spec.nodeName and PodScheduled; throws 409 for a bound or deleted pod. */
    prepareForUpdate(obj, old) {
      const name = old.metadata.name ?? '';
      const spec = isRecord(old.spec) ? old.spec : {};
      if (spec.nodeName)
        throw conflict(pods, name, `pod ${name} is already assigned to node "${String(spec.nodeName)}"`);
      if (old.metadata.deletionTimestamp) {
        throw conflict(pods, name, `pod ${name} is being deleted, cannot be assigned to a host`);
      }
      const nodeName = isRecord(obj.spec) ? obj.spec.nodeName : undefined;
      for (const key of Object.keys(obj)) delete obj[key];
      Object.assign(obj, deepCopy(old));
      (obj.spec as Record<string, unknown>).nodeName = nodeName;
      const status = isRecord(obj.status) ? obj.status : {};
      const conditions = Array.isArray(status.conditions)
        ? status.conditions.filter((c) => !isRecord(c) || c.type !== 'PodScheduled')
        : [];
      conditions.push({
        type: 'PodScheduled',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: nowTimestamp(),
      });
      obj.status = { ...status, conditions };
    },
  },
};

/** Reads a Binding and binds the pod it names (`podName` from the URL, or the Binding's own name). */
async function bind(req: CustomRequest, podName: string | undefined): Promise<{ code: number; body: unknown }> {
  if (req.method !== 'POST') throw badRequest(`${req.method} is not supported for bindings: POST a Binding`);
  const body = parseBody(req.raw, req.contentType);
  if (!isRecord(body)) throw badRequest('the request body must be a Binding object');
  const meta = isRecord(body.metadata) ? body.metadata : {};
  const name = podName ?? (typeof meta.name === 'string' ? meta.name : '');
  const target = isRecord(body.target) ? body.target : {};
  const errs: FieldError[] = [];
  if (!name) errs.push(FieldError.required('metadata.name'));
  if (typeof target.name !== 'string' || target.name === '') errs.push(FieldError.required('target.name'));
  if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
    errs.push(FieldError.notSupported('target.kind', target.kind, ['Node']));
  }
  if (errs.length > 0) throw invalid({ group: '', kind: 'Binding' }, name, errs);
  const store = req.server.store('', 'pods');
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: target.name } };
  const dryRun = req.query.getAll('dryRun').includes('All');
  await store.update(req.info.namespace, name, 'binding', pod, { user: req.user, dryRun });
  return { code: 201, body: { ...successStatus(), code: 201 } };
}

/** `POST /api/v1/namespaces/<ns>/pods/<name>/binding` (what a scheduler sends). */
export const podBindingHandler: CustomHandler = {
  group: '',
  version: 'v1',
  resource: 'pods',
  subresource: 'binding',
  handle: (req) => bind(req, req.info.name),
};

/** `POST /api/v1/namespaces/<ns>/bindings`: the same, the pod named by the Binding. */
export const bindingsHandler: CustomHandler = {
  group: '',
  version: 'v1',
  resource: 'bindings',
  discovery: {
    group: '',
    version: 'v1',
    name: 'bindings',
    singular: 'binding',
    kind: 'Binding',
    namespaced: true,
    verbs: ['create'],
  },
  handle: (req) => bind(req, undefined),
};
