/**
 * The admission chain (k8s admission/chain.go): mutating plugins first, in order, then
 * validating plugins on a frozen copy. The first error stops the chain.
 */
import { deepCopy, type KubeObject } from '../api/meta.js';
import type { AdmissionAttributes, AdmissionPlugin } from './types.js';

export class AdmissionChain {
  readonly #plugins: readonly AdmissionPlugin[];

  constructor(plugins: readonly AdmissionPlugin[]) {
    this.#plugins = Object.freeze([...plugins]);
  }

  /** Runs the mutating phase; `attrs.object` may be changed in place. */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    for (const plugin of this.#plugins) {
      if (plugin.admit && plugin.handles(attrs.operation)) await plugin.admit(attrs);
    }
  }

  /** Runs the validating phase on frozen copies: validators cannot change what gets stored. */
  async validate(attrs: AdmissionAttributes): Promise<void> {
    const frozen: AdmissionAttributes = {
      ...attrs,
      object: deepFreeze(deepCopy(attrs.object)),
      oldObject: attrs.oldObject ? deepFreeze(deepCopy(attrs.oldObject)) : undefined,
    };
    for (const plugin of this.#plugins) {
      if (plugin.validate && plugin.handles(attrs.operation)) await plugin.validate(frozen);
    }
  }
}

function deepFreeze<T extends KubeObject>(obj: T): T {
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
    Object.freeze(value);
    for (const inner of Object.values(value)) visit(inner);
  };
  visit(obj);
  return obj;
}
