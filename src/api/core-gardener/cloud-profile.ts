/**
 * CloudProfile (core.gardener.cloud/v1beta1, cluster-scoped): what an infrastructure offers its
 * shoots — regions and zones, Kubernetes versions, machine types, machine images and volume
 * types — each version with a classification (preview, supported, deprecated) and an optional
 * expiration date. Shoot admission (src/garden/admission/shoot-cloud-profile.ts) judges a shoot
 * against the profile it names; `providerConfig` is the provider's own and kept as sent.
 */
import { FieldError } from '../errors.js';
import { anObject, aString, listOf, oneOf, optional, shape } from '../kind-guard.js';
import { isRecord, type KubeObject } from '../meta.js';
import { parseQuantity } from '../quantity.js';
import { optionalArray, optionalObject, optionalString } from '../validation.js';
import { gardenerKind } from './common.js';

/** A version's logical state (Gardener's `VersionClassification`); `expired` is a date, not a value. */
export const VERSION_CLASSIFICATIONS = Object.freeze(['preview', 'supported', 'deprecated'] as const);
export type VersionClassification = (typeof VERSION_CLASSIFICATIONS)[number];

/** The CPU architectures Gardener knows for machine types and images. */
export const MACHINE_ARCHITECTURES = Object.freeze(['amd64', 'arm64'] as const);

/** A Kubernetes or machine image version (Gardener's `ExpirableVersion`). */
export interface ExpirableVersion {
  version: string;
  /** RFC 3339; from then on the version is expired: no new shoot and no update may choose it. */
  expirationDate?: string;
  classification?: VersionClassification;
}

export interface MachineImageVersion extends ExpirableVersion {
  /** The container runtimes the image ships (`containerd`). */
  cri?: { name: string }[];
  architectures?: string[];
}

export interface MachineImage {
  name: string;
  versions: MachineImageVersion[];
  updateStrategy?: string;
}

/** cpu, memory and gpu are quantities (`"1"`, `8Gi`); Transplant's machines do not enforce them. */
export interface MachineType {
  name: string;
  cpu: string | number;
  memory: string | number;
  gpu: string | number;
  /** false: listed but not for new pools. */
  usable?: boolean;
  architecture?: string;
}

export interface Region {
  name: string;
  zones?: { name: string }[];
}

export interface VolumeType {
  name: string;
  class: string;
  usable?: boolean;
}

export interface CloudProfileSpec {
  /** The provider type (`local`, `aws`, …); a shoot's `spec.provider.type` must be this. */
  type: string;
  regions: Region[];
  kubernetes: { versions: ExpirableVersion[] };
  machineTypes: MachineType[];
  machineImages: MachineImage[];
  volumeTypes?: VolumeType[];
  providerConfig?: Record<string, unknown>;
}

export interface CloudProfile extends KubeObject {
  spec: CloudProfileSpec;
}

const anExpirableVersion = {
  version: aString,
  expirationDate: optional(aString),
  classification: optional(oneOf(VERSION_CLASSIFICATIONS)),
};

/** The guard and reference of CloudProfile. */
export const { is: isCloudProfile, resource: cloudProfileResource } = gardenerKind<CloudProfile>(
  { kind: 'CloudProfile', plural: 'cloudprofiles', namespaced: false },
  {
    spec: shape<CloudProfileSpec>({
      type: aString,
      regions: listOf(shape<Region>({ name: aString, zones: optional(listOf(shape({ name: aString }))) })),
      kubernetes: shape({ versions: listOf(shape<ExpirableVersion>(anExpirableVersion)) }),
      machineTypes: listOf(shape<MachineType>({ name: aString, architecture: optional(aString) })),
      machineImages: listOf(
        shape<MachineImage>({
          name: aString,
          versions: listOf(
            shape<MachineImageVersion>({
              ...anExpirableVersion,
              cri: optional(listOf(shape({ name: aString }))),
              architectures: optional(listOf(aString)),
            }),
          ),
        }),
      ),
      volumeTypes: optional(listOf(shape<VolumeType>({ name: aString, class: aString }))),
      providerConfig: optional(anObject),
    }),
  },
);

// ---------------------------------------------------------------------------------------------
// Versions

const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/;

/** `[major, minor, patch]` of `x.y.z` (a leading `v` allowed), undefined for anything else. */
export function parseVersion(version: string): [number, number, number] | undefined {
  const match = SEMVER.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/** Orders two versions (`x.y.z`); unparsable ones sort first. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [-1, -1, -1];
  const pb = parseVersion(b) ?? [-1, -1, -1];
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

/** Whether the version's expiration date has passed at `now`. */
export function isExpired(version: ExpirableVersion, now: Date): boolean {
  if (!version.expirationDate) return false;
  const at = Date.parse(version.expirationDate);
  return !Number.isNaN(at) && at <= now.getTime();
}

/**
 * What a shoot that names only `major` or `major.minor` gets (Gardener's defaulting): the highest
 * offered version of that prefix that is neither expired nor `preview` (a preview version must
 * be named exactly). Undefined when none qualifies.
 */
export function latestQualifyingVersion<V extends ExpirableVersion>(
  versions: readonly V[],
  prefix: readonly number[],
  now: Date,
): V | undefined {
  return versions
    .filter((v) => {
      const parsed = parseVersion(v.version);
      return parsed && prefix.every((part, i) => parsed[i] === part);
    })
    .filter((v) => v.classification !== 'preview' && !isExpired(v, now))
    .sort((a, b) => compareVersions(b.version, a.version))[0];
}

/** `1` → [1], `1.31` → [1, 31]; undefined for a full version or anything else. */
export function versionPrefix(version: string): number[] | undefined {
  if (!/^\d+(\.\d+)?$/.test(version)) return undefined;
  return version.split('.').map(Number);
}

// ---------------------------------------------------------------------------------------------
// Validation

/** A CloudProfile's validation (create and update alike), as Gardener's `ValidateCloudProfileSpec`. */
export function validateCloudProfile(obj: KubeObject): FieldError[] {
  const spec = obj.spec;
  if (!isRecord(spec)) return [FieldError.required('spec')];
  const errs: FieldError[] = [];
  if (typeof spec.type !== 'string' || spec.type === '') errs.push(FieldError.required('spec.type'));
  errs.push(...validateKubernetesVersions(spec.kubernetes));
  errs.push(...validateNamedList(spec.machineTypes, 'spec.machineTypes', 'machine type', validateMachineType));
  errs.push(...validateNamedList(spec.machineImages, 'spec.machineImages', 'machine image', validateMachineImage));
  errs.push(...validateNamedList(spec.regions, 'spec.regions', 'region', validateRegion));
  if (spec.volumeTypes !== undefined && spec.volumeTypes !== null) {
    errs.push(...validateNamedList(spec.volumeTypes, 'spec.volumeTypes', '', validateVolumeType));
  }
  errs.push(...optionalObject(spec.providerConfig, 'spec.providerConfig'));
  return errs;
}

function validateKubernetesVersions(kubernetes: unknown): FieldError[] {
  if (!isRecord(kubernetes)) return [FieldError.required('spec.kubernetes')];
  const path = 'spec.kubernetes.versions';
  if (!Array.isArray(kubernetes.versions) || kubernetes.versions.length === 0) {
    return [FieldError.required(path, 'must provide at least one Kubernetes version')];
  }
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  kubernetes.versions.forEach((entry: unknown, i: number) => {
    const at = `${path}[${i}]`;
    errs.push(...validateExpirableVersion(entry, at, true));
    if (isRecord(entry) && typeof entry.version === 'string') {
      if (seen.has(entry.version)) errs.push(FieldError.duplicate(`${at}.version`, entry.version));
      seen.add(entry.version);
    }
  });
  return errs;
}

/** version (`x.y.z` for Kubernetes), expirationDate (RFC 3339), classification. */
function validateExpirableVersion(entry: unknown, at: string, kubernetes: boolean): FieldError[] {
  if (!isRecord(entry)) return [FieldError.typeInvalid(at, entry, 'must be an object')];
  const errs: FieldError[] = [];
  if (typeof entry.version !== 'string' || entry.version === '') {
    errs.push(FieldError.required(`${at}.version`));
  } else if (kubernetes ? !/^\d+\.\d+\.\d+$/.test(entry.version) : !parseVersion(entry.version)) {
    errs.push(FieldError.invalid(`${at}.version`, entry.version, 'could not parse version: must be x.y.z'));
  }
  errs.push(...optionalString(entry.expirationDate, `${at}.expirationDate`));
  if (typeof entry.expirationDate === 'string' && Number.isNaN(Date.parse(entry.expirationDate))) {
    errs.push(FieldError.invalid(`${at}.expirationDate`, entry.expirationDate, 'must be an RFC 3339 date'));
  }
  if (entry.classification !== undefined && entry.classification !== null) {
    if (!(VERSION_CLASSIFICATIONS as readonly unknown[]).includes(entry.classification)) {
      errs.push(FieldError.notSupported(`${at}.classification`, entry.classification, VERSION_CLASSIFICATIONS));
    }
  }
  return errs;
}

/**
 * A required, non-empty list of objects with unique non-empty names; `each` checks the rest of an
 * entry. `what` names the entries in "must provide at least one …" (empty: the list may be empty).
 */
function validateNamedList(
  list: unknown,
  path: string,
  what: string,
  each: (entry: Record<string, unknown>, at: string) => FieldError[],
): FieldError[] {
  if (!Array.isArray(list) || (what && list.length === 0)) {
    return list === undefined || list === null || Array.isArray(list)
      ? [FieldError.required(path, `must provide at least one ${what}`)]
      : [FieldError.typeInvalid(path, list, 'must be a list')];
  }
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  list.forEach((entry: unknown, i: number) => {
    const at = `${path}[${i}]`;
    if (!isRecord(entry)) {
      errs.push(FieldError.typeInvalid(at, entry, 'must be an object'));
      return;
    }
    if (typeof entry.name !== 'string' || entry.name === '') {
      errs.push(FieldError.required(`${at}.name`));
    } else {
      if (seen.has(entry.name)) errs.push(FieldError.duplicate(`${at}.name`, entry.name));
      seen.add(entry.name);
    }
    errs.push(...each(entry, at));
  });
  return errs;
}

function validateMachineType(entry: Record<string, unknown>, at: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const field of ['cpu', 'gpu', 'memory'] as const) {
    const value = entry[field];
    if (value === undefined || value === null) errs.push(FieldError.required(`${at}.${field}`));
    else if (parseQuantity(value) === undefined || (parseQuantity(value) ?? 0) < 0) {
      errs.push(FieldError.invalid(`${at}.${field}`, value, 'must be a non-negative quantity'));
    }
  }
  errs.push(...validateArchitecture(entry.architecture, `${at}.architecture`));
  return errs;
}

function validateMachineImage(entry: Record<string, unknown>, at: string): FieldError[] {
  const path = `${at}.versions`;
  if (!Array.isArray(entry.versions) || entry.versions.length === 0) {
    return [FieldError.required(path, 'must provide at least one version for the machine image')];
  }
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  entry.versions.forEach((version: unknown, i: number) => {
    const vat = `${path}[${i}]`;
    errs.push(...validateExpirableVersion(version, vat, false));
    if (!isRecord(version)) return;
    if (typeof version.version === 'string') {
      if (seen.has(version.version)) errs.push(FieldError.duplicate(`${vat}.version`, version.version));
      seen.add(version.version);
    }
    errs.push(...optionalArray(version.cri, `${vat}.cri`));
    if (Array.isArray(version.cri)) {
      version.cri.forEach((cri: unknown, j: number) => {
        if (!isRecord(cri) || typeof cri.name !== 'string' || cri.name === '') {
          errs.push(FieldError.required(`${vat}.cri[${j}].name`));
        }
      });
    }
    errs.push(...optionalArray(version.architectures, `${vat}.architectures`));
    if (Array.isArray(version.architectures)) {
      version.architectures.forEach((arch: unknown, j: number) => {
        errs.push(...validateArchitecture(arch, `${vat}.architectures[${j}]`));
      });
    }
  });
  return errs;
}

function validateArchitecture(value: unknown, path: string): FieldError[] {
  if (value === undefined || value === null) return [];
  return (MACHINE_ARCHITECTURES as readonly unknown[]).includes(value)
    ? []
    : [FieldError.notSupported(path, value, MACHINE_ARCHITECTURES)];
}

function validateRegion(entry: Record<string, unknown>, at: string): FieldError[] {
  if (entry.zones === undefined || entry.zones === null) return [];
  return validateNamedList(entry.zones, `${at}.zones`, '', () => []);
}

function validateVolumeType(entry: Record<string, unknown>, at: string): FieldError[] {
  return typeof entry.class === 'string' && entry.class !== '' ? [] : [FieldError.required(`${at}.class`)];
}
