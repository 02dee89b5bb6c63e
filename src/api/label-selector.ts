/**
 * metav1.LabelSelector (`matchLabels` and `matchExpressions`): its validation as Kubernetes does
 * it (ValidateLabelSelector: qualified-name keys, operators In, NotIn, Exists and DoesNotExist,
 * values for the first two and none for the others) and matching a label set, which workloads
 * need to check their selector against their pod template's labels and evictions to find the
 * disruption budgets of a pod. Selectors arrive schema-checked (src/registry/builtin), so only
 * their meaning is checked here.
 */
import { FieldError } from './errors.js';
import { isRecord } from './meta.js';
import { isQualifiedName, validateLabels } from './validation.js';

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

const operators = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** The selector's problems; `path` is where it sits (`spec.selector`). */
export function validateLabelSelector(selector: LabelSelector, path: string): FieldError[] {
  const errs = validateLabels(selector.matchLabels, `${path}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((requirement, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    if (!operators.includes(requirement.operator)) {
      errs.push(FieldError.notSupported(`${at}.operator`, requirement.operator, operators));
    }
    const values = requirement.values ?? [];
    if ((requirement.operator === 'In' || requirement.operator === 'NotIn') && values.length === 0) {
      errs.push(FieldError.required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    }
    if ((requirement.operator === 'Exists' || requirement.operator === 'DoesNotExist') && values.length > 0) {
      errs.push(
        FieldError.forbidden(`${at}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
      );
    }
    for (const message of isQualifiedName(requirement.key)) {
      errs.push(FieldError.invalid(`${at}.key`, requirement.key, message));
    }
  });
  return errs;
}

/** True when the selector selects nothing in particular: no labels and no expressions. */
export function isEmptySelector(selector: LabelSelector): boolean {
  return Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** Whether `labels` satisfy every requirement of the selector (an empty selector matches everything). */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const set = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (set[key] !== value) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(set, key);
    if (operator === 'In' && !(has && values.includes(set[key]!))) return false;
    if (operator === 'NotIn' && has && values.includes(set[key]!)) return false;
    if (operator === 'Exists' && !has) return false;
    if (operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The selector at `value`, when it is one (schema-checked objects always are). */
export function asLabelSelector(value: unknown): LabelSelector | undefined {
  return isRecord(value) ? (value as LabelSelector) : undefined;
}

/** kubectl's rendering of a selector (`app=web,tier in (a,b)`), for table columns. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '<none>';
  const terms = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === 'In') terms.push(`${key} in (${values.join(',')})`);
    else if (operator === 'NotIn') terms.push(`${key} notin (${values.join(',')})`);
    else if (operator === 'Exists') terms.push(key);
    else if (operator === 'DoesNotExist') terms.push(`!${key}`);
  }
  return terms.length > 0 ? terms.join(',') : '<none>';
}
