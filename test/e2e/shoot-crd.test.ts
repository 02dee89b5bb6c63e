/**
 * CustomResourceDefinitions on a shoot (issue 13, item 2), through the real kubectl on a real
 * landscape: a CRD applied server-side becomes Established and its API appears in
 * `kubectl api-resources`; custom resources are pruned, defaulted and validated by the version's
 * structural schema and CEL rules (refusals name the field), printed with the CRD's columns,
 * changed through the status and scale subresources, read in both served versions; a CRD too
 * large for client-side apply, the real Forklift CRDs and the prometheus-operator bundle install
 * with `--server-side` and serve validated, defaulted, scalable objects; after a
 * migration the destination serves the same APIs and objects; deleting the CRD deletes its custom
 * resources and its API.
 */
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testCrd } from '../helpers/crds.js';
import type { CommandResult } from '../helpers/kubectl.js';
import { type KubectlShoot, startKubectlShoot } from '../helpers/kubectl-shoot.js';
import { SHOOT, SHOOT_NAMESPACE, type ShootOnLandscape, triggerMigration } from '../helpers/migration.js';

const fixtures = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures', 'crds');

const widget = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name }, spec });

describe('CustomResourceDefinitions on a shoot, through kubectl', () => {
  let kubectlShoot: KubectlShoot;
  let shoot: ShootOnLandscape;
  const k = (args: string[], input?: string): Promise<CommandResult> => kubectlShoot.k(args, input);
  const ok = (args: string[], input?: string): Promise<string> => kubectlShoot.ok(args, input);
  const refused = async (args: string[], input?: string): Promise<string> => {
    const result = await k(args, input);
    assert.notEqual(result.code, 0, `kubectl ${args.join(' ')} succeeded: ${result.stdout}`);
    return result.stderr;
  };
  const json = (args: string[]) => kubectlShoot.json(args);

  before(async () => {
    kubectlShoot = await startKubectlShoot();
    shoot = kubectlShoot.shoot;
  });

  after(async () => {
    await kubectlShoot?.stop();
  });

  it('a CRD applied server-side becomes Established and kubectl api-resources lists its API', async () => {
    await ok(['apply', '--server-side', '-f', join(fixtures, 'widgets.yaml')]);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/widgets.example.com']);
    const crd = await json(['get', 'crd', 'widgets.example.com']);
    assert.deepEqual(crd.status.storedVersions, ['v1']);
    assert.equal(crd.status.acceptedNames.kind, 'Widget');
    const resources = await ok(['api-resources', '--api-group=example.com', '--no-headers']);
    assert.match(resources, /^widgets\s+wd\s+example\.com\/v1\s+true\s+Widget\s*$/m);
    // kubectl explain reads the version's schema from the OpenAPI v3 document.
    const explained = await ok(['explain', 'widget.spec.size']);
    assert.match(explained, /FIELD: size <string>/);
    assert.match(explained, /ENUM:\s+small\s+medium\s+large/);
  });

  it('a custom resource is pruned and defaulted, and kubectl get shows the printer columns', async () => {
    // --validate=false: kubectl would refuse the unknown field itself (fieldValidation=Strict).
    const body = widget('w1', { size: 'small', replicas: 2, unknownField: 'x', ports: [{ name: 'http', port: 80 }] });
    await ok(['create', '--validate=false', '-f', '-'], body);
    const w1 = await json(['get', 'widget', 'w1']);
    assert.equal(w1.spec.unknownField, undefined);
    assert.equal(w1.spec.color, 'blue');
    assert.equal(w1.spec.minReplicas, 0);
    assert.deepEqual(w1.spec.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
    const table = await ok(['get', 'wd']);
    assert.match(table, /^NAME\s+SIZE\s+REPLICAS\s+READY\s+AGE$/m);
    assert.match(table, /^w1\s+small\s+2\s+<none>\s+\d+s$/m);
    assert.match(await ok(['get', 'all']), /widget\.example\.com\/w1\s+small/);
    assert.match(
      await ok(['get', 'widgets', '--field-selector', 'spec.size=small', '-o', 'name']),
      /^widget\.example\.com\/w1$/m,
    );
    assert.equal(await ok(['get', 'widgets', '--field-selector', 'spec.size=large', '-o', 'name']), '');
  });

  it('a wrong type, a bad enum value and a duplicate list-map key are refused naming the field; nothing is stored', async () => {
    const wrongType = await refused(['create', '-f', '-'], widget('bad', { size: 'small', replicas: 'string' }));
    assert.match(
      wrongType,
      /spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer: "string"/,
    );
    const several = await refused(
      ['create', '-f', '-'],
      widget('bad', { size: 'huge', ports: [{ name: 'a' }, { name: 'a' }] }),
    );
    assert.match(several, /spec\.size: Unsupported value: "huge": supported values: "small", "medium", "large"/);
    assert.match(several, /spec\.ports\[1\]: Duplicate value: map\[string\]interface \{\}\{"name":"a"\}/);
    assert.match(await refused(['get', 'widget', 'bad']), /NotFound|not found/);
  });

  it('CEL rules refuse with their message, transition rules compare with the stored object', async () => {
    const rule = await refused(['create', '-f', '-'], widget('bad', { size: 'small', replicas: 1, minReplicas: 3 }));
    assert.match(rule, /spec: Invalid value: "object": replicas must not be below minReplicas/);
    const transition = await refused(['patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"size":"large"}}']);
    assert.match(transition, /spec: Invalid value: "object": size may change only at 0 replicas, not at 2/);
  });

  it('a strategic merge patch is refused as for every custom resource; merge and JSON patches apply', async () => {
    const strategic = await refused(['patch', 'widget', 'w1', '-p', '{"spec":{"color":"red"}}']);
    assert.match(strategic, /application\/strategic-merge-patch\+json is not supported/);
    await ok(['patch', 'widget', 'w1', '--type=json', '-p', '[{"op":"replace","path":"/spec/color","value":"red"}]']);
    assert.equal(await ok(['get', 'widget', 'w1', '-o', 'jsonpath={.spec.color}']), 'red');
  });

  it('kubectl scale changes the replicas at the CRD’s specReplicasPath; the Scale shows status and selector', async () => {
    await ok(['scale', 'widget', 'w1', '--replicas=0']);
    assert.equal(await ok(['get', 'widget', 'w1', '-o', 'jsonpath={.spec.replicas}']), '0');
    await ok([
      'patch',
      'widget',
      'w1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"replicas":3,"selector":"app=w1","conditions":[{"type":"Ready","status":"True"}]}}',
    ]);
    const scale = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1/namespaces/default/widgets/w1/scale']));
    assert.deepEqual(
      [scale.kind, scale.spec, scale.status],
      ['Scale', { replicas: 0 }, { replicas: 3, selector: 'app=w1' }],
    );
    assert.match(await ok(['get', 'wd', 'w1']), /^w1\s+small\s+0\s+True\s/m);
  });

  it('the status subresource ignores spec changes, the main resource ignores status; only spec bumps the generation', async () => {
    const before = await json(['get', 'widget', 'w1']);
    await ok([
      'patch',
      'widget',
      'w1',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"spec":{"color":"green"},"status":{"replicas":4}}',
    ]);
    let now = await json(['get', 'widget', 'w1']);
    assert.deepEqual(
      [now.spec.color, now.status.replicas, now.metadata.generation],
      ['red', 4, before.metadata.generation],
    );
    await ok(['patch', 'widget', 'w1', '--type=merge', '-p', '{"spec":{"color":"green"},"status":{"replicas":9}}']);
    now = await json(['get', 'widget', 'w1']);
    assert.deepEqual(
      [now.spec.color, now.status.replicas, now.metadata.generation],
      ['green', 4, before.metadata.generation + 1],
    );
  });

  it('both served versions read and write the same objects, apiVersion rewritten (None conversion); the deprecated one warns', async () => {
    const read = await k(['get', 'widgets.v1beta1.example.com', 'w1', '-o', 'json']);
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stderr, /Warning: example\.com\/v1beta1 Widget is deprecated/);
    const old = JSON.parse(read.stdout);
    assert.equal(old.apiVersion, 'example.com/v1beta1');
    assert.equal(old.spec.color, 'green');
    const beta = {
      apiVersion: 'example.com/v1beta1',
      kind: 'Widget',
      metadata: { name: 'w2' },
      spec: { size: 'medium' },
    };
    await ok(['create', '-f', '-'], JSON.stringify(beta));
    const w2 = await json(['get', 'widgets.v1.example.com', 'w2']);
    assert.equal(w2.apiVersion, 'example.com/v1');
    assert.equal(w2.spec.replicas, 1, 'v1 defaults apply when the object is read in v1');
  });

  it('server-side apply merges a list map by its keys: two managers keep each other’s ports', async () => {
    const config = (port: Record<string, unknown>) =>
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w3' },
        spec: { size: 'small', ports: [port] },
      });
    await ok(['apply', '--server-side', '--field-manager=a', '-f', '-'], config({ name: 'http', port: 80 }));
    await ok(['apply', '--server-side', '--field-manager=b', '-f', '-'], config({ name: 'https', port: 443 }));
    const w3 = await json(['get', 'widget', 'w3']);
    assert.deepEqual(
      w3.spec.ports.map((p: { name: string }) => p.name),
      ['http', 'https'],
    );
  });

  it('a CRD beyond the 256 KiB of client-side apply’s annotation installs with --server-side', async () => {
    const properties = Object.fromEntries(
      Array.from({ length: 400 }, (_, i) => [`field${i}`, { type: 'string', description: 'x'.repeat(800) }]),
    );
    const large = testCrd('bigs', 'Big', {
      scope: 'Cluster',
      schema: { type: 'object', properties: { spec: { type: 'object', properties } } },
    });
    const file = join(kubectlShoot.dir, 'big.json');
    await writeFile(file, JSON.stringify(large));
    assert.match(
      await refused(['apply', '-f', file]),
      /Too long: (must have at most|may not be more than) 262144 bytes/,
    );
    await ok(['apply', '--server-side', '-f', file]);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/bigs.example.com']);
    await ok(
      ['create', '-f', '-'],
      JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Big', metadata: { name: 'b' }, spec: { field7: 'x' } }),
    );
  });

  it('the real Forklift CRDs install with kubectl apply --server-side and their APIs are served', async () => {
    const dir = join(fixtures, 'forklift');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    assert.equal(files.length, 8);
    await ok(['apply', '--server-side', ...files.flatMap((f) => ['-f', join(dir, f)])]);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', '--all', 'crd']);
    const resources = await ok(['api-resources', '--api-group=forklift.konveyor.io', '-o', 'name']);
    assert.equal(resources.trim().split('\n').length, 8, resources);
    const provider = {
      apiVersion: 'forklift.konveyor.io/v1beta1',
      kind: 'Provider',
      metadata: { name: 'vsphere' },
      spec: {
        type: 'vsphere',
        url: 'https://vcenter.example.com/sdk',
        secret: { name: 'vsphere', namespace: 'default' },
      },
    };
    await ok(['create', '-f', '-'], JSON.stringify(provider));
    assert.match(await ok(['get', 'providers.forklift.konveyor.io']), /^vsphere\s/m);
  });

  it('the prometheus-operator bundle installs with --server-side; its objects validate, default and scale', async () => {
    const dir = join(fixtures, 'prometheus-operator');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    assert.match(
      await refused(['apply', '-f', join(dir, 'monitoring.coreos.com_prometheuses.yaml')]),
      /Too long: (must have at most|may not be more than) 262144 bytes/,
    );
    await ok(['apply', '--server-side', ...files.flatMap((f) => ['-f', join(dir, f)])]);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', '--all', 'crd']);
    const objects = [
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'Prometheus',
        metadata: { name: 'main' },
        spec: { replicas: 2, resources: { requests: { memory: '400Mi', cpu: 1 } }, retention: '10d' },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 'web', labels: { team: 'a' } },
        spec: { selector: { matchLabels: { app: 'web' } }, endpoints: [{ port: 'http', interval: '30s' }] },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'rules' },
        spec: { groups: [{ name: 'g', rules: [{ alert: 'Down', expr: 'up == 0', for: '5m' }] }] },
      },
    ];
    await ok(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    const prometheus = await json(['get', 'prometheus', 'main']);
    assert.deepEqual([prometheus.spec.evaluationInterval, prometheus.spec.portName], ['30s', 'web'], 'defaults');
    assert.match(await ok(['get', 'prometheus']), /^NAME\s+VERSION\s+DESIRED\s+READY\s+RECONCILED\s+AVAILABLE\s+AGE$/m);
    // The CRD's scale subresource scales shards.
    await ok(['scale', 'prometheus', 'main', '--replicas=3']);
    assert.equal(await ok(['get', 'prometheus', 'main', '-o', 'jsonpath={.spec.shards}']), '3');
    const bad = {
      ...objects[1]!,
      metadata: { name: 'bad' },
      spec: { selector: {}, endpoints: [{ port: 'http', interval: '30 s' }] },
    };
    assert.match(
      await refused(['create', '-f', '-'], JSON.stringify(bad)),
      /spec\.endpoints\[0\]\.interval: Invalid value: "30 s": spec\.endpoints\[0\]\.interval in body should match/,
    );
  });

  it('after a migration to seed-b, the destination serves the CRDs’ APIs and their objects from the restored etcd', async () => {
    await triggerMigration(shoot.landscape.garden, 'seed-b');
    const restored = await shoot.landscape.waitForOperation(SHOOT_NAMESPACE, SHOOT, 'Restore', 180_000);
    assert.equal(restored.status.seedName, 'seed-b');
    const w1 = await json(['get', 'widget', 'w1']);
    assert.deepEqual([w1.spec.color, w1.status.replicas], ['green', 4]);
    assert.match(await ok(['get', 'providers.forklift.konveyor.io']), /^vsphere\s/m);
    assert.equal(await ok(['get', 'prometheus', 'main', '-o', 'jsonpath={.spec.shards}']), '3');
    assert.match(
      await refused(['create', '-f', '-'], widget('bad', { size: 'small', replicas: 'string' })),
      /spec\.replicas in body must be of type integer/,
    );
  });

  it('deleting the CRD deletes its custom resources, then its API', async () => {
    await ok(['delete', 'crd', 'widgets.example.com', '--timeout=60s']);
    assert.match(
      await refused(['get', '--raw', '/apis/example.com/v1/namespaces/default/widgets']),
      /NotFound|not found/,
    );
    const resources = await ok(['api-resources', '--api-group=example.com', '-o', 'name']);
    assert.doesNotMatch(resources, /widgets/);
    assert.match(resources, /bigs/);
  });
});
