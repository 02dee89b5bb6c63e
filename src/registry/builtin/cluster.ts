/**
 * What is special about the cluster-wide kinds: admission webhooks and policies (their defaults:
 * failurePolicy Fail, matchPolicy Equivalent, empty selectors, scope `*`, 10 s timeouts, port
 * 443), CertificateSigningRequest (its spec fixed after creation, its conditions changed through
 * `approval`), PriorityClass and RuntimeClass (value and handler fixed), flow control,
 * APIService, and events.k8s.io Events (kept as core Events) — with kubectl's columns for each.
 */
import { FieldError } from '../../api/errors.js';
import { coreEventToEventsV1, eventsV1ToCoreEvent } from '../../api/events/event.js';
import { deepCopy, isRecord, type KubeObject } from '../../api/meta.js';
import { isDns1123Label, semanticEqual } from '../../api/validation.js';
import type { SubresourceDefinition } from '../../apiserver/types.js';
import { humanAge } from '../columns.js';
import type { KindBehaviour } from './builder.js';
import { at, column, count, lengthAt, text } from './columns.js';

function records(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function defaultRules(rules: unknown): void {
  for (const rule of records(rules)) rule.scope ??= '*';
}

function defaultMatch(match: Record<string, unknown>): void {
  match.matchPolicy ??= 'Equivalent';
  match.namespaceSelector ??= {};
  match.objectSelector ??= {};
}

function defaultWebhooks(obj: KubeObject, mutating: boolean): void {
  for (const webhook of records(obj.webhooks)) {
    webhook.failurePolicy ??= 'Fail';
    defaultMatch(webhook);
    webhook.timeoutSeconds ??= 10;
    if (mutating) webhook.reinvocationPolicy ??= 'Never';
    defaultRules(webhook.rules);
    const service = at(webhook, 'clientConfig.service');
    if (isRecord(service)) service.port ??= 443;
  }
}

const webhookColumns = [column('WEBHOOKS', (o: KubeObject) => lengthAt(o, 'webhooks'), { type: 'integer' })];

export const mutatingWebhookConfiguration: KindBehaviour = {
  defaults: (obj) => defaultWebhooks(obj, true),
  columns: webhookColumns,
};

export const validatingWebhookConfiguration: KindBehaviour = {
  defaults: (obj) => defaultWebhooks(obj, false),
  columns: webhookColumns,
};

export const validatingAdmissionPolicy: KindBehaviour = {
  defaults(obj) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    spec.failurePolicy ??= 'Fail';
    if (isRecord(spec.matchConstraints)) {
      defaultMatch(spec.matchConstraints);
      defaultRules(spec.matchConstraints.resourceRules);
    }
    obj.spec = spec;
  },
  columns: [
    column('VALIDATIONS', (o) => lengthAt(o, 'spec.validations'), { type: 'integer' }),
    column('PARAMKIND', (o) => {
      const kind = at(o, 'spec.paramKind');
      return isRecord(kind) ? `${String(kind.apiVersion ?? '')}/${String(kind.kind ?? '')}` : '<unset>';
    }),
  ],
};

export const validatingAdmissionPolicyBinding: KindBehaviour = {
  columns: [
    column('POLICYNAME', (o) => text(o, 'spec.policyName', '')),
    column('PARAMREF', (o) => {
      const ref = at(o, 'spec.paramRef');
      if (!isRecord(ref)) return '<unset>';
      return ref.namespace ? `${String(ref.namespace)}/${String(ref.name ?? '*')}` : `*/${String(ref.name ?? '*')}`;
    }),
  ],
};

/** `certificatesigningrequests/approval`: only the Approved and Denied conditions change. */
const approvalSubresource: SubresourceDefinition = {
  name: 'approval',
  verbs: ['get', 'update', 'patch'],
  strategy: {
    prepareForUpdate(obj, old) {
      const conditions = at(obj, 'status.conditions');
      for (const key of Object.keys(obj)) delete obj[key];
      Object.assign(obj, deepCopy(old));
      obj.status = { ...(isRecord(old.status) ? old.status : {}), conditions: records(conditions) };
    },
    validateUpdate(obj) {
      const errs: FieldError[] = [];
      records(at(obj, 'status.conditions')).forEach((c, i) => {
        if (!['Approved', 'Denied', 'Failed'].includes(String(c.type))) {
          errs.push(FieldError.notSupported(`status.conditions[${i}].type`, c.type, ['Approved', 'Denied', 'Failed']));
        }
      });
      return errs;
    },
  },
};

function csrCondition(obj: KubeObject): string {
  const types = records(at(obj, 'status.conditions')).map((c) => String(c.type));
  if (at(obj, 'status.certificate')) types.push('Issued');
  return types.length > 0 ? types.join(',') : 'Pending';
}

export const certificateSigningRequest: KindBehaviour = {
  /** As the CSR strategy: an update of the main resource keeps the requested spec. */
  prepareForUpdate(obj, old) {
    obj.spec = deepCopy(old.spec);
  },
  subresources: [approvalSubresource],
  columns: [
    column('AGE', (o) => humanAge(o.metadata.creationTimestamp), { type: 'date' }),
    column('SIGNERNAME', (o) => text(o, 'spec.signerName', '')),
    column('REQUESTOR', (o) => text(o, 'spec.username', '')),
    column('REQUESTEDDURATION', (o) => {
      const seconds = at(o, 'spec.expirationSeconds');
      return typeof seconds === 'number' ? humanAge(new Date(0).toISOString(), seconds * 1000) : '<none>';
    }),
    column('CONDITION', csrCondition),
  ],
};

/** Fields fixed once created, each reported as Kubernetes words it. */
function fixed(obj: KubeObject, old: KubeObject, fields: Record<string, (value: unknown) => FieldError>): FieldError[] {
  return Object.entries(fields)
    .filter(([field]) => !semanticEqual(obj[field], old[field]))
    .map(([field, error]) => error(obj[field]));
}

export const priorityClass: KindBehaviour = {
  defaults(obj) {
    obj.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validateUpdate: (obj, old) =>
    fixed(obj, old, {
      value: () => FieldError.forbidden('value', 'may not be changed in an update.'),
      preemptionPolicy: (value) => FieldError.immutable('preemptionPolicy', value),
    }),
  columns: [
    column('VALUE', (o) => count(o, 'value'), { type: 'integer' }),
    column('GLOBAL-DEFAULT', (o) => String(at(o, 'globalDefault') === true)),
    column('PREEMPTIONPOLICY', (o) => text(o, 'preemptionPolicy', '')),
  ],
};

export const runtimeClass: KindBehaviour = {
  validate(obj) {
    const handler = String(obj.handler ?? '');
    return isDns1123Label(handler).map((m) => FieldError.invalid('handler', handler, m));
  },
  validateUpdate(obj, old) {
    const handler = String(obj.handler ?? '');
    return [
      ...isDns1123Label(handler).map((m) => FieldError.invalid('handler', handler, m)),
      ...fixed(obj, old, { handler: (value) => FieldError.immutable('handler', value) }),
    ];
  },
  columns: [column('HANDLER', (o) => text(o, 'handler', ''))],
};

export const flowSchema: KindBehaviour = {
  defaults(obj) {
    const spec = isRecord(obj.spec) ? obj.spec : {};
    spec.matchingPrecedence ??= 1000;
    obj.spec = spec;
  },
  columns: [
    column('PRIORITYLEVEL', (o) => text(o, 'spec.priorityLevelConfiguration.name', '')),
    column('MATCHINGPRECEDENCE', (o) => count(o, 'spec.matchingPrecedence'), { type: 'integer' }),
    column('DISTINGUISHERMETHOD', (o) => text(o, 'spec.distinguisherMethod.type')),
    column('AGE', (o) => humanAge(o.metadata.creationTimestamp), { type: 'date' }),
    column('MISSINGPL', (o) => {
      const dangling = records(at(o, 'status.conditions')).find((c) => c.type === 'Dangling');
      return dangling ? String(dangling.status) : '?';
    }),
  ],
};

export const priorityLevelConfiguration: KindBehaviour = {
  columns: [
    column('TYPE', (o) => text(o, 'spec.type', '')),
    column('NOMINALCONCURRENCYSHARES', (o) => text(o, 'spec.limited.nominalConcurrencyShares')),
    column('QUEUES', (o) => text(o, 'spec.limited.limitResponse.queuing.queues')),
    column('HANDSIZE', (o) => text(o, 'spec.limited.limitResponse.queuing.handSize')),
    column('QUEUELENGTHLIMIT', (o) => text(o, 'spec.limited.limitResponse.queuing.queueLengthLimit')),
  ],
};

export const apiService: KindBehaviour = {
  columns: [
    column('SERVICE', (o) => {
      const service = at(o, 'spec.service');
      return isRecord(service) ? `${String(service.namespace)}/${String(service.name)}` : 'Local';
    }),
    column('AVAILABLE', (o) => {
      const available = records(at(o, 'status.conditions')).find((c) => c.type === 'Available');
      if (!available) return 'Unknown';
      return available.status === 'True' ? 'True' : `${String(available.status)} (${String(available.reason ?? '')})`;
    }),
  ],
};

/** events.k8s.io/v1 Event: stored as the core Event it also is. */
export const eventsV1Event: KindBehaviour = {
  storageResource: { group: '', plural: 'events' },
  conversion: { fromStorage: coreEventToEventsV1, toStorage: eventsV1ToCoreEvent },
  columns: [
    column('TYPE', (o) => text(o, 'type', '')),
    column('REASON', (o) => text(o, 'reason', '')),
    column('OBJECT', (o) => `${text(o, 'regarding.kind', '').toLowerCase()}/${text(o, 'regarding.name', '')}`),
    column('NOTE', (o) => text(o, 'note', '')),
  ],
};
