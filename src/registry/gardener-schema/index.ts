/**
 * What Gardener's API types give a kind's definition: unknown fields dropped as Gardener's API
 * server drops them (and named for `fieldValidation=Warn|Strict`, so `kubectl apply` of a misspelt
 * field fails), and the OpenAPI schema `kubectl explain` reads. Spread into a definition:
 * `{ ...shootResource, ...gardenSchemas.Shoot, … }`.
 */
import type { ResourceDefinition } from '../../apiserver/types.js';
import type { FieldType } from '../builtin/model-types.js';
import { pruneUnknownFields } from '../builtin/model-types.js';
import { kindSchema } from '../builtin/openapi-schema.js';
import { coreV1beta1Types } from './core-v1beta1.js';
import { extensionsV1alpha1Types } from './extensions-v1alpha1.js';
import { FieldTypes } from './field-table.js';
import { securityV1alpha1Types } from './security-v1alpha1.js';

export type SchemaFacts = Required<Pick<ResourceDefinition, 'pruneUnknownFields' | 'openApiSchema'>>;

const core = new FieldTypes(coreV1beta1Types);
const security = new FieldTypes(securityV1alpha1Types);
const extensions = new FieldTypes(extensionsV1alpha1Types, { core });

function factsOf(types: FieldTypes, kind: string): SchemaFacts {
  let type: FieldType | undefined;
  const typeOf = () => {
    type ??= types.kind(kind);
    return type;
  };
  return {
    pruneUnknownFields: (obj) => pruneUnknownFields(obj, typeOf()),
    openApiSchema: () => kindSchema(typeOf()),
  };
}

/** The garden's kinds: core.gardener.cloud/v1beta1 and security.gardener.cloud/v1alpha1. */
export const gardenSchemas = {
  Shoot: factsOf(core, 'Shoot'),
  Seed: factsOf(core, 'Seed'),
  Project: factsOf(core, 'Project'),
  BackupBucket: factsOf(core, 'BackupBucket'),
  BackupEntry: factsOf(core, 'BackupEntry'),
  ShootState: factsOf(core, 'ShootState'),
  CloudProfile: factsOf(core, 'CloudProfile'),
  SecretBinding: factsOf(core, 'SecretBinding'),
  Quota: factsOf(core, 'Quota'),
  ControllerRegistration: factsOf(core, 'ControllerRegistration'),
  ControllerInstallation: factsOf(core, 'ControllerInstallation'),
  CredentialsBinding: factsOf(security, 'CredentialsBinding'),
} as const satisfies Record<string, SchemaFacts>;

/** The extension kinds a seed serves (extensions.gardener.cloud/v1alpha1). */
export const extensionSchemas = {
  BackupBucket: factsOf(extensions, 'BackupBucket'),
  BackupEntry: factsOf(extensions, 'BackupEntry'),
  Cluster: factsOf(extensions, 'Cluster'),
  ControlPlane: factsOf(extensions, 'ControlPlane'),
  DNSRecord: factsOf(extensions, 'DNSRecord'),
  Infrastructure: factsOf(extensions, 'Infrastructure'),
  Worker: factsOf(extensions, 'Worker'),
} as const satisfies Record<string, SchemaFacts>;
