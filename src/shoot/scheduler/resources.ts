/**
 * What a pod asks of a node and what a node has to give, as the scheduler counts them (k8s
 * `resourcehelper.PodRequests`, `NodeInfo.Allocatable`): cpu in millicores, memory and storage in
 * bytes, `pods` as a count, extended resources as their plain numbers. A pod's request is the sum
 * of its containers', or the largest init container's if that is larger (init containers run one
 * at a time, before the others; a restartable "sidecar" init container keeps running and adds to
 * both), plus its `overhead`; a container with a limit but no request requests its limit.
 */
import { isRecord, type KubeObject } from '../../api/meta.js';
import { parseQuantity } from '../../api/quantity.js';

/** Resource name → amount (cpu in millicores). */
export type ResourceAmounts = Record<string, number>;

/** What kube-scheduler counts for a pod without requests, when it scores (not when it filters). */
export const DEFAULT_NON_ZERO_MILLI_CPU = 100;
export const DEFAULT_NON_ZERO_MEMORY = 200 * 1024 * 1024;

/** A quantity of resource `name` in the scheduler's unit; 0 when it is not a quantity. */
function amount(name: string, value: unknown): number {
  const parsed = parseQuantity(value) ?? 0;
  return name === 'cpu' ? Math.round(parsed * 1000) : Math.round(parsed);
}

function amounts(list: unknown): ResourceAmounts {
  if (!isRecord(list)) return {};
  return Object.fromEntries(Object.entries(list).map(([name, value]) => [name, amount(name, value)]));
}

/** A container's requests: `resources.requests`, and its limits where it requests nothing. */
function containerRequests(container: unknown): ResourceAmounts {
  const resources = isRecord(container) && isRecord(container.resources) ? container.resources : {};
  return { ...amounts(resources.limits), ...amounts(resources.requests) };
}

function add(into: ResourceAmounts, more: ResourceAmounts): ResourceAmounts {
  const sum = { ...into };
  for (const [name, value] of Object.entries(more)) sum[name] = (sum[name] ?? 0) + value;
  return sum;
}

function max(a: ResourceAmounts, b: ResourceAmounts): ResourceAmounts {
  const out = { ...a };
  for (const [name, value] of Object.entries(b)) out[name] = Math.max(out[name] ?? 0, value);
  return out;
}

function list(spec: Record<string, unknown>, field: string): unknown[] {
  return Array.isArray(spec[field]) ? (spec[field] as unknown[]) : [];
}

/** The pod's requests (without the `pods` count). */
export function podRequests(pod: KubeObject): ResourceAmounts {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  let requests = list(spec, 'containers').map(containerRequests).reduce(add, {});
  let sidecars: ResourceAmounts = {};
  let initMax: ResourceAmounts = {};
  for (const init of list(spec, 'initContainers')) {
    const own = containerRequests(init);
    if (isRecord(init) && init.restartPolicy === 'Always') {
      requests = add(requests, own);
      sidecars = add(sidecars, own);
      initMax = max(initMax, sidecars);
    } else {
      initMax = max(initMax, add(own, sidecars));
    }
  }
  return add(max(requests, initMax), amounts(spec.overhead));
}

/** The requests scoring counts: a pod asking for no cpu or memory counts as a small one, so such pods spread. */
export function nonZeroRequests(requests: ResourceAmounts): ResourceAmounts {
  return {
    ...requests,
    cpu: requests.cpu || DEFAULT_NON_ZERO_MILLI_CPU,
    memory: requests.memory || DEFAULT_NON_ZERO_MEMORY,
  };
}

/** `status.allocatable` of a node (its capacity where it reports no allocatable). */
export function nodeAllocatable(node: KubeObject): ResourceAmounts {
  const status = isRecord(node.status) ? node.status : {};
  return { ...amounts(status.capacity), ...amounts(status.allocatable) };
}

/** The sum of `pods`' requests, and their count as `pods`. */
export function requestedOnNode(
  pods: readonly KubeObject[],
  count: (pod: KubeObject) => ResourceAmounts = podRequests,
) {
  return { ...pods.map(count).reduce(add, {}), pods: pods.length };
}
