/**
 * The JSONPath subset of `additionalPrinterColumns` (Kubernetes' client-go jsonpath, as CRD
 * columns use it): fields (`.spec.replicas`, `['a.b']`), indexes (`[0]`, `[-1]`), every item
 * (`[*]`) and filters comparing a field with a literal (`[?(@.type=="Ready")]`, `!=`, `<`, `>`).
 */
import { isRecord } from '../../api/meta.js';

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: string; literal: unknown };

/** Parses a path; throws on syntax this subset does not cover (the CRD is refused then). */
export function parseJsonPath(expression: string): Step[] {
  let text = expression.trim().replace(/^\{(.*)\}$/, '$1');
  if (/^[$@]/.test(text)) text = text.slice(1);
  if (/^[A-Za-z_]/.test(text)) text = `.${text}`;
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '.') {
      const match = /^\.([^.[\]]+)/.exec(text.slice(i));
      if (!match) throw new Error(`invalid JSONPath ${expression}: expected a field name at ${i}`);
      steps.push(match[1] === '*' ? { kind: 'all' } : { kind: 'field', name: match[1]! });
      i += match[0].length;
    } else if (text[i] === '[') {
      const end = bracketEnd(text, i);
      const inner = text.slice(i + 1, end).trim();
      steps.push(bracketStep(inner, expression));
      i = end + 1;
    } else throw new Error(`invalid JSONPath ${expression}: unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
  return steps;
}

function bracketEnd(text: string, start: number): number {
  let quote: string | undefined;
  for (let j = start + 1; j < text.length; j++) {
    const c = text[j]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ']') return j;
  }
  throw new Error(`invalid JSONPath ${text}: unclosed [`);
}

function bracketStep(inner: string, expression: string): Step {
  if (inner === '*') return { kind: 'all' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const quoted = /^(['"])(.*)\1$/.exec(inner);
  if (quoted) return { kind: 'field', name: quoted[2]! };
  const filter = /^\?\(@((?:\.[^.=!<>\s]+)+)\s*(==|!=|<=|>=|<|>)\s*(.+)\)$/.exec(inner);
  if (filter) {
    const raw = filter[3]!.trim();
    const literal = /^(['"]).*\1$/.test(raw) ? raw.slice(1, -1) : JSON.parse(raw);
    return { kind: 'filter', path: filter[1]!.slice(1).split('.'), op: filter[2]!, literal };
  }
  throw new Error(`invalid JSONPath ${expression}: unsupported [${inner}]`);
}

/** Every value the path selects in `root`. */
export function evaluateJsonPath(steps: readonly Step[], root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if (step.kind === 'field') {
        if (isRecord(value) && step.name in value) next.push(value[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(value)) {
          const item = value.at(step.index);
          if (item !== undefined) next.push(item);
        }
      } else if (step.kind === 'all') {
        if (Array.isArray(value)) next.push(...value);
        else if (isRecord(value)) next.push(...Object.values(value));
      } else if (Array.isArray(value)) {
        next.push(...value.filter((item) => compare(fieldAt(item, step.path), step.op, step.literal)));
      }
    }
    current = next;
  }
  return current;
}

function fieldAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const name of path) at = isRecord(at) ? at[name] : undefined;
  return at;
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return (a as number) < (b as number);
    case '>':
      return (a as number) > (b as number);
    case '<=':
      return (a as number) <= (b as number);
    default:
      return (a as number) >= (b as number);
  }
}
