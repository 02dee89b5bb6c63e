/**
 * The SeedAuthorizer (Gardener's, for the garden): a gardenlet, user
 * `gardener.cloud:system:seed:<seed>` in group `gardener.cloud:system:seeds`, may reach only what
 * its seed needs, decided from the SeedGraph. Everyone else gets no opinion (RBAC decides, as
 * before). For a gardenlet it decides every resource request but the self reviews and Events,
 * which RBAC's small `gardener.cloud:system:gardenlet` role keeps; non-resource requests (discovery)
 * stay RBAC's too.
 *
 * Rules per resource (the full table is in docs/security.md, "Seed authorization"):
 * - seeds, seeds/status: every Seed for reading (get, list, watch: as Gardener's; the etcd peer
 *   endpoints other seeds publish); its own Seed for writing (update, patch; create, whose name
 *   SeedRestriction checks).
 * - leases in `gardener-system-seed-lease`: its own (get, create, update, patch).
 * - shoots, shoots/status: those whose spec.seedName or status.seedName is the seed (get, update,
 *   patch); never shoots/binding; lists and watches only with a field selector
 *   `spec.seedName=<seed>` or `status.seedName=<seed>` (or `metadata.name=` of such a shoot).
 * - shootstates: those of such shoots (get, update, patch).
 * - backupentries(+status): those placed on it or last reconciled by it (spec/status.seedName),
 *   all verbs but deletecollection; create (SeedRestriction checks the fields); lists and watches
 *   by `spec.seedName`, `status.seedName` or `spec.bucketName` of one of its buckets.
 * - backupbuckets(+status): its own (spec.seedName; all verbs); reading a bucket a BackupEntry of
 *   its own names (the Restore's source entry names the source seed's bucket); create.
 * - secrets: reading those its Seed or a bucket it reaches refers to; writing its own
 *   `garden/backup-<seed>` and `garden/generated-bucket-<its bucket>`; listing `garden`'s
 *   internal-domain Secret by its label.
 * - projects: read.
 * - controllerinstallations(+status): those whose spec.seedRef is the seed (get, update, patch);
 *   lists and watches only with `spec.seedRef.name=<seed>`.
 * - controllerregistrations: reading those an installation on the seed names.
 * - migrationpreflights (migration.transplant.gardener.cloud): reading those whose spec.seedName
 *   (the target) or status.sourceSeedName is the seed, and writing their status (SeedRestriction:
 *   only the probe answer that is the seed's); lists and watches only with the field selector
 *   `spec.seedName=<seed>` or `status.sourceSeedName=<seed>`.
 * Everything else is denied. An object that does not exist may be read or deleted by name (the
 * answer is a 404): the gardenlet looks before it creates, and deletes again when a step runs again. Before a denial or such a read, the authorizer
 * waits until the graph reflects every write the store had committed (a few ms), so a
 * gardenlet acting on a binding it has just seen is not refused for a graph one event behind.
 */

import { SEED_LEASE_NAMESPACE } from '../../api/coordination/lease.js';
import { generatedBucketSecretName } from '../../api/core-gardener/backup-bucket.js';
import { backupSecretName } from '../../api/core-gardener/seed.js';
import { MIGRATION_TRANSPLANT_GROUP } from '../../api/migration-transplant/migration-preflight.js';
import { parseFieldSelectorTerms, parseLabelSelector } from '../../apiserver/selectors.js';
import type { AuthorizationResult, Authorizer, RequestAttributes } from '../../apiserver/types.js';
import { gardenletUser, seedsGroup } from '../bootstrap-rbac.js';
import type { GraphFeed } from './graph-feed.js';
import { type SeedGraph, type VertexKey, vertex } from './seed-graph.js';

const gardener = 'core.gardener.cloud';
/** The namespace of seeds' Secrets and of the internal domain's. */
const gardenNamespace = 'garden';
const internalDomainRole = { key: 'gardener.cloud/role', value: 'internal-domain' };
const gardenletPrefix = gardenletUser('');

const allow: AuthorizationResult = Object.freeze({ decision: 'allow', reason: '' });
const noOpinion: AuthorizationResult = Object.freeze({ decision: 'noOpinion', reason: '' });

/** What one rule says: allowed, allowed because the object does not exist, or why not. */
type Verdict = 'allow' | 'absent' | { deny: string };

/** The seed of a gardenlet identity; undefined for every other user. */
export function seedOfUser(user: { name: string; groups: readonly string[] }): string | undefined {
  if (!user.groups.includes(seedsGroup) || !user.name.startsWith(gardenletPrefix)) return undefined;
  const seed = user.name.slice(gardenletPrefix.length);
  return seed || undefined;
}

export interface SeedAuthorizerOptions {
  graph: SeedGraph;
  feed: Pick<GraphFeed, 'synced' | 'caughtUp'>;
  /** How long a denial waits at most for the graph to catch up with the store. */
  catchUpTimeoutMs?: number;
}

export class SeedAuthorizer implements Authorizer {
  readonly #graph: SeedGraph;
  readonly #feed: SeedAuthorizerOptions['feed'];
  readonly #catchUpTimeoutMs: number;

  constructor(options: SeedAuthorizerOptions) {
    this.#graph = options.graph;
    this.#feed = options.feed;
    this.#catchUpTimeoutMs = options.catchUpTimeoutMs ?? 2_000;
  }

  async authorize(attrs: RequestAttributes): Promise<AuthorizationResult> {
    const seed = seedOfUser(attrs.user);
    if (!seed || !attrs.resourceRequest || leftToRbac(attrs)) return noOpinion;
    await this.#feed.synced();
    let verdict = this.#verdict(seed, attrs);
    if (verdict === 'allow') return allow;
    await this.#feed.caughtUp(this.#catchUpTimeoutMs);
    verdict = this.#verdict(seed, attrs);
    if (verdict === 'allow' || verdict === 'absent') return allow;
    return { decision: 'deny', reason: verdict.deny };
  }

  /** The decision on what the graph knows now. */
  #verdict(seed: string, attrs: RequestAttributes): Verdict {
    const rule = rules[`${attrs.apiGroup}/${attrs.resource}`];
    if (!rule) return { deny: `seeds may not access ${attrs.resource}` };
    try {
      return rule(new SeedRequest(seed, attrs, this.#graph));
    } catch {
      // An unparsable selector: the store refuses it too, with a 400.
      return { deny: 'the selector cannot be parsed' };
    }
  }
}

/** The self reviews (`kubectl auth can-i`) and Events: RBAC's gardenlet role decides them. */
function leftToRbac(attrs: RequestAttributes): boolean {
  return (
    attrs.apiGroup === 'authorization.k8s.io' ||
    (attrs.apiGroup === '' && attrs.resource === 'events') ||
    (attrs.apiGroup === 'events.k8s.io' && attrs.resource === 'events')
  );
}

/** One request of one seed's gardenlet, with the questions the rules ask of it. */
class SeedRequest {
  readonly seed: string;
  readonly attrs: RequestAttributes;
  readonly graph: SeedGraph;

  constructor(seed: string, attrs: RequestAttributes, graph: SeedGraph) {
    this.seed = seed;
    this.attrs = attrs;
    this.graph = graph;
  }

  get verb(): string {
    return this.attrs.verb;
  }

  is(...verbs: string[]): boolean {
    return verbs.includes(this.attrs.verb);
  }

  get collection(): boolean {
    return this.is('list', 'watch') && !this.attrs.name;
  }

  /** The value the field selector requires of `field` (`field=value`), if it does. */
  requiredField(field: string): string | undefined {
    return parseFieldSelectorTerms(this.attrs.fieldSelector).find((r) => r.field === field && r.op === '=')?.value;
  }

  /** Whether the field selector requires one of `fields` to be this seed. */
  selectsOwnSeed(...fields: string[]): boolean {
    return fields.some((field) => this.requiredField(field) === this.seed);
  }

  /** The object a request names: in its path, or a list's/watch's `metadata.name=` selector. */
  get objectName(): string {
    return this.attrs.name || (this.collection ? (this.requiredField('metadata.name') ?? '') : '');
  }

  /**
   * Allowed when related. A missing object named by the request is read or deleted as its 404:
   * a gardenlet looks before it creates, and a step run again after a crash deletes again.
   */
  related(key: VertexKey, why: string): Verdict {
    if (this.graph.reaches(key, this.seed)) return 'allow';
    return this.absent(key) ? 'absent' : this.deny(why);
  }

  absent(key: VertexKey): boolean {
    return !this.graph.has(key) && this.is('get', 'list', 'watch', 'delete') && !!this.objectName;
  }

  deny(why = `no relationship found between seed "${this.seed}" and this object`): Verdict {
    return { deny: why };
  }
}

type Rule = (r: SeedRequest) => Verdict;

const readVerbs = ['get', 'list', 'watch'];
const writeVerbs = ['update', 'patch'];

const seedRule: Rule = (r) => {
  if (r.attrs.subresource && r.attrs.subresource !== 'status') return r.deny();
  if (r.is('create') && !r.attrs.subresource) return 'allow'; // SeedRestriction: only its own name
  if (!r.is(...readVerbs, ...writeVerbs)) return r.deny(`seeds may not ${r.verb} Seeds`);
  // Every Seed is readable, as in Gardener: a gardenlet probes the etcd peer endpoints the other
  // seeds publish on theirs before a live migration between them (docs/live-migration.md).
  if (r.is(...readVerbs)) return 'allow';
  return r.objectName === r.seed ? 'allow' : r.deny(`seed "${r.seed}" may only access its own Seed`);
};

const leaseRule: Rule = (r) => {
  if (r.attrs.namespace !== SEED_LEASE_NAMESPACE)
    return r.deny(`seeds may only access Leases in "${SEED_LEASE_NAMESPACE}"`);
  if (r.is('create')) return 'allow'; // SeedRestriction: only its own name
  if (!r.is(...readVerbs, ...writeVerbs)) return r.deny(`seeds may not ${r.verb} Leases`);
  return r.objectName === r.seed ? 'allow' : r.deny(`seed "${r.seed}" may only access its own Lease`);
};

const shootRule: Rule = (r) => {
  if (r.attrs.subresource && r.attrs.subresource !== 'status') {
    return r.deny(`seeds may not ${r.verb} shoots/${r.attrs.subresource}`);
  }
  if (!r.is(...readVerbs, ...writeVerbs)) return r.deny(`seeds may not ${r.verb} Shoots`);
  if (r.collection && !(r.objectName && r.attrs.namespace)) {
    return r.selectsOwnSeed('spec.seedName', 'status.seedName')
      ? 'allow'
      : r.deny(
          `seeds may only list and watch Shoots with the field selector spec.seedName=${r.seed} or status.seedName=${r.seed}`,
        );
  }
  return r.related(vertex('Shoot', r.attrs.namespace, r.objectName), noRelation(r));
};

const shootStateRule: Rule = (r) => {
  if (r.attrs.subresource || !r.is('get', ...writeVerbs) || !r.attrs.name) {
    return r.deny(`seeds may only get, update and patch the ShootStates of their shoots`);
  }
  // A ShootState has its shoot's name; it is never readable without a shoot related to the seed.
  return r.graph.reaches(vertex('Shoot', r.attrs.namespace, r.attrs.name), r.seed) ? 'allow' : r.deny(noRelation(r));
};

const backupEntryRule: Rule = (r) => {
  if (r.attrs.subresource && r.attrs.subresource !== 'status') return r.deny();
  if (r.is('create') && !r.attrs.subresource) return 'allow'; // SeedRestriction checks seed and bucket
  if (!r.is(...readVerbs, ...writeVerbs, 'delete')) return r.deny(`seeds may not ${r.verb} BackupEntries`);
  if (r.collection && !(r.objectName && r.attrs.namespace)) {
    const bucket = r.requiredField('spec.bucketName');
    return r.selectsOwnSeed('spec.seedName', 'status.seedName') || (bucket && r.graph.bucketSeed(bucket) === r.seed)
      ? 'allow'
      : r.deny(
          `seeds may only list and watch BackupEntries with the field selector spec.seedName=${r.seed}, status.seedName=${r.seed} or spec.bucketName=<a bucket of theirs>`,
        );
  }
  return r.related(vertex('BackupEntry', r.attrs.namespace, r.objectName), noRelation(r));
};

const backupBucketRule: Rule = (r) => {
  if (r.attrs.subresource && r.attrs.subresource !== 'status') return r.deny();
  if (r.is('create') && !r.attrs.subresource) return 'allow'; // SeedRestriction checks spec.seedName
  if (r.collection && !r.objectName) {
    return r.selectsOwnSeed('spec.seedName')
      ? 'allow'
      : r.deny(`seeds may only list and watch BackupBuckets with the field selector spec.seedName=${r.seed}`);
  }
  const name = r.objectName;
  if (r.is(...writeVerbs, 'delete')) {
    if (r.graph.bucketSeed(name) === r.seed) return 'allow';
    return r.absent(vertex('BackupBucket', '', name))
      ? 'absent'
      : r.deny(`seed "${r.seed}" may only change its own BackupBuckets`);
  }
  if (!r.is(...readVerbs)) return r.deny(`seeds may not ${r.verb} BackupBuckets`);
  return r.related(vertex('BackupBucket', '', name), noRelation(r));
};

const secretRule: Rule = (r) => {
  const { namespace } = r.attrs;
  if (r.attrs.subresource) return r.deny();
  if (r.collection && !r.objectName) {
    const roles = parseLabelSelector(r.attrs.labelSelector ?? null).filter((q) => q.key === internalDomainRole.key);
    const internalDomainOnly = roles.some(
      (q) => q.op === 'in' && q.values.length === 1 && q.values[0] === internalDomainRole.value,
    );
    return namespace === gardenNamespace && internalDomainOnly
      ? 'allow'
      : r.deny(
          `seeds may only list and watch Secrets in "${gardenNamespace}" with the label selector ${internalDomainRole.key}=${internalDomainRole.value}`,
        );
  }
  if (namespace !== gardenNamespace && !r.is('get'))
    return r.deny(`seeds may only write Secrets in "${gardenNamespace}"`);
  if (r.is('create')) return 'allow'; // SeedRestriction: only the names below
  const name = r.objectName;
  if (namespace === gardenNamespace && ownSecretNames(r).includes(name)) return 'allow';
  if (!r.is(...readVerbs)) return r.deny(`seed "${r.seed}" may only change its own Secrets`);
  return r.graph.reaches(vertex('Secret', namespace, name), r.seed) ? 'allow' : r.deny(noRelation(r));
};

/** The Secrets a gardenlet writes itself: its backup credentials and its buckets' generated ones. */
function ownSecretNames(r: SeedRequest): string[] {
  const name = r.objectName;
  const prefix = generatedBucketSecretName('');
  const bucket = name.startsWith(prefix) ? name.slice(prefix.length) : '';
  return [backupSecretName(r.seed), ...(bucket && r.graph.bucketSeed(bucket) === r.seed ? [name] : [])];
}

const projectRule: Rule = (r) =>
  r.is(...readVerbs) && !r.attrs.subresource ? 'allow' : r.deny('seeds may only read Projects');

const controllerInstallationRule: Rule = (r) => {
  if (r.attrs.subresource && r.attrs.subresource !== 'status') return r.deny();
  if (!r.is(...readVerbs, ...writeVerbs)) return r.deny(`seeds may not ${r.verb} ControllerInstallations`);
  if (r.collection && !r.objectName) {
    return r.selectsOwnSeed('spec.seedRef.name')
      ? 'allow'
      : r.deny(
          `seeds may only list and watch ControllerInstallations with the field selector spec.seedRef.name=${r.seed}`,
        );
  }
  return r.related(vertex('ControllerInstallation', '', r.objectName), noRelation(r));
};

const controllerRegistrationRule: Rule = (r) => {
  if (r.attrs.subresource || !r.is(...readVerbs)) return r.deny('seeds may only read ControllerRegistrations');
  if (r.collection && !r.objectName) return r.deny('seeds may only read ControllerRegistrations by name');
  return r.related(vertex('ControllerRegistration', '', r.objectName), noRelation(r));
};

const migrationPreflightRule: Rule = (r) => {
  if (r.attrs.subresource && r.attrs.subresource !== 'status') return r.deny();
  if (r.is(...writeVerbs) && r.attrs.subresource !== 'status') {
    return r.deny('seeds may only write the status of MigrationPreflights');
  }
  if (!r.is(...readVerbs, ...writeVerbs)) return r.deny(`seeds may not ${r.verb} MigrationPreflights`);
  if (r.collection && !(r.objectName && r.attrs.namespace)) {
    return r.selectsOwnSeed('spec.seedName', 'status.sourceSeedName')
      ? 'allow'
      : r.deny(
          `seeds may only list and watch MigrationPreflights with the field selector spec.seedName=${r.seed} or status.sourceSeedName=${r.seed}`,
        );
  }
  return r.related(vertex('MigrationPreflight', r.attrs.namespace, r.objectName), noRelation(r));
};

function noRelation(r: SeedRequest): string {
  return `no relationship found between seed "${r.seed}" and this object`;
}

/** By `<group>/<resource>`. */
const rules: Readonly<Record<string, Rule>> = {
  [`${gardener}/seeds`]: seedRule,
  'coordination.k8s.io/leases': leaseRule,
  [`${gardener}/shoots`]: shootRule,
  [`${gardener}/shootstates`]: shootStateRule,
  [`${gardener}/backupentries`]: backupEntryRule,
  [`${gardener}/backupbuckets`]: backupBucketRule,
  '/secrets': secretRule,
  [`${gardener}/projects`]: projectRule,
  [`${gardener}/controllerinstallations`]: controllerInstallationRule,
  [`${gardener}/controllerregistrations`]: controllerRegistrationRule,
  [`${MIGRATION_TRANSPLANT_GROUP}/migrationpreflights`]: migrationPreflightRule,
};
