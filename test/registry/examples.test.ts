import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { seedBackupSecretRef, seedHasBackup, shootSpecSeedName } from '../../src/api/core-gardener/index.js';
import type { KubeObject } from '../../src/api/meta.js';
import { validateObjectMeta } from '../../src/api/validation.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { gardenerDefinitions } from '../../src/registry/core-gardener/index.js';

const dir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const definitions = [...coreDefinitions, ...gardenerDefinitions];

function load(): { file: string; obj: KubeObject }[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(`${dir}${file}`, 'utf8'))
      .map((doc) => doc.toJS() as KubeObject | null)
      .filter((obj): obj is KubeObject => obj !== null)
      .map((obj) => ({ file, obj })),
  );
}

describe('examples/', () => {
  const objects = load();

  it('contains a project, two seeds and a shoot', () => {
    const kinds = objects.map(({ obj }) => `${obj.kind}/${obj.metadata.name}`);
    for (const wanted of ['Project/dev', 'Seed/seed-a', 'Seed/seed-b', 'Shoot/my-shoot']) {
      assert.ok(kinds.includes(wanted), `missing ${wanted} in ${kinds.join(', ')}`);
    }
  });

  it('orders files so that referenced objects come first', () => {
    const position = (kind: string, name: string) =>
      objects.findIndex(({ obj }) => obj.kind === kind && obj.metadata.name === name);
    assert.ok(position('Secret', 'backup-seed-a') < position('Seed', 'seed-a'));
    assert.ok(position('Project', 'dev') < position('Shoot', 'my-shoot'));
    assert.ok(position('Seed', 'seed-a') < position('Shoot', 'my-shoot'));
  });

  it('every object passes its kind’s defaulting and validation', () => {
    for (const { file, obj } of objects) {
      const def = definitions.find(
        (d) => d.kind === obj.kind && (d.group ? `${d.group}/${d.version}` : d.version) === obj.apiVersion,
      );
      assert.ok(def, `${file}: no definition for ${obj.apiVersion} ${obj.kind}`);
      const copy = structuredClone(obj);
      def.strategy.prepareForCreate?.(copy);
      const errors = [
        ...validateObjectMeta(copy.metadata, { namespaced: def.namespaced, name: def.nameRule }),
        ...(def.strategy.validate?.(copy) ?? []),
      ];
      assert.deepEqual(errors, [], `${file}: ${obj.kind}/${obj.metadata.name}`);
    }
  });

  it('the seeds have backups whose secrets are part of the examples', () => {
    for (const name of ['seed-a', 'seed-b']) {
      const seed = objects.find(({ obj }) => obj.kind === 'Seed' && obj.metadata.name === name)!.obj;
      assert.ok(seedHasBackup(seed));
      const ref = seedBackupSecretRef(seed)!;
      assert.ok(
        objects.some(
          ({ obj }) =>
            obj.kind === 'Secret' && obj.metadata.name === ref.name && obj.metadata.namespace === ref.namespace,
        ),
        `secret ${ref.namespace}/${ref.name} of ${name}`,
      );
    }
  });

  it('the shoot lives in the project namespace and starts on seed-a', () => {
    const shoot = objects.find(({ obj }) => obj.kind === 'Shoot')!.obj;
    assert.equal(shoot.metadata.namespace, 'garden-dev');
    assert.equal(shootSpecSeedName(shoot), 'seed-a');
  });
});
