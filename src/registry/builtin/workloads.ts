/**
 * What is special about the workload kinds — Deployment, ReplicaSet, StatefulSet, DaemonSet,
 * ReplicationController, Job, CronJob, HorizontalPodAutoscaler, PodDisruptionBudget,
 * ControllerRevision: their defaults and checks (src/api/apps, src/api/batch) and the columns
 * `kubectl get` prints for them.
 */
import {
  defaultDaemonSet,
  defaultDeployment,
  defaultReplicaSet,
  defaultStatefulSet,
  validateDaemonSet,
  validateDaemonSetUpdate,
  validateDeployment,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from '../../api/apps/workloads.js';
import { hpaV1ToV2, hpaV2ToV1 } from '../../api/autoscaling/horizontal-pod-autoscaler.js';
import {
  defaultCronJob,
  defaultJob,
  generateJobSelector,
  validateCronJob,
  validateJob,
  validateJobUpdate,
} from '../../api/batch/job.js';
import { defaultReplicationController, validateReplicationController } from '../../api/core/replication-controller.js';
import { formatLabels } from '../../api/core/service.js';
import { FieldError } from '../../api/errors.js';
import { isRecord, type KubeObject } from '../../api/meta.js';
import { humanAge } from '../columns.js';
import type { KindBehaviour } from './builder.js';
import { ageAt, at, column, count, lengthAt, selectorColumn, templateColumns, text } from './columns.js';

const templateWide = [...templateColumns('spec.template.spec'), selectorColumn];

export const deployment: KindBehaviour = {
  defaults: defaultDeployment,
  validate: validateDeployment,
  validateUpdate: validateDeploymentUpdate,
  columns: [
    column('READY', (o) => `${count(o, 'status.readyReplicas')}/${count(o, 'spec.replicas')}`),
    column('UP-TO-DATE', (o) => count(o, 'status.updatedReplicas'), { type: 'integer' }),
    column('AVAILABLE', (o) => count(o, 'status.availableReplicas'), { type: 'integer' }),
    ...templateWide,
  ],
};

const replicaColumns = [
  column('DESIRED', (o) => count(o, 'spec.replicas'), { type: 'integer' }),
  column('CURRENT', (o) => count(o, 'status.replicas'), { type: 'integer' }),
  column('READY', (o) => count(o, 'status.readyReplicas'), { type: 'integer' }),
];

export const replicaSet: KindBehaviour = {
  defaults: defaultReplicaSet,
  initialStatus: { replicas: 0 },
  validate: validateReplicaSet,
  validateUpdate: validateReplicaSetUpdate,
  columns: [...replicaColumns, ...templateWide],
};

export const replicationController: KindBehaviour = {
  defaults: defaultReplicationController,
  initialStatus: { replicas: 0 },
  validate: validateReplicationController,
  columns: [
    ...replicaColumns,
    ...templateColumns('spec.template.spec'),
    column('SELECTOR', (o) => formatLabels(at(o, 'spec.selector') as Record<string, string> | undefined), {
      wide: true,
    }),
  ],
};

export const statefulSet: KindBehaviour = {
  defaults: defaultStatefulSet,
  initialStatus: { replicas: 0, availableReplicas: 0 },
  validate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  columns: [
    column('READY', (o) => `${count(o, 'status.readyReplicas')}/${count(o, 'spec.replicas')}`),
    ...templateColumns('spec.template.spec'),
  ],
};

export const daemonSet: KindBehaviour = {
  defaults: defaultDaemonSet,
  initialStatus: { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 },
  validate: validateDaemonSet,
  validateUpdate: validateDaemonSetUpdate,
  columns: [
    column('DESIRED', (o) => count(o, 'status.desiredNumberScheduled'), { type: 'integer' }),
    column('CURRENT', (o) => count(o, 'status.currentNumberScheduled'), { type: 'integer' }),
    column('READY', (o) => count(o, 'status.numberReady'), { type: 'integer' }),
    column('UP-TO-DATE', (o) => count(o, 'status.updatedNumberScheduled'), { type: 'integer' }),
    column('AVAILABLE', (o) => count(o, 'status.numberAvailable'), { type: 'integer' }),
    column('NODE SELECTOR', (o) =>
      formatLabels(at(o, 'spec.template.spec.nodeSelector') as Record<string, string> | undefined),
    ),
    ...templateWide,
  ],
};

function hasCondition(obj: KubeObject, type: string): boolean {
  const conditions = at(obj, 'status.conditions');
  return Array.isArray(conditions) && conditions.some((c) => isRecord(c) && c.type === type && c.status === 'True');
}

/** STATUS of a Job as kubectl 1.31 prints it. */
export function jobStatus(obj: KubeObject): string {
  if (hasCondition(obj, 'Complete')) return 'Complete';
  if (hasCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(obj, 'Suspended')) return 'Suspended';
  if (hasCondition(obj, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** COMPLETIONS: `succeeded/completions`, or `succeeded/1 of parallelism` for a work queue. */
export function jobCompletions(obj: KubeObject): string {
  const succeeded = count(obj, 'status.succeeded');
  const completions = at(obj, 'spec.completions');
  if (typeof completions === 'number') return `${succeeded}/${completions}`;
  const parallelism = at(obj, 'spec.parallelism');
  return typeof parallelism === 'number' && parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(obj: KubeObject): string {
  const start = at(obj, 'status.startTime');
  if (typeof start !== 'string') return '';
  const end = at(obj, 'status.completionTime');
  return humanAge(start, typeof end === 'string' ? Date.parse(end) : Date.now());
}

export const job: KindBehaviour = {
  defaults: defaultJob,
  prepareForCreate: generateJobSelector,
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  columns: [
    column('STATUS', jobStatus),
    column('COMPLETIONS', jobCompletions),
    column('DURATION', jobDuration),
    column('AGE', (o) => humanAge(o.metadata.creationTimestamp), { type: 'date' }),
    ...templateWide,
  ],
};

export const cronJob: KindBehaviour = {
  defaults: defaultCronJob,
  validate: validateCronJob,
  columns: [
    column('SCHEDULE', (o) => text(o, 'spec.schedule', '')),
    column('TIMEZONE', (o) => text(o, 'spec.timeZone')),
    column('SUSPEND', (o) => (at(o, 'spec.suspend') === true ? 'True' : 'False')),
    column('ACTIVE', (o) => lengthAt(o, 'status.active'), { type: 'integer' }),
    column('LAST SCHEDULE', (o) => ageAt(o, 'status.lastScheduleTime')),
    column('AGE', (o) => humanAge(o.metadata.creationTimestamp), { type: 'date' }),
    ...templateColumns('spec.jobTemplate.spec.template.spec'),
    column(
      'SELECTOR',
      (o) => formatLabels(at(o, 'spec.jobTemplate.spec.selector.matchLabels') as Record<string, string>),
      {
        wide: true,
      },
    ),
  ],
};

const cpu80 = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } };

/** TARGETS: each metric's current value (or <unknown>) over its target. */
function hpaTargets(obj: KubeObject): string {
  const metrics = at(obj, 'spec.metrics');
  if (!Array.isArray(metrics) || metrics.length === 0) return '<none>';
  return metrics
    .map((metric) => {
      const source = isRecord(metric) && typeof metric.type === 'string' ? metric[lowerFirst(metric.type)] : undefined;
      const target = at(source, 'target');
      const value = at(target, 'averageUtilization') ?? at(target, 'averageValue') ?? at(target, 'value');
      const suffix = at(target, 'averageUtilization') !== undefined ? '%' : '';
      const name = at(source, 'name') ?? at(source, 'metric.name') ?? '';
      return `${name ? `${String(name)}: ` : ''}<unknown>/${String(value ?? '<unknown>')}${suffix}`;
    })
    .join(', ');
}

function lowerFirst(value: string): string {
  return value.charAt(0).toLowerCase() + value.slice(1);
}

/** minReplicas at least 1, maxReplicas at least minReplicas. */
function hpaReplicaErrors(obj: KubeObject): FieldError[] {
  const min = count(obj, 'spec.minReplicas');
  const max = count(obj, 'spec.maxReplicas');
  const errs: FieldError[] = [];
  if (min < 1) errs.push(FieldError.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  if (max < min)
    errs.push(FieldError.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  return errs;
}

const hpaColumns = (targets: (obj: KubeObject) => string) => [
  column(
    'REFERENCE',
    (o: KubeObject) => `${text(o, 'spec.scaleTargetRef.kind', '')}/${text(o, 'spec.scaleTargetRef.name', '')}`,
  ),
  column('TARGETS', targets),
  column('MINPODS', (o: KubeObject) => count(o, 'spec.minReplicas'), { type: 'integer' }),
  column('MAXPODS', (o: KubeObject) => count(o, 'spec.maxReplicas'), { type: 'integer' }),
  column('REPLICAS', (o: KubeObject) => count(o, 'status.currentReplicas'), { type: 'integer' }),
];

/** autoscaling/v2's defaults: one replica at least, a CPU utilization target of 80% without metrics. */
function defaultHpaV2(obj: KubeObject): void {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  spec.minReplicas ??= 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) spec.metrics = [structuredClone(cpu80)];
  obj.spec = spec;
}

export const horizontalPodAutoscaler: KindBehaviour = {
  initialStatus: { currentReplicas: 0, desiredReplicas: 0 },
  defaults: defaultHpaV2,
  validate: hpaReplicaErrors,
  columns: hpaColumns(hpaTargets),
};

/** autoscaling/v1: converted to and from v2, as which it is stored (and defaulted there). */
export const horizontalPodAutoscalerV1: KindBehaviour = {
  initialStatus: { currentReplicas: 0, desiredReplicas: 0 },
  defaults(obj) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    spec.minReplicas ??= 1;
    obj.spec = spec;
  },
  validate: hpaReplicaErrors,
  columns: hpaColumns((o) => `<unknown>/${text(o, 'spec.targetCPUUtilizationPercentage', '80')}%`),
  conversion: {
    fromStorage: hpaV2ToV1,
    toStorage(obj) {
      const v2 = hpaV1ToV2(obj);
      defaultHpaV2(v2);
      return v2;
    },
  },
};

export const podDisruptionBudget: KindBehaviour = {
  initialStatus: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
  validate(obj) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
      return [FieldError.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set')];
    }
    return [];
  },
  columns: [
    column('MIN AVAILABLE', (o) => text(o, 'spec.minAvailable', 'N/A')),
    column('MAX UNAVAILABLE', (o) => text(o, 'spec.maxUnavailable', 'N/A')),
    column('ALLOWED DISRUPTIONS', (o) => count(o, 'status.disruptionsAllowed'), { type: 'integer' }),
  ],
};

export const controllerRevision: KindBehaviour = {
  columns: [
    column('CONTROLLER', (o) => {
      const owner = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
      if (!owner) return '<none>';
      const group = owner.apiVersion.includes('/') ? `.${owner.apiVersion.split('/')[0]}` : '';
      return `${owner.kind.toLowerCase()}${group}/${owner.name}`;
    }),
    column('REVISION', (o) => count(o, 'revision'), { type: 'integer' }),
  ],
};
