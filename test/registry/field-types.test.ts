import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldSetOf } from '../../src/apiserver/fieldmanager/field-sets-of.js';
import { compileSchema } from '../../src/apiserver/fieldmanager/schema.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { gardenerDefinitions } from '../../src/registry/core-gardener/index.js';
import { shootDefinition } from '../../src/registry/core-gardener/shoot.js';
import { druidDefinitions } from '../../src/registry/druid/index.js';
import { extensionDefinitions } from '../../src/registry/extensions/index.js';
import { rbacDefinitions } from '../../src/registry/rbac/index.js';
import { roleDefinition } from '../../src/registry/rbac/role.js';

const all = [
  ...coreDefinitions,
  ...gardenerDefinitions,
  ...extensionDefinitions,
  ...druidDefinitions,
  ...rbacDefinitions,
];

describe('server-side apply field types of the served kinds', () => {
  it('every definition’s field types compile', () => {
    for (const def of all) assert.doesNotThrow(() => compileSchema(def), def.kind);
  });

  it('a Shoot’s conditions are keyed by type, its worker pools atomic', () => {
    const set = fieldSetOf(
      {
        spec: { provider: { workers: [{ name: 'local' }] } },
        status: { conditions: [{ type: 'APIServerAvailable', status: 'True' }] },
      },
      compileSchema(shootDefinition),
    );
    assert.deepEqual(set, {
      'f:spec': { 'f:provider': { 'f:workers': {} } },
      'f:status': {
        'f:conditions': { 'k:{"type":"APIServerAvailable"}': { '.': {}, 'f:type': {}, 'f:status': {} } },
      },
    });
  });

  it('RBAC rules are atomic', () => {
    const set = fieldSetOf({ rules: [{ verbs: ['get'], resources: ['pods'] }] }, compileSchema(roleDefinition));
    assert.deepEqual(set, { 'f:rules': {} });
  });
});
