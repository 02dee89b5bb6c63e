/**
 * batch/v1 Job and CronJob as the API server treats them (batch/v1 defaults.go, batch/validation,
 * the Job strategy): a new Job gets a selector of its own uid and its template the matching
 * labels (unless `manualSelector`), completions and parallelism 1, backoffLimit 6; pods of a Job
 * restart OnFailure or Never; selector, completion mode and completions are fixed, and the
 * template too unless the Job is suspended. A CronJob needs a schedule cron can read, a name of
 * at most 52 characters (its Jobs append a suffix) and gets Allow, 3 and 1 as its policy and
 * history limits.
 */
import { atLeast } from '../apps/workloads.js';
import { defaultTemplate, templateIn, validateSelectorForTemplate, validateTemplate } from '../core/pod-template.js';
import { FieldError } from '../errors.js';
import { asLabelSelector } from '../label-selector.js';
import { isRecord, type KubeObject } from '../meta.js';
import { resourceRef } from '../resource-ref.js';
import { semanticEqual } from '../validation.js';

export const jobResource = resourceRef({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  namespaced: true,
});
export const cronJobResource = resourceRef({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  namespaced: true,
});

export const JOB_RESTART_POLICIES = ['OnFailure', 'Never'] as const;

const unset = (value: unknown): boolean => value === undefined || value === null;

function record(holder: Record<string, unknown>, field: string): Record<string, unknown> {
  if (!isRecord(holder[field])) holder[field] = {};
  return holder[field] as Record<string, unknown>;
}

function specOf(obj: KubeObject): Record<string, unknown> {
  return record(obj as Record<string, unknown>, 'spec');
}

/** A new Job's selector and template labels from its uid and name (the Job strategy's generateSelector). */
export function generateJobSelector(obj: KubeObject): void {
  const spec = specOf(obj);
  if (spec.manualSelector === true) return;
  const uid = obj.metadata.uid ?? '';
  const name = obj.metadata.name ?? '';
  const template = record(spec, 'template');
  const metadata = record(template, 'metadata');
  metadata.labels = {
    ...(isRecord(metadata.labels) ? metadata.labels : {}),
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
}

export function defaultJob(obj: KubeObject): void {
  const spec = specOf(obj);
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (unset(spec.parallelism)) spec.parallelism = 1;
  if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? 6 : 2147483647;
  if (unset(spec.completionMode)) spec.completionMode = 'NonIndexed';
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.podReplacementPolicy)) {
    spec.podReplacementPolicy = isRecord(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed';
  }
  const labels = templateIn(spec)?.metadata?.labels;
  if (labels && Object.keys(obj.metadata.labels ?? {}).length === 0) obj.metadata.labels = { ...labels };
  defaultTemplate(templateIn(spec));
}

/** A job spec's problems; `path` is where it sits (`spec`, `spec.jobTemplate.spec`). */
function jobSpecErrors(spec: Record<string, unknown>, path: string, selectorRequired: boolean): FieldError[] {
  const template = templateIn(spec);
  const errs = [
    ...validateTemplate(template, `${path}.template`, JOB_RESTART_POLICIES),
    ...atLeast(spec, 'parallelism', 0, path),
    ...atLeast(spec, 'completions', 0, path),
    ...atLeast(spec, 'backoffLimit', 0, path),
    ...atLeast(spec, 'activeDeadlineSeconds', 1, path),
    ...atLeast(spec, 'ttlSecondsAfterFinished', 0, path),
  ];
  if (selectorRequired || !unset(spec.selector)) {
    errs.push(...validateSelectorForTemplate(asLabelSelector(spec.selector), template, path, 'job'));
  }
  if (spec.completionMode === 'Indexed' && unset(spec.completions)) {
    errs.push(FieldError.required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  return errs;
}

export function validateJob(obj: KubeObject): FieldError[] {
  return jobSpecErrors(specOf(obj), 'spec', true);
}

export function validateJobUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateJob(obj);
  const spec = specOf(obj);
  const before = specOf(old);
  for (const field of ['selector', 'completionMode', 'completions']) {
    if (!semanticEqual(spec[field], before[field])) errs.push(FieldError.immutable(`spec.${field}`, spec[field]));
  }
  if (before.suspend !== true && !semanticEqual(spec.template, before.template)) {
    errs.push(FieldError.immutable('spec.template', spec.template));
  }
  return errs;
}

export function defaultCronJob(obj: KubeObject): void {
  const spec = specOf(obj);
  if (unset(spec.concurrencyPolicy)) spec.concurrencyPolicy = 'Allow';
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.successfulJobsHistoryLimit)) spec.successfulJobsHistoryLimit = 3;
  if (unset(spec.failedJobsHistoryLimit)) spec.failedJobsHistoryLimit = 1;
  const jobSpec = isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
  defaultTemplate(templateIn(jobSpec));
}

/** Cron's shorthands, and what one field of a five-field schedule may hold. */
const descriptors = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/;
const every = /^@every\s+([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const cronField = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;

/** Why `schedule` is not a schedule, or undefined when it is one. */
export function cronScheduleError(schedule: string): string | undefined {
  if (/(^|\s)(CRON_)?TZ=/.test(schedule)) return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  const text = schedule.trim();
  if (descriptors.test(text) || every.test(text)) return undefined;
  const fields = text.split(/\s+/);
  if (fields.length !== 5)
    return `unparseable schedule: expected exactly 5 fields, found ${fields.length}: "${schedule}"`;
  const bad = fields.find((f) => !cronField.test(f));
  return bad === undefined ? undefined : `unparseable schedule: failed to parse "${bad}"`;
}

export function validateCronJob(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  if (name.length > 52) errs.push(FieldError.invalid('metadata.name', name, 'must be no more than 52 characters'));
  if (typeof spec.schedule !== 'string' || spec.schedule === '') errs.push(FieldError.required('spec.schedule'));
  else {
    const problem = cronScheduleError(spec.schedule);
    if (problem) errs.push(FieldError.invalid('spec.schedule', spec.schedule, problem));
  }
  errs.push(...atLeast(spec, 'startingDeadlineSeconds', 0));
  errs.push(...atLeast(spec, 'successfulJobsHistoryLimit', 0));
  errs.push(...atLeast(spec, 'failedJobsHistoryLimit', 0));
  const jobTemplate = isRecord(spec.jobTemplate) ? spec.jobTemplate : undefined;
  if (!jobTemplate) errs.push(FieldError.required('spec.jobTemplate'));
  else errs.push(...jobSpecErrors(isRecord(jobTemplate.spec) ? jobTemplate.spec : {}, 'spec.jobTemplate.spec', false));
  return errs;
}
