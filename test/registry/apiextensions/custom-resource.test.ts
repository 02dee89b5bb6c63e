/**
 * The resource definitions a CRD makes: one per served version with the CRD's names and
 * subresources, `None` conversion with defaults applied on read, the scale handler at the CRD's
 * paths, and no creates once the CRD is terminating.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { isStatusError } from '../../../src/api/errors.js';
import type { KubeObject } from '../../../src/api/meta.js';
import { compareKubeVersions, customResourceApi } from '../../../src/registry/apiextensions/custom-resource.js';
import { testCrd } from '../../helpers/crds.js';

const fixture = join(import.meta.dirname, '..', '..', '..', '..', 'test', 'fixtures', 'crds', 'widgets.yaml');
const widgets = async (): Promise<KubeObject> => parse(await readFile(fixture, 'utf8')) as KubeObject;

describe('the API of a CRD', () => {
  it('has one definition per served version with the CRD’s names, scope and subresources', async () => {
    const { definitions, handlers } = customResourceApi(await widgets());
    assert.deepEqual(
      definitions.map((d) => [d.group, d.version, d.kind, d.plural, d.singular, d.listKind, d.namespaced]),
      [
        ['example.com', 'v1', 'Widget', 'widgets', 'widget', 'WidgetList', true],
        ['example.com', 'v1beta1', 'Widget', 'widgets', 'widget', 'WidgetList', true],
      ],
    );
    const v1 = definitions[0]!;
    assert.deepEqual([v1.shortNames, v1.categories], [['wd'], ['all']]);
    assert.deepEqual(
      v1.discoverySubresources?.map((s) => s.name),
      ['status', 'scale'],
    );
    assert.deepEqual(
      v1.columns?.map((c) => c.name),
      ['Size', 'Replicas', 'Ready', 'Age'],
    );
    assert.deepEqual(
      handlers.map((h) => `${h.group}/${h.version}/${h.resource}/${h.subresource}`),
      ['example.com/v1/widgets/scale'],
    );
  });

  it('converts with None: stored under the storage version, read in the asked one with its defaults', async () => {
    const [v1, v1beta1] = customResourceApi(await widgets()).definitions;
    const written = v1beta1!.conversion!.toStorage({
      apiVersion: 'example.com/v1beta1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { size: 'small' },
    });
    assert.equal(written.apiVersion, 'example.com/v1');
    const read = v1!.conversion!.fromStorage(structuredClone(written));
    assert.deepEqual(read.spec, { size: 'small', replicas: 1, minReplicas: 0, color: 'blue' });
  });

  it('without a status subresource, a status change is a new generation', () => {
    const [def] = customResourceApi(
      testCrd('gadgets', 'Gadget', { schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }),
    ).definitions;
    const old: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g', generation: 2 },
      status: { a: 1 },
    };
    const next = structuredClone(old);
    next.status = { a: 2 };
    def!.strategy.prepareForUpdate!(next, old);
    assert.equal(next.metadata.generation, 3);
    assert.equal(def!.hasStatus, false);
  });

  it('refuses creates while the CRD is terminating', async () => {
    const crd = await widgets();
    crd.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const [v1] = customResourceApi(crd).definitions;
    assert.throws(
      () => v1!.strategy.prepareForCreate!({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
      (err: unknown) => isStatusError(err) && err.code === 405 && /terminating/.test(err.message),
    );
  });
});

describe('version priority', () => {
  it('orders GA before beta before alpha, higher first, others last alphabetically', () => {
    const versions = ['v1alpha1', 'foo', 'v1', 'v11alpha2', 'v2', 'v1beta1', 'bar', 'v10beta3', 'v10'];
    assert.deepEqual(versions.sort(compareKubeVersions), [
      'v10',
      'v2',
      'v1',
      'v10beta3',
      'v1beta1',
      'v11alpha2',
      'v1alpha1',
      'bar',
      'foo',
    ]);
  });
});
