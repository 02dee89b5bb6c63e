/**
 * What an extension controller does for one kind and provider (Gardener's extension Actuator).
 * Every method is idempotent: a crash at any point is repaired by calling it again.
 */
import type { ExtensionObject } from '../../api/extensions/common.js';

/** An actuator of the extension kind `T`. */
export interface Actuator<T extends ExtensionObject = ExtensionObject> {
  /** Brings the world in line with the object's spec. */
  reconcile(obj: T): Promise<void>;
  /** Removes what the object stands for. */
  delete(obj: T): Promise<void>;
  /**
   * Prepares a move to another seed: cleans up seed-side things without touching external ones
   * and returns what a restore needs and cannot rebuild (stored in `status.state`).
   */
  migrate(obj: T): Promise<Record<string, unknown> | undefined>;
  /** Takes over from another seed with the state `migrate` saved there. */
  restore(obj: T, state: Record<string, unknown> | undefined): Promise<void>;
}

/** The local provider keeps nothing outside the object: its state is the spec it realised. */
export const recordingActuator: Actuator = {
  async reconcile() {},
  async delete() {},
  async migrate(obj) {
    return { realisedSpec: obj.spec };
  },
  async restore() {},
};
