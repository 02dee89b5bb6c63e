import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameKeyFilter } from '../../src/apiserver/registry/selection-predicate.js';
import { parseFieldSelectorTerms } from '../../src/apiserver/selectors.js';

describe('nameKeyFilter', () => {
  const filter = (selector: string) => nameKeyFilter(parseFieldSelectorTerms(selector));

  it('keeps the keys whose last segment is the selected name, in every namespace', () => {
    const keep = filter('metadata.name=kube-root-ca.crt');
    assert.ok(keep);
    assert.equal(keep('/registry/configmaps/default/kube-root-ca.crt'), true);
    assert.equal(keep('/registry/configmaps/kube-system/kube-root-ca.crt'), true);
    assert.equal(keep('/registry/configmaps/default/kube-root-ca.crt-2'), false);
    assert.equal(keep('/registry/configmaps/kube-root-ca.crt/other'), false);
    assert.equal(filter('metadata.name=a')?.('/registry/namespaces/a'), true);
  });

  it('keeps nothing for two different names, and is undefined without an equality on the name', () => {
    assert.equal(filter('metadata.name=a,metadata.name=b')?.('/registry/things/ns/a'), false);
    assert.equal(filter('metadata.name!=a'), undefined);
    assert.equal(filter('metadata.namespace=a'), undefined);
    assert.equal(filter(''), undefined);
  });
});
