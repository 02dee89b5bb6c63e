/**
 * `x-kubernetes-validations`: CEL rules on a custom resource's schema nodes (Kubernetes'
 * apiextensions CEL validation), through @marcbachmann/cel-js. `self` is the value at the node,
 * `oldSelf` the old object's corresponding value on update (schema-walk.ts); a rule that reads
 * `oldSelf` is a transition rule and is skipped when there is no old value, unless
 * `optionalOldSelf`; an unchanged value is not checked again (ratcheting). Integers the schema declares become CEL ints (bigint), so `self.x + 1`
 * works. A failing rule reports its `message` (or `messageExpression`, or `failed rule: …`) at
 * the node's path plus `fieldPath`, with the schema type as the value, as Kubernetes does:
 * `spec: Invalid value: "object": minReplicas must not exceed maxReplicas`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Environment } from '@marcbachmann/cel-js';
import type { JSONSchemaProps, ValidationRule } from '../../api/apiextensions/crd.js';
import { FieldError } from '../../api/errors.js';
import { isRecord } from '../../api/meta.js';
import { kubernetesCelEnvironment } from './cel-library.js';
import { walkWithSchema } from './schema-walk.js';

type Program = (context: Record<string, unknown>) => unknown;

interface CompiledRule {
  rule: ValidationRule;
  program: Program;
  message?: Program;
  transition: boolean;
  /**
   * A Kubernetes function the rule calls that is not bound here (`isIP`, `format.…`): the rule
   * is not evaluated, rather than failing every object.
   */
  unsupported?: string;
}

let environment: Environment | undefined;

let knownFunctions: Set<string> | undefined;

function celEnvironment(): Environment {
  environment ??= kubernetesCelEnvironment();
  return environment;
}

function compile(expression: string): Program {
  return celEnvironment().parse(expression) as unknown as Program;
}

/** The function an expression calls that the environment does not have at all, if any. */
function unboundFunction(expression: string): string | undefined {
  const env = celEnvironment();
  knownFunctions ??= new Set(env.getDefinitions().functions.map((f) => f.name));
  const checked = env.check(expression);
  const name = checked.valid
    ? undefined
    : /no matching overload for '(?:\w+\.)?(\w+)\(/.exec(checked.error?.message ?? '')?.[1];
  return name && !knownFunctions.has(name) ? name : undefined;
}

/** The rules of a schema, compiled once per CRD version. */
export class CelRules {
  readonly #rules = new Map<JSONSchemaProps, CompiledRule[]>();
  readonly #schema: JSONSchemaProps;

  /** Compiles every rule; throws CelCompileErrors when some do not compile. */
  constructor(schema: JSONSchemaProps) {
    this.#schema = schema;
    const errors = celCompileErrors(schema, '', (node, compiled) => this.#rules.set(node, compiled));
    if (errors.length > 0) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
  }

  get empty(): boolean {
    return this.#rules.size === 0;
  }

  /** The failures of `obj`'s rules (`old`: the stored object on update). */
  validate(obj: unknown, old: unknown): FieldError[] {
    if (this.empty) return [];
    const errors: FieldError[] = [];
    walkWithSchema(this.#schema, obj, old, '', (node, value, oldValue, path) => {
      // Ratcheting (Kubernetes 1.30+): a value the update leaves as it was is not judged again,
      // so a tightened rule does not block updates of objects stored before it.
      if (oldValue !== undefined && isDeepStrictEqual(value, oldValue)) return;
      for (const compiled of this.#rules.get(node) ?? []) {
        if (compiled.unsupported) continue;
        if (compiled.transition && oldValue === undefined && !compiled.rule.optionalOldSelf) continue;
        const self = toCel(value, node);
        const context = { self, oldSelf: oldValue === undefined ? undefined : toCel(oldValue, node) };
        let failure: string | undefined;
        try {
          if (compiled.program(context) !== true) failure = messageOf(compiled, context);
        } catch (err) {
          failure = `${(err as Error).message.split('\n')[0]} evaluating rule: ${compiled.rule.rule}`;
        }
        if (failure !== undefined) errors.push(ruleError(compiled.rule, node, path, failure));
      }
    });
    return errors;
  }
}

/** The compile errors of every rule in `schema` (`onNode` gets each node's compiled rules). */
export function celCompileErrors(
  schema: JSONSchemaProps,
  path: string,
  onNode: (node: JSONSchemaProps, compiled: CompiledRule[]) => void = () => {},
): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: JSONSchemaProps, at: string) => {
    const rules = node['x-kubernetes-validations'] ?? [];
    const compiled: CompiledRule[] = [];
    for (const [i, rule] of rules.entries()) {
      const rulePath = `${at}.x-kubernetes-validations[${i}]`;
      try {
        compiled.push({
          rule,
          program: compile(rule.rule),
          ...(rule.messageExpression ? { message: compile(rule.messageExpression) } : {}),
          transition: /\boldSelf\b/.test(rule.rule),
          unsupported: unboundFunction(rule.rule),
        });
      } catch (err) {
        errors.push(
          FieldError.invalid(
            `${rulePath}.rule`,
            rule.rule,
            `compilation failed: ${(err as Error).message.split('\n')[0]}`,
          ),
        );
      }
    }
    if (compiled.length > 0) onNode(node, compiled);
    for (const [name, child] of Object.entries(node.properties ?? {})) visit(child, `${at}.properties[${name}]`);
    if (node.items) visit(node.items, `${at}.items`);
    if (isRecord(node.additionalProperties))
      visit(node.additionalProperties as JSONSchemaProps, `${at}.additionalProperties`);
  };
  visit(schema, path);
  return errors;
}

function messageOf(compiled: CompiledRule, context: Record<string, unknown>): string {
  if (compiled.message) {
    try {
      const text = compiled.message(context);
      if (typeof text === 'string' && text.trim() !== '') return text;
    } catch {
      // Kubernetes falls back to the static message when the expression fails.
    }
  }
  return compiled.rule.message ?? `failed rule: ${compiled.rule.rule}`;
}

function ruleError(rule: ValidationRule, node: JSONSchemaProps, path: string, message: string): FieldError {
  const at = `${path}${rule.fieldPath ?? ''}`.replace(/^\./, '');
  const type = node.type ?? (node['x-kubernetes-int-or-string'] ? 'integer-or-string' : 'object');
  switch (rule.reason) {
    case 'FieldValueForbidden':
      return FieldError.forbidden(at, message);
    case 'FieldValueRequired':
      return FieldError.required(at, message);
    case 'FieldValueDuplicate':
      return {
        type: 'FieldValueDuplicate',
        path: at,
        value: type,
        message: `Duplicate value: ${JSON.stringify(type)}: ${message}`,
      };
    default:
      return FieldError.invalid(at, type, message);
  }
}

/** A JSON value as CEL sees it: integers the schema (or the value, where unspecified) makes ints become bigints. */
function toCel(value: unknown, schema: JSONSchemaProps | undefined): unknown {
  if (typeof value === 'number') {
    const integral =
      schema?.type === 'integer' ||
      schema?.['x-kubernetes-int-or-string'] ||
      (schema?.type === undefined && Number.isInteger(value));
    return integral && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema?.items));
  if (isRecord(value)) {
    const additional = isRecord(schema?.additionalProperties)
      ? (schema.additionalProperties as JSONSchemaProps)
      : undefined;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, toCel(v, schema?.properties?.[k] ?? additional)]),
    );
  }
  return value;
}
