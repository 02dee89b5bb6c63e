import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/api/meta.js';
import { coreV1beta1Types } from '../../src/registry/gardener-schema/core-v1beta1.js';
import { extensionsV1alpha1Types } from '../../src/registry/gardener-schema/extensions-v1alpha1.js';
import { FieldTypes, type TypeTable } from '../../src/registry/gardener-schema/field-table.js';
import { extensionSchemas, gardenSchemas } from '../../src/registry/gardener-schema/index.js';
import { securityV1alpha1Types } from '../../src/registry/gardener-schema/security-v1alpha1.js';

/** test/fixtures/gardener-examples (this file runs as dist/test/registry/*.js). */
const examplesDir = fileURLToPath(new URL('../../../test/fixtures/gardener-examples/', import.meta.url));

function gardenerExamples(): KubeObject[] {
  return readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(`${examplesDir}${f}`, 'utf8')).map((d) => d.toJS() as KubeObject))
    .filter((obj) => obj && (obj.kind ?? '') in gardenSchemas);
}

const shoot = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'core.gardener.cloud/v1beta1',
  kind: 'Shoot',
  metadata: { name: 'a', namespace: 'garden-dev' },
  spec,
});

describe('gardener-schema tables', () => {
  it('every field of every struct names a type that resolves', () => {
    const core = new FieldTypes(coreV1beta1Types);
    const tables: [FieldTypes, TypeTable][] = [
      [core, coreV1beta1Types],
      [new FieldTypes(securityV1alpha1Types), securityV1alpha1Types],
      [new FieldTypes(extensionsV1alpha1Types, { core }), extensionsV1alpha1Types],
    ];
    let fields = 0;
    for (const [types, table] of tables) {
      for (const name of Object.keys(table.types)) {
        const type = types.object(name);
        assert.equal(type.kind, 'object');
        if (type.kind === 'object') fields += type.fields().size;
      }
    }
    assert.ok(fields > 800, `${fields} fields`);
  });

  it("knows every field of Gardener's own example manifests and keeps them as they are", () => {
    const examples = gardenerExamples();
    assert.deepEqual([...new Set(examples.map((obj) => obj.kind))].sort(), [
      'CloudProfile',
      'ControllerInstallation',
      'ControllerRegistration',
      'CredentialsBinding',
      'Project',
      'Quota',
      'SecretBinding',
      'Seed',
      'Shoot',
    ]);
    for (const obj of examples) {
      const copy = structuredClone(obj);
      const kind = obj.kind as keyof typeof gardenSchemas;
      assert.deepEqual(gardenSchemas[kind].pruneUnknownFields(copy), [], `${obj.kind} ${obj.metadata.name}`);
      assert.deepEqual(copy, obj);
    }
  });

  it('drops and names misspelt fields at any depth, in metadata too', () => {
    const obj = shoot({
      seedNmae: 'seed-a',
      region: 'local',
      provider: { type: 'local', workers: [{ name: 'w', machine: { typ: 'local' }, minimum: 1, maximum: 1 }] },
    });
    obj.metadata.labelz = { a: 'b' };
    assert.deepEqual(gardenSchemas.Shoot.pruneUnknownFields(obj), [
      'metadata.labelz',
      'spec.seedNmae',
      'spec.provider.workers[0].machine.typ',
    ]);
    assert.deepEqual(obj.spec, {
      region: 'local',
      provider: { type: 'local', workers: [{ name: 'w', machine: {}, minimum: 1, maximum: 1 }] },
    });
  });

  it("keeps a provider's configuration (a RawExtension) whatever it holds", () => {
    const config = { apiVersion: 'local.provider.extensions.gardener.cloud/v1alpha1', kind: 'X', any: { deep: [1] } };
    const obj = shoot({ provider: { type: 'local', infrastructureConfig: config } });
    assert.deepEqual(gardenSchemas.Shoot.pruneUnknownFields(obj), []);
    assert.deepEqual((obj.spec as { provider: unknown }).provider, { type: 'local', infrastructureConfig: config });
  });

  it('knows the fields Gardener removed that examples/ and Transplant still use', () => {
    const seed: KubeObject = {
      apiVersion: 'core.gardener.cloud/v1beta1',
      kind: 'Seed',
      metadata: { name: 's' },
      spec: {
        backup: { provider: 'local', secretRef: { name: 'b', namespace: 'garden' } },
        dns: { provider: { type: 'local', secretRef: { name: 'd', namespace: 'garden' } } },
      },
    };
    assert.deepEqual(gardenSchemas.Seed.pruneUnknownFields(seed), []);
    const controlPlane: KubeObject = {
      apiVersion: 'extensions.gardener.cloud/v1alpha1',
      kind: 'ControlPlane',
      metadata: { name: 'cp', namespace: 'shoot--dev--a' },
      spec: { type: 'local', region: 'local', purpose: 'normal', secretRef: { name: 'cloudprovider' } },
    };
    assert.deepEqual(extensionSchemas.ControlPlane.pruneUnknownFields(controlPlane), []);
  });

  it('publishes each kind with its fields, descriptions and every referenced component', () => {
    for (const [kind, facts] of [...Object.entries(gardenSchemas), ...Object.entries(extensionSchemas)]) {
      const { schema, components } = facts.openApiSchema();
      const properties = schema.properties as Record<string, unknown>;
      assert.ok(properties.apiVersion && properties.kind && properties.metadata, kind);
      assert.ok(schema.description, `${kind} has a description`);
      const refs = JSON.stringify([schema, components]).matchAll(/"#\/components\/schemas\/([^"]+)"/g);
      for (const [, name] of refs) assert.ok(name! in components, `${kind}: ${name} is published`);
    }
    const { components } = gardenSchemas.Shoot.openApiSchema();
    const spec = components['com.github.gardener.gardener.pkg.apis.core.v1beta1.ShootSpec'] as {
      properties: Record<string, { description?: string; type?: string }>;
      required: string[];
    };
    assert.equal(spec.properties.seedName?.type, 'string');
    assert.match(spec.properties.seedName?.description ?? '', /Seed that hosts the control plane/);
    assert.deepEqual(spec.required.sort(), ['kubernetes', 'provider', 'region']);
    const status = components['com.github.gardener.gardener.pkg.apis.core.v1beta1.ShootStatus'] as {
      properties: Record<string, { format?: string }>;
    };
    assert.equal(status.properties.migrationStartTime?.format, 'date-time');
  });
});
