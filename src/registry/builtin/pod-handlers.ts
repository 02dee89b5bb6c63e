/**
 * `pods/<name>/eviction` and `pods/<name>/log` (k8s registry/core/pod/storage EvictionREST and
 * LogREST). An eviction deletes the pod unless a PodDisruptionBudget selecting it allows no
 * disruption now (429, as `kubectl drain` expects), and takes one disruption from the budget it
 * uses; a pod that is not running (Pending, Succeeded, Failed) is evicted regardless. Logs come
 * from a kubelet: a pod on no node answers an empty log as Kubernetes does; on a node, the
 * containers are simulated by the node agent and write nothing, so a container that started
 * answers an empty log and one that has not is "waiting to start", as a kubelet says.
 */
import {
  badRequest,
  type GroupResource,
  internalError,
  methodNotAllowed,
  StatusError,
  successStatus,
} from '../../api/errors.js';
import { type LabelSelector, selectorMatches } from '../../api/label-selector.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { CustomHandler } from '../../apiserver/custom-handler.js';
import type { RequestContext } from '../../apiserver/registry/generic-store.js';
import { at } from './columns.js';

const budgets: GroupResource = { group: 'policy', resource: 'poddisruptionbudgets' };

function notRunning(pod: KubeObject): boolean {
  const phase = at(pod, 'status.phase');
  return phase === 'Pending' || phase === 'Succeeded' || phase === 'Failed' || Boolean(pod.metadata.deletionTimestamp);
}

/** 429 with the budget's cause, as Kubernetes refuses an eviction. */
function budgetExhausted(budget: KubeObject): StatusError {
  const healthy = Number(at(budget, 'status.currentHealthy') ?? 0);
  const desired = Number(at(budget, 'status.desiredHealthy') ?? 0);
  return new StatusError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: "Cannot evict pod as it would violate the pod's disruption budget.",
    reason: 'TooManyRequests',
    details: {
      causes: [
        {
          type: 'DisruptionBudget',
          message: `The disruption budget ${budget.metadata.name} needs ${desired} healthy pods and has ${healthy} currently`,
        },
      ],
    },
    code: 429,
  });
}

export const podEvictionHandler: CustomHandler = {
  group: '',
  version: 'v1',
  resource: 'pods',
  subresource: 'eviction',
  async handle(req) {
    if (req.method !== 'POST')
      throw methodNotAllowed(`${req.method} is not allowed on pods/eviction: POST an Eviction`);
    const { namespace, name } = req.info;
    const ctx: RequestContext = { user: req.user, dryRun: req.query.getAll('dryRun').includes('All') };
    const pods = req.server.store('', 'pods');
    const pod = await pods.get(namespace, name);
    if (!notRunning(pod)) {
      const pdbs = req.server.store(budgets.group, budgets.resource);
      const matching = (await pdbs.list(namespace, {})).items.filter((b) => {
        const selector = at(b, 'spec.selector');
        return isRecord(selector) && selectorMatches(selector as LabelSelector, pod.metadata.labels);
      });
      if (matching.length > 1) {
        throw internalError(
          'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        );
      }
      const budget = matching[0];
      if (budget) {
        const allowed = Number(at(budget, 'status.disruptionsAllowed') ?? 0);
        if (allowed <= 0) throw budgetExhausted(budget);
        await pdbs.patch(
          namespace,
          budget.metadata.name!,
          'status',
          'merge',
          {
            metadata: { resourceVersion: budget.metadata.resourceVersion },
            status: { disruptionsAllowed: allowed - 1 },
          },
          ctx,
        );
      }
    }
    await pods.delete(namespace, name, ctx, { preconditions: { uid: pod.metadata.uid } });
    return { code: 201, body: { ...successStatus(), code: 201 } };
  },
};

export const podLogHandler: CustomHandler = {
  group: '',
  version: 'v1',
  resource: 'pods',
  subresource: 'log',
  async handle(req) {
    if (req.method !== 'GET') throw methodNotAllowed(`${req.method} is not allowed on pods/log`);
    const { namespace, name } = req.info;
    const pod = await req.server.store('', 'pods').get(namespace, name);
    const names = (['initContainers', 'containers', 'ephemeralContainers'] as const).flatMap((field) => {
      const list = at(pod, `spec.${field}`);
      return Array.isArray(list) ? list.map((c) => String(at(c, 'name') ?? '')) : [];
    });
    const regular = (Array.isArray(at(pod, 'spec.containers')) ? (at(pod, 'spec.containers') as unknown[]) : []).map(
      (c) => String(at(c, 'name') ?? ''),
    );
    let container = req.query.get('container') ?? '';
    if (!container) {
      if (regular.length !== 1) {
        throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${regular.join(' ')}]`);
      }
      container = regular[0]!;
    }
    if (!names.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
    const empty = { code: 200, raw: Buffer.alloc(0), contentType: 'text/plain' };
    if (!at(pod, 'spec.nodeName')) return empty;
    // The node's containers are simulated: one that ran wrote nothing; one not started has no log yet.
    const statuses = ['initContainerStatuses', 'containerStatuses'].flatMap((field) => {
      const list = at(pod, `status.${field}`);
      return Array.isArray(list) ? list : [];
    });
    const state = at(
      statuses.find((s) => at(s, 'name') === container),
      'state',
    );
    if (at(state, 'running') !== undefined || at(state, 'terminated') !== undefined) return empty;
    const reason = at(state, 'waiting.reason') ?? 'ContainerCreating';
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${String(reason)}`);
  },
};
