import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  seedBackupSecretRef,
  seedHasBackup,
  seedResource,
  shootResource,
  shootSpecSeedName,
} from '../../src/api/core-gardener/index.js';
import { validateObjectMeta } from '../../src/api/validation.js';
import { checked } from '../../src/client/client.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { gardenerDefinitions } from '../../src/registry/core-gardener/index.js';
import { loadExamples } from '../helpers/examples.js';

const definitions = [...coreDefinitions, ...gardenerDefinitions];

describe('examples/', () => {
  const objects = loadExamples();

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
      const seed = checked(
        seedResource,
        objects.find(({ obj }) => obj.kind === 'Seed' && obj.metadata.name === name)!.obj,
      );
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
    const shoot = checked(shootResource, objects.find(({ obj }) => obj.kind === 'Shoot')!.obj);
    assert.equal(shoot.metadata.namespace, 'garden-dev');
    assert.equal(shootSpecSeedName(shoot), 'seed-a');
  });
});
