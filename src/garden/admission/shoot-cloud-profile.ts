/**
 * The CloudProfile part of Gardener's ShootValidator (`plugin/pkg/shoot/validator`): a shoot is
 * judged against the CloudProfile it names and the binding that gives it credentials.
 *
 * - The profile (`spec.cloudProfileName`, or `spec.cloudProfile` of kind CloudProfile) exists, has
 *   the shoot's provider type and offers `spec.region` and each pool's zones.
 * - `spec.kubernetes.version` is offered; empty, `1` or `1.31` is defaulted to the highest offered
 *   version of that prefix that is neither preview nor expired (a preview version only when named
 *   exactly). A new or changed version must not be expired, an update never goes down and never
 *   skips a minor. Each pool's `kubernetes.version` likewise, and never above the shoot's.
 * - Each new or changed pool's `machine.type` is offered and usable; `machine.image` is defaulted
 *   (the profile's first image, its latest qualifying version; a named image without version: its
 *   latest) and must be offered, with the pool's CRI.
 * - A shoot with workers names a SecretBinding (`spec.secretBindingName`) or a CredentialsBinding
 *   (`spec.credentialsBindingName`), not both; it exists in the shoot's namespace and its
 *   provider type matches. A shoot without workers needs none.
 *
 * It runs on CREATE and on UPDATEs of the main resource that change the spec (a shoot whose spec
 * stays keeps working after its profile changed), not on shoots being deleted. Every refusal is
 * one 422 Invalid with a cause per field; it defaults in `admit`, so nothing is stored then.
 */
import {
  bindingProviderTypes,
  type CloudProfile,
  compareVersions,
  type ExpirableVersion,
  GARDENER_GROUP,
  isExpired,
  latestQualifyingVersion,
  type MachineImageVersion,
  type ProviderBinding,
  parseVersion,
  type Shoot,
  type ShootWorkerPool,
  shootResource,
  versionPrefix,
} from '../../api/core-gardener/index.js';
import { FieldError, invalid } from '../../api/errors.js';
import { semanticEqual } from '../../api/validation.js';
import { storedAs } from '../../apiserver/stored-object.js';
import type { AdmissionAttributes, AdmissionPlugin, Operation } from '../../apiserver/types.js';

/** Where the plugin reads what a shoot references (the server's client). */
export interface ShootReferenceLookup {
  getCloudProfile(name: string): Promise<CloudProfile | null>;
  getSecretBinding(namespace: string, name: string): Promise<ProviderBinding | null>;
  getCredentialsBinding(namespace: string, name: string): Promise<ProviderBinding | null>;
}

const SHOOT_KIND = { group: GARDENER_GROUP, kind: 'Shoot' } as const;

export class ShootCloudProfileValidator implements AdmissionPlugin {
  readonly name = 'ShootCloudProfileValidator';
  readonly #lookup: ShootReferenceLookup;
  readonly #now: () => Date;

  constructor(lookup: ShootReferenceLookup, now: () => Date = () => new Date()) {
    this.#lookup = lookup;
    this.#now = now;
  }

  handles(operation: Operation): boolean {
    return operation === 'CREATE' || operation === 'UPDATE';
  }

  /** Defaults the versions and machine images from the profile; refuses nothing (`validate` does). */
  async admit(attrs: AdmissionAttributes): Promise<void> {
    const judged = this.#judged(attrs);
    if (!judged) return;
    const ref = profileReference(judged.shoot);
    const profile = ref.errors.length === 0 ? await this.#lookup.getCloudProfile(ref.name) : null;
    if (!profile) return;
    defaultShootFromProfile(judged.shoot, profile, this.#now());
    // Kubernetes runs mutating admission before the strategy and the field manager; here they ran
    // first, bumping the generation and the manager's timestamp for a request that defaulting has
    // just brought back to the stored shoot (`kubectl apply` of `version: "1.33"` again): no
    // change, so nothing to store and no new generation to reconcile.
    const { shoot, old } = judged;
    if (old && semanticEqual(withoutWriteMarks(shoot), withoutWriteMarks(old))) {
      shoot.metadata.generation = old.metadata.generation;
      shoot.metadata.managedFields = old.metadata.managedFields;
    }
  }

  async validate(attrs: AdmissionAttributes): Promise<void> {
    const judged = this.#judged(attrs);
    if (!judged) return;
    const { shoot, old } = judged;
    const name = shoot.metadata.name ?? attrs.name;
    const ref = profileReference(shoot);
    if (ref.errors.length > 0) throw invalid(SHOOT_KIND, name, ref.errors);
    const profile = await this.#lookup.getCloudProfile(ref.name);
    if (!profile) {
      throw invalid(SHOOT_KIND, name, [
        FieldError.invalid(ref.path, ref.name, `cloud profile "${ref.name}" does not exist`),
      ]);
    }
    const errors = [
      ...validateShootOnProfile(shoot, old, profile, this.#now()),
      ...(await this.#checkBinding(shoot, old, attrs.namespace)),
    ];
    if (errors.length > 0) throw invalid(SHOOT_KIND, name, errors);
  }

  /** The shoot and its stored self when this plugin judges the request: not being deleted, its spec new or changed. */
  #judged(attrs: AdmissionAttributes): { shoot: Shoot; old: Shoot | undefined } | undefined {
    if (attrs.resource !== 'shoots' || attrs.subresource !== '') return undefined;
    const shoot = storedAs(shootResource, attrs.object);
    const old = attrs.oldObject && storedAs(shootResource, attrs.oldObject);
    if (shoot.metadata.deletionTimestamp) return undefined;
    if (old && semanticEqual(shoot.spec, old.spec)) return undefined;
    return { shoot, old };
  }

  /**
   * At most one binding; one for a shoot with workers (not demanded of a shoot stored without
   * one before bindings existed, so that it can still be changed); a new or changed one exists in
   * the shoot's namespace and is for the shoot's provider type.
   */
  async #checkBinding(shoot: Shoot, old: Shoot | undefined, namespace: string): Promise<FieldError[]> {
    const { secretBindingName, credentialsBindingName } = shoot.spec;
    if (secretBindingName && credentialsBindingName) {
      return [FieldError.forbidden('spec.credentialsBindingName', 'is incompatible with secretBindingName')];
    }
    if (!secretBindingName && !credentialsBindingName) {
      const hadOne = !old || old.spec.secretBindingName || old.spec.credentialsBindingName;
      return hadOne && (shoot.spec.provider?.workers ?? []).length > 0
        ? [
            FieldError.required(
              'spec.secretBindingName',
              'a shoot with workers needs secretBindingName or credentialsBindingName',
            ),
          ]
        : [];
    }
    const [path, kind, name, oldName, lookup] = secretBindingName
      ? ([
          'spec.secretBindingName',
          'SecretBinding',
          secretBindingName,
          old?.spec.secretBindingName,
          this.#lookup.getSecretBinding,
        ] as const)
      : ([
          'spec.credentialsBindingName',
          'CredentialsBinding',
          credentialsBindingName!,
          old?.spec.credentialsBindingName,
          this.#lookup.getCredentialsBinding,
        ] as const);
    if (old && oldName === name) return [];
    const binding = await lookup.call(this.#lookup, namespace, name);
    if (!binding)
      return [FieldError.invalid(path, name, `${kind} "${name}" does not exist in namespace "${namespace}"`)];
    const providerType = shoot.spec.provider?.type ?? '';
    const types = bindingProviderTypes(binding);
    return types.includes(providerType)
      ? []
      : [
          FieldError.invalid(
            path,
            name,
            `the ${kind}'s provider type "${types.join(',')}" does not match the shoot's provider type "${providerType}"`,
          ),
        ];
  }
}

/** The shoot without what a write stamps on it (generation, managedFields). */
function withoutWriteMarks(shoot: Shoot): Shoot {
  const { generation: _generation, managedFields: _managedFields, ...metadata } = shoot.metadata;
  return { ...shoot, metadata };
}

/** The profile's name and the field it came from, or why the shoot names none that can be served. */
function profileReference(shoot: Shoot): { name: string; path: string; errors: FieldError[] } {
  const { cloudProfileName, cloudProfile } = shoot.spec;
  const errors: FieldError[] = [];
  if (cloudProfile?.kind && cloudProfile.kind !== 'CloudProfile') {
    errors.push(FieldError.notSupported('spec.cloudProfile.kind', cloudProfile.kind, ['CloudProfile']));
  }
  if (cloudProfileName && cloudProfile?.name && cloudProfile.name !== cloudProfileName) {
    errors.push(
      FieldError.invalid(
        'spec.cloudProfile.name',
        cloudProfile.name,
        'must match spec.cloudProfileName when both are set',
      ),
    );
  }
  const name = cloudProfileName || cloudProfile?.name || '';
  if (!name) errors.push(FieldError.required('spec.cloudProfileName', 'must name a CloudProfile'));
  return { name, path: cloudProfileName ? 'spec.cloudProfileName' : 'spec.cloudProfile.name', errors };
}

/**
 * Gardener's defaulting: a Kubernetes version that is empty, `1` or `1.31` (the shoot's and each
 * pool's) becomes the highest qualifying offered one; a pool without machine image gets the
 * profile's first image that has a qualifying version, and a named image without version its
 * latest qualifying one. What cannot be defaulted stays as it is, for `validateShootOnProfile`
 * to name. Mutates `shoot.spec`.
 */
export function defaultShootFromProfile(shoot: Shoot, profile: CloudProfile, now: Date): void {
  const offered = profile.spec.kubernetes.versions;
  shoot.spec.kubernetes ??= {};
  const kubernetes = shoot.spec.kubernetes;
  kubernetes.version = defaultedVersion(kubernetes.version ?? '', offered, now) ?? kubernetes.version;
  for (const pool of shoot.spec.provider?.workers ?? []) {
    if (pool.kubernetes?.version !== undefined) {
      pool.kubernetes.version = defaultedVersion(pool.kubernetes.version, offered, now) ?? pool.kubernetes.version;
    }
    pool.machine ??= {};
    const machine = pool.machine;
    const images = profile.spec.machineImages;
    if (!machine.image?.name) {
      const image = images.find((i) => latestQualifyingVersion(i.versions, [], now));
      const version = image && latestQualifyingVersion(image.versions, [], now);
      if (image && version) machine.image = { ...machine.image, name: image.name, version: version.version };
    } else if (!machine.image.version) {
      const image = images.find((i) => i.name === machine.image?.name);
      const version = image && latestQualifyingVersion(image.versions, [], now);
      if (version) machine.image.version = version.version;
    }
  }
}

/** A full version as it is; empty, `1` or `1.31` the highest qualifying offered one; undefined when none. */
function defaultedVersion(version: string, offered: readonly ExpirableVersion[], now: Date): string | undefined {
  if (parseVersion(version)) return version;
  const prefix = version === '' ? [] : versionPrefix(version);
  return prefix ? latestQualifyingVersion(offered, prefix, now)?.version : undefined;
}

/**
 * Judges the (defaulted) `shoot` against `profile`: `old` is the stored shoot on update, whose
 * unchanged choices are not judged again (a version that expired since stays). Pure; returns the
 * field errors.
 */
export function validateShootOnProfile(
  shoot: Shoot,
  old: Shoot | undefined,
  profile: CloudProfile,
  now: Date,
): FieldError[] {
  const errs: FieldError[] = [];
  const spec = shoot.spec;
  const providerType = spec.provider?.type;
  if (!old && providerType !== profile.spec.type) {
    errs.push(
      FieldError.invalid(
        'spec.provider.type',
        providerType ?? null,
        `provider type in shoot must equal provider type of referenced CloudProfile: "${profile.spec.type}"`,
      ),
    );
  }
  const region = profile.spec.regions.find((r) => r.name === spec.region);
  if (!old || spec.region !== old.spec.region) {
    if (!spec.region) errs.push(FieldError.required('spec.region'));
    else if (!region) {
      errs.push(
        FieldError.notSupported(
          'spec.region',
          spec.region,
          profile.spec.regions.map((r) => r.name),
        ),
      );
    }
  }
  const version = spec.kubernetes?.version ?? '';
  errs.push(...validateVersion(version, old?.spec.kubernetes?.version, profile, now, 'spec.kubernetes.version'));

  const oldPools = new Map((old?.spec.provider?.workers ?? []).map((pool) => [pool.name, pool]));
  (spec.provider?.workers ?? []).forEach((pool, i) => {
    errs.push(
      ...validatePool(pool, oldPools.get(pool.name), `spec.provider.workers[${i}]`, profile, region, version, now),
    );
  });
  return errs;
}

/** One worker pool: its machine type, image, CRI, zones and Kubernetes version. */
function validatePool(
  pool: ShootWorkerPool,
  old: ShootWorkerPool | undefined,
  path: string,
  profile: CloudProfile,
  region: { zones?: { name: string }[] } | undefined,
  shootVersion: string,
  now: Date,
): FieldError[] {
  const errs: FieldError[] = [];
  const type = pool.machine?.type;
  if (!old || type !== old.machine?.type) {
    const usable = profile.spec.machineTypes.filter((t) => t.usable !== false).map((t) => t.name);
    if (!type) errs.push(FieldError.required(`${path}.machine.type`));
    else if (!usable.includes(type)) errs.push(FieldError.notSupported(`${path}.machine.type`, type, usable));
  }

  const image = pool.machine?.image;
  const oldImage = old?.machine?.image;
  const offeredImage = profile.spec.machineImages.find((i) => i.name === image?.name);
  if (!image?.name) {
    errs.push(
      FieldError.required(`${path}.machine.image.name`, 'the CloudProfile offers no machine image to default to'),
    );
  } else if (!offeredImage) {
    errs.push(
      FieldError.notSupported(
        `${path}.machine.image.name`,
        image.name,
        profile.spec.machineImages.map((i) => i.name),
      ),
    );
  } else if (!image.version) {
    errs.push(
      FieldError.required(`${path}.machine.image.version`, `no version of machine image "${image.name}" qualifies`),
    );
  } else if (!old || oldImage?.name !== image.name || oldImage?.version !== image.version) {
    errs.push(...offeredVersion(image.version, offeredImage.versions, now, `${path}.machine.image.version`));
  }
  const imageVersion = offeredImage?.versions.find((v) => v.version === image?.version);
  const cri = pool.cri?.name ?? 'containerd';
  if (imageVersion?.cri && !imageVersion.cri.some((c) => c.name === cri)) {
    errs.push(
      FieldError.notSupported(
        `${path}.cri.name`,
        cri,
        imageVersion.cri.map((c) => c.name),
      ),
    );
  }

  if (!old || !semanticEqual(pool.zones, old.zones)) {
    const zones = (region?.zones ?? []).map((z) => z.name);
    (pool.zones ?? []).forEach((zone, j) => {
      if (!zones.includes(zone)) errs.push(FieldError.notSupported(`${path}.zones[${j}]`, zone, zones));
    });
  }

  const version = pool.kubernetes?.version;
  if (version !== undefined) {
    const at = `${path}.kubernetes.version`;
    errs.push(...validateVersion(version, old?.kubernetes?.version, profile, now, at));
    if (parseVersion(version) && parseVersion(shootVersion) && compareVersions(version, shootVersion) > 0) {
      errs.push(
        FieldError.forbidden(at, 'worker group kubernetes version must not be higher than control plane version'),
      );
    }
  }
  return errs;
}

/**
 * A Kubernetes version: a full one (defaulting failed otherwise); when new or changed, offered and
 * not expired, and on update never down and never past the next minor.
 */
function validateVersion(
  version: string,
  old: string | undefined,
  profile: CloudProfile,
  now: Date,
  path: string,
): FieldError[] {
  if (!parseVersion(version)) {
    return [
      FieldError.invalid(
        path,
        version,
        `couldn't find a suitable version for ${version || 'an empty version'}. Suitable versions have a non-expired expiration date and are no 'preview' versions. 'Preview'-classified versions have to be selected explicitly`,
      ),
    ];
  }
  if (version === old) return [];
  const errs = offeredVersion(version, profile.spec.kubernetes.versions, now, path);
  if (old) errs.push(...versionUpdate(version, old, path));
  return errs;
}

/** Offered and not expired; the supported values listed are the versions one may choose. */
function offeredVersion(
  version: string,
  offered: readonly (ExpirableVersion | MachineImageVersion)[],
  now: Date,
  path: string,
): FieldError[] {
  const choosable = offered.filter((v) => !isExpired(v, now)).map((v) => v.version);
  return choosable.includes(version) ? [] : [FieldError.notSupported(path, version, choosable)];
}

/** Gardener's `ValidateKubernetesVersionUpdate`: never down, never past the next minor. */
function versionUpdate(version: string, old: string, path: string): FieldError[] {
  const next = parseVersion(version);
  const prev = parseVersion(old);
  if (!next || !prev) return [];
  if (compareVersions(version, old) < 0)
    return [FieldError.forbidden(path, 'kubernetes version downgrade is not supported')];
  if (next[0] === prev[0] && next[1] - prev[1] > 1) {
    return [FieldError.forbidden(path, 'kubernetes version upgrade cannot skip a minor version')];
  }
  return [];
}
