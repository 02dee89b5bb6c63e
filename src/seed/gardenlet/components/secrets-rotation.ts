/**
 * The two-phase credentials rotation inside "Initializing secrets management" (Gardener's secrets
 * manager rotates in the same step), driven by the phases in the shoot's
 * `status.credentials.rotation` (src/api/core-gardener/shoot-operation.ts) and laid out in
 * src/shoot/credentials-rotation.ts:
 *
 * - Preparing: each rotated secret gets its successor (`ca-new`, …), created once, then persisted
 *   in the ShootState before the flow issues anything from it — so a crash or a migration never
 *   loses a CA that a handed-out kubeconfig already depends on.
 * - Completing: each secret takes its successor's value (the old one deleted, then written
 *   anew), the ShootState gets the new values and forgets the successors in one write, then the
 *   successors go from the namespace. Every step is idempotent: a re-run finds the successor in
 *   the namespace or, after a migration, in the ShootState, and repeats what is left.
 */
import { secretResource } from '../../../api/core/secret.js';
import {
  credentialsOf,
  ROTATION_KINDS,
  type RotationKind,
  rotationPhase,
} from '../../../api/core-gardener/shoot-operation.js';
import { isRecord, type KubeObject } from '../../../api/meta.js';
import { ROTATED_SECRET_NAMES } from '../../../shoot/credentials-rotation.js';
import {
  generateRotatedSecretData,
  persistedSecretLabels,
  persistedSecretObject,
  type ShootSecrets,
  secretObjectsFromShootState,
  successorSecretName,
} from '../../../shoot/shoot-secrets.js';
import type { ComponentContext } from './context.js';
import type { ShootStateComponent } from './shoot-state.js';

export class SecretsRotation {
  readonly #c: ComponentContext;
  readonly #shootState: ShootStateComponent;
  readonly #persisted: () => Promise<ShootSecrets | undefined>;

  constructor(
    c: ComponentContext,
    shootState: ShootStateComponent,
    persisted: () => Promise<ShootSecrets | undefined>,
  ) {
    this.#c = c;
    this.#shootState = shootState;
    this.#persisted = persisted;
  }

  /**
   * Prepares or completes the rotations the shoot's status says are under way; the persisted
   * secrets afterwards, or undefined when no rotation is under way.
   */
  async advance(): Promise<ShootSecrets | undefined> {
    const credentials = credentialsOf(this.#c.shoot);
    const inPhase = (phase: string) => ROTATION_KINDS.filter((kind) => rotationPhase(credentials, kind) === phase);
    const preparing = secretNames(inPhase('Preparing'));
    const completing = secretNames(inPhase('Completing'));
    if (preparing.length === 0 && completing.length === 0) return undefined;
    if (preparing.length > 0) await this.#prepare(preparing);
    if (completing.length > 0) await this.#complete(completing);
    return this.#persisted();
  }

  async #prepare(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const successor = successorSecretName(name);
      if (await this.#secrets().find(this.#c.namespace, successor)) continue;
      const data = await generateRotatedSecretData(name);
      await this.#secrets().createIfAbsent(
        this.#c.namespace,
        persistedSecretObject(this.#c.namespace, successor, data),
      );
    }
    await this.#shootState.persistSecrets();
  }

  async #complete(names: readonly string[]): Promise<void> {
    const promoted: string[] = [];
    for (const name of names) {
      const successor = await this.#successor(name);
      if (!successor) continue;
      await this.#promote(name, successor);
      promoted.push(successorSecretName(name));
    }
    // The new values and the successors' removal in one write: the ShootState never lacks a CA.
    await this.#shootState.persistSecrets(promoted);
    for (const successor of promoted) await this.#secrets().deleteIfPresent(this.#c.namespace, successor);
  }

  /** The successor of `name`: in the namespace, else (a Completing resumed on another seed) in the ShootState. */
  async #successor(name: string): Promise<KubeObject | undefined> {
    const successor = successorSecretName(name);
    const here = await this.#secrets().find(this.#c.namespace, successor);
    if (here) return here;
    const state = await this.#shootState.get();
    const saved = state ? secretObjectsFromShootState(state, this.#c.namespace) : [];
    return saved.find((s) => s.metadata.name === successor);
  }

  /** `name` takes the successor's value; it is immutable, so a different old value is deleted first. */
  async #promote(name: string, successor: KubeObject): Promise<void> {
    const current = await this.#secrets().find(this.#c.namespace, name);
    if (current && sameData(current, successor)) return;
    if (current) await this.#secrets().delete(this.#c.namespace, name);
    await this.#secrets().createIfAbsent(this.#c.namespace, {
      ...persistedSecretObject(this.#c.namespace, name, {}),
      metadata: { name, namespace: this.#c.namespace, labels: { ...persistedSecretLabels } },
      data: isRecord(successor.data) ? { ...successor.data } : {},
    });
  }

  #secrets() {
    return this.#c.seed.resource(secretResource);
  }
}

function secretNames(kinds: readonly RotationKind[]): string[] {
  return kinds.flatMap((kind) => ROTATED_SECRET_NAMES[kind]);
}

function sameData(a: KubeObject, b: KubeObject): boolean {
  const canonical = (obj: KubeObject) =>
    JSON.stringify(Object.entries(isRecord(obj.data) ? obj.data : {}).sort(([x], [y]) => x.localeCompare(y)));
  return canonical(a) === canonical(b);
}
