/**
 * The `scale` subresource (k8s registry/apps/deployment ScaleREST and its siblings): a workload's
 * replicas seen and changed as an autoscaling/v1 Scale, what `kubectl scale` and autoscalers
 * use. GET answers the Scale; PUT and PATCH (merge, JSON or strategic patches of the Scale)
 * change `spec.replicas` of the workload through its own strategy, so its checks and defaults
 * hold; a Scale carrying a resourceVersion is a precondition on the workload's.
 */

import { formatLabels } from '../../api/core/service.js';
import {
  badRequest,
  conflict,
  FieldError,
  type GroupResource,
  invalid,
  methodNotAllowed,
  unsupportedMediaType,
} from '../../api/errors.js';
import { formatLabelSelector, type LabelSelector } from '../../api/label-selector.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import type { CustomHandler, CustomRequest } from '../../apiserver/custom-handler.js';
import { parseBody } from '../../apiserver/http-util.js';
import { applyPatch, patchTypeOf } from '../../apiserver/patch.js';

/** The Scale of a workload; RC selectors are plain maps, the others label selectors. */
export function scaleOf(obj: KubeObject): KubeObject {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  const selector = isRecord(spec.selector)
    ? 'matchLabels' in spec.selector || 'matchExpressions' in spec.selector
      ? formatLabelSelector(spec.selector as LabelSelector)
      : formatLabels(spec.selector as Record<string, string>)
    : '';
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 0 },
    status: {
      replicas: typeof status.replicas === 'number' ? status.replicas : 0,
      ...(selector && selector !== '<none>' ? { selector } : {}),
    },
  };
}

function replicasOf(scale: unknown, name: string): number {
  const replicas = isRecord(scale) && isRecord(scale.spec) ? scale.spec.replicas : undefined;
  const errs: FieldError[] = [];
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    errs.push(FieldError.typeInvalid('spec.replicas', replicas, 'must be an integer'));
  } else if (replicas < 0)
    errs.push(FieldError.invalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
  if (errs.length > 0) throw invalid({ group: 'autoscaling', kind: 'Scale' }, name, errs);
  return replicas as number;
}

/**
 * Where a kind keeps what its Scale shows: built-in workloads at `spec.replicas`,
 * `status.replicas` and `spec.selector`; custom resources where their CRD's `scale` paths say.
 */
export interface ScaleAccess {
  scaleOf(obj: KubeObject): KubeObject;
  /** The merge patch of the object that sets its replicas. */
  replicasPatch(replicas: number): Record<string, unknown>;
}

const workloadScale: ScaleAccess = { scaleOf, replicasPatch: (replicas) => ({ spec: { replicas } }) };

/** The handler of `<plural>/<name>/scale` in `group`/`version`. */
export function scaleHandler(
  group: string,
  version: string,
  plural: string,
  access: ScaleAccess = workloadScale,
): CustomHandler {
  const ref: GroupResource = { group, resource: plural };
  return {
    group,
    version,
    resource: plural,
    subresource: 'scale',
    async handle(req: CustomRequest) {
      const store = req.server.store(group, plural);
      const { namespace, name } = req.info;
      const current = await store.get(namespace, name);
      if (req.method === 'GET') return { code: 200, body: access.scaleOf(current) };
      if (req.method !== 'PUT' && req.method !== 'PATCH') {
        throw methodNotAllowed(`${req.method} is not allowed on ${plural}/scale`);
      }
      const body = parseBody(req.raw, req.contentType);
      const patchType = req.method === 'PUT' ? undefined : patchTypeOf(req.contentType);
      // Server-side apply of a Scale is not served (kubectl scale sends a merge patch).
      if (patchType === 'apply') throw unsupportedMediaType('server-side apply is not served on the scale subresource');
      const scale = patchType === undefined ? body : applyPatch(patchType, access.scaleOf(current), body);
      if (!isRecord(scale)) throw badRequest('the request body must be a Scale object');
      const wanted = isRecord(scale.metadata) ? scale.metadata.resourceVersion : undefined;
      if (req.method === 'PUT' && wanted && wanted !== current.metadata.resourceVersion) {
        throw conflict(
          ref,
          name,
          'the object has been modified; please apply your changes to the latest version and try again',
        );
      }
      const replicas = replicasOf(scale, name);
      const patch = {
        ...access.replicasPatch(replicas),
        metadata: { resourceVersion: current.metadata.resourceVersion },
      };
      const dryRun = req.query.getAll('dryRun').includes('All');
      const updated = await store.patch(namespace, name, '', 'merge', patch, { user: req.user, dryRun });
      return { code: 200, body: access.scaleOf(updated) };
    },
  };
}
