/**
 * Strategy building blocks the kinds of every group share: keeping the stored status on
 * main-resource updates, keeping everything but the status on `status` updates, generation
 * arithmetic, and the main-resource strategy of the Gardener-style kinds (core.gardener.cloud,
 * extensions, druid). Strategies are server behaviour, so they live here and not with the kinds'
 * types and validation in src/api.
 */
import type { FieldError } from '../api/errors.js';
import { deepCopy, isRecord, type KubeObject } from '../api/meta.js';
import { semanticEqual } from '../api/validation.js';
import type { Strategy, SubresourceDefinition } from '../apiserver/types.js';

/** Keeps the old status on `obj` (or none when the old object had none). */
export function keepOldStatus(obj: KubeObject, old: KubeObject): void {
  if (old.status === undefined) delete obj.status;
  else obj.status = deepCopy(old.status);
}

/** `old.metadata.generation + 1` when `bump`, else the old generation (1 when the old object had none). */
export function nextGeneration(old: KubeObject, bump: boolean): number {
  const current = typeof old.metadata.generation === 'number' ? old.metadata.generation : 1;
  return bump ? current + 1 : current;
}

/**
 * Restores every top-level field except `status` from `old` (spec, metadata and any unknown
 * field); only the request's `metadata.resourceVersion` survives, for the optimistic-concurrency
 * check.
 */
function keepSpecAndMetadata(obj: KubeObject, old: KubeObject): void {
  const resourceVersion = obj.metadata?.resourceVersion;
  for (const key of Object.keys(obj)) {
    if (key !== 'status' && key !== 'apiVersion' && key !== 'kind') delete obj[key];
  }
  for (const [key, value] of Object.entries(old)) {
    if (key !== 'status' && key !== 'apiVersion' && key !== 'kind') obj[key] = deepCopy(value);
  }
  if (!isRecord(obj.metadata)) obj.metadata = {};
  if (resourceVersion !== undefined) obj.metadata.resourceVersion = resourceVersion;
  else delete obj.metadata.resourceVersion;
}

/**
 * The `status` subresource strategy: everything but status stays as stored. `bumpGeneration` may
 * ask for a generation increment after a status change; `validateStatus` checks the new status.
 */
export function statusStrategy(
  bumpGeneration?: (obj: KubeObject, old: KubeObject) => boolean,
  validateStatus?: (obj: KubeObject) => FieldError[],
): Strategy {
  return {
    prepareForUpdate(obj, old) {
      keepSpecAndMetadata(obj, old);
      if (typeof old.metadata.generation === 'number' || bumpGeneration) {
        obj.metadata.generation = nextGeneration(old, bumpGeneration?.(obj, old) ?? false);
      }
    },
    validateUpdate: (obj) => validateStatus?.(obj) ?? [],
  };
}

/** The `status` subresource definition built on `statusStrategy`. */
export function statusSubresource(
  bumpGeneration?: (obj: KubeObject, old: KubeObject) => boolean,
  validateStatus?: (obj: KubeObject) => FieldError[],
): SubresourceDefinition {
  return {
    name: 'status',
    strategy: statusStrategy(bumpGeneration, validateStatus),
    verbs: ['get', 'update', 'patch'],
  };
}

export interface GardenerStrategyOptions {
  /** Defaults applied on create, after status was cleared. */
  defaults?(obj: KubeObject): void;
  validate(obj: KubeObject): FieldError[];
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** Extra reasons to bump `metadata.generation` on update (besides a spec change); may mutate `obj`. */
  mustIncreaseGeneration?(obj: KubeObject, old: KubeObject): boolean;
}

/**
 * The main-resource strategy of a Gardener kind: create clears status and sets generation 1;
 * update keeps the old status and bumps the generation when the spec changed.
 */
export function gardenerStrategy(options: GardenerStrategyOptions): Strategy {
  return {
    prepareForCreate(obj) {
      delete obj.status;
      obj.metadata.generation = 1;
      options.defaults?.(obj);
    },
    prepareForUpdate(obj, old) {
      keepOldStatus(obj, old);
      const extra = options.mustIncreaseGeneration?.(obj, old) ?? false;
      obj.metadata.generation = nextGeneration(old, extra || !semanticEqual(obj.spec, old.spec));
    },
    validate: (obj) => options.validate(obj),
    validateUpdate: (obj, old) => options.validateUpdate(obj, old),
  };
}

/**
 * The strategy of the Gardener kinds whose fields are all top level (SecretBinding,
 * CredentialsBinding: no spec, no status): generation 1 on create, bumped on update when any
 * field but metadata changed; `defaults` run on create and update.
 */
export function topLevelFieldsStrategy(options: Omit<GardenerStrategyOptions, 'mustIncreaseGeneration'>): Strategy {
  const fields = ({ metadata: _metadata, ...rest }: KubeObject) => rest;
  return {
    prepareForCreate(obj) {
      obj.metadata.generation = 1;
      options.defaults?.(obj);
    },
    prepareForUpdate(obj, old) {
      options.defaults?.(obj);
      obj.metadata.generation = nextGeneration(old, !semanticEqual(fields(obj), fields(old)));
    },
    validate: (obj) => options.validate(obj),
    validateUpdate: (obj, old) => options.validateUpdate(obj, old),
  };
}
