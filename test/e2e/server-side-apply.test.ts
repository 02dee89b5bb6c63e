/**
 * Server-side apply with the real kubectl on each API Transplant serves: the garden (examples/,
 * Shoots as Flux applies them), a seed's API and a shoot's kube-apiserver. The same story on each:
 * applying twice changes nothing, a second manager's change makes the first's re-apply conflict
 * (kubectl names the manager and the field), --force-conflicts takes the field over, a field
 * dropped from the manifest goes, `--show-managed-fields` shows the entries, and client-side
 * `kubectl apply` keeps working. Bad input is refused with a Status naming what is wrong.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { type HostedApiServer, startHostedApiServer } from '../../src/hosting/hosted-api-server.js';
import { coreDefinitions } from '../../src/registry/core/index.js';
import { druidDefinitions } from '../../src/registry/druid/index.js';
import { extensionDefinitions } from '../../src/registry/extensions/index.js';
import { type Json, rawRequest } from '../helpers/api-client.js';
import { kubectlOk } from '../helpers/garden-e2e.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl } from '../helpers/kubectl.js';
import { startTestShootApi, type TestShootApi } from '../helpers/shoot-api-server.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  fieldsV1: Json;
}

/** What each API's story applies: a manifest, the field a second manager changes, the field then dropped. */
interface Scenario {
  kubeconfig: () => string;
  dir: () => string;
  /** `kind/name` with `-n namespace`, as kubectl takes it. */
  target: string[];
  manifest: Json;
  /** A merge patch changing one field the manifest sets, its path as kubectl prints it, and a reader of it. */
  change: { patch: Json; path: string; read: (obj: Json) => unknown };
  /** Removes one field from the manifest; `gone` is true once the live object lacks it. */
  drop: { edit: (manifest: Json) => void; gone: (obj: Json) => boolean };
}

async function getJson(kubeconfig: string, target: string[]): Promise<Json> {
  return JSON.parse(await kubectlOk(kubeconfig, ['get', ...target, '-o', 'json', '--show-managed-fields']));
}

function getObject(s: Scenario): Promise<Json> {
  return getJson(s.kubeconfig(), s.target);
}

async function applyFile(s: Scenario, manifest: Json, extra: string[] = []) {
  const file = join(s.dir(), `manifest-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, stringifyYaml(manifest));
  return kubectl(s.kubeconfig(), ['apply', '--server-side', '-f', file, ...extra]);
}

/** The it()s every API runs. */
function serverSideApplyStory(s: Scenario): void {
  it('applying twice: the second changes nothing, one Apply entry for kubectl', async () => {
    const first = await applyFile(s, s.manifest);
    assert.equal(first.code, 0, first.stderr);
    const before = await getObject(s);
    const second = await applyFile(s, s.manifest);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /serverside-applied/);
    const after = await getObject(s);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    const appliers = (after.metadata.managedFields as Entry[]).filter((e) => e.operation === 'Apply');
    assert.deepEqual(
      appliers.map((e) => e.manager),
      ['kubectl'],
    );
  });

  it('a second manager’s change makes the re-apply conflict, naming manager and field; --force-conflicts takes it', async () => {
    await kubectlOk(s.kubeconfig(), ['patch', ...s.target, '--type', 'merge', '-p', JSON.stringify(s.change.patch)]);
    const changed = s.change.read(await getObject(s));
    const conflict = await applyFile(s, s.manifest);
    assert.notEqual(conflict.code, 0);
    const apiVersion = s.manifest.apiVersion;
    assert.match(
      conflict.stderr,
      new RegExp(
        `Apply failed with 1 conflict: conflict with "kubectl-patch" using ${apiVersion.replace(/[./]/g, '\\$&')}: ${s.change.path.replace(/[.[\]]/g, '\\$&')}`,
      ),
    );
    assert.match(conflict.stderr, /--force-conflicts/);
    assert.deepEqual(s.change.read(await getObject(s)), changed, 'the conflict changed nothing');

    const forced = await applyFile(s, s.manifest, ['--force-conflicts']);
    assert.equal(forced.code, 0, forced.stderr);
    const live = await getObject(s);
    assert.notDeepEqual(s.change.read(live), changed);
    const patcher = (live.metadata.managedFields as Entry[]).find((e) => e.manager === 'kubectl-patch');
    assert.equal(patcher, undefined, 'kubectl-patch owned only that field, and lost it');
  });

  it('a field dropped from the manifest is removed', async () => {
    const manifest = structuredClone(s.manifest);
    s.drop.edit(manifest);
    const result = await applyFile(s, manifest);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(s.drop.gone(await getObject(s)));
  });

  it('kubectl get --show-managed-fields shows the entries; without the flag kubectl hides them', async () => {
    const shown = await kubectlOk(s.kubeconfig(), ['get', ...s.target, '-o', 'yaml', '--show-managed-fields']);
    const obj = parseYaml(shown);
    const entry = (obj.metadata.managedFields as Entry[]).find((e) => e.manager === 'kubectl')!;
    assert.equal(entry.operation, 'Apply');
    assert.equal(entry.apiVersion, s.manifest.apiVersion);
    assert.match(shown, /fieldsType: FieldsV1/);
    const hidden = await kubectlOk(s.kubeconfig(), ['get', ...s.target, '-o', 'yaml']);
    assert.doesNotMatch(hidden, /managedFields/);
  });

  it('client-side kubectl apply still works on the object', async () => {
    const file = join(s.dir(), 'client-side.yaml');
    await writeFile(file, stringifyYaml(s.manifest));
    const result = await kubectl(s.kubeconfig(), ['apply', '-f', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /configured|unchanged/);
  });
}

function configMapScenario(kubeconfig: () => string, dir: () => string): Scenario {
  return {
    kubeconfig,
    dir,
    target: ['configmap/app-config', '-n', 'default'],
    manifest: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: 'default', labels: { app: 'web' } },
      data: { mode: 'production', level: 'info' },
    },
    change: { patch: { data: { level: 'debug' } }, path: '.data.level', read: (obj) => obj.data.level },
    drop: { edit: (m) => delete m.data.mode, gone: (obj) => obj.data.mode === undefined },
  };
}

describe('server-side apply on the garden', () => {
  let g: TestGarden;
  let dir: string;
  const shoot = parseYaml(
    `${[
      'apiVersion: core.gardener.cloud/v1beta1',
      'kind: Shoot',
      'metadata: {name: flux-shoot, namespace: garden-dev, annotations: {example.com/owner: flux}}',
      'spec:',
      '  cloudProfileName: local',
      '  secretBindingName: local',
      '  region: local',
      '  seedName: seed-a',
      '  purpose: development',
      '  provider: {type: local, workers: [{name: local, machine: {type: local, image: {name: local, version: 1.0.0}}, minimum: 1, maximum: 1}]}',
      '  kubernetes: {version: 1.31.1}',
      '  networking: {type: calico, nodes: 10.20.0.0/16, pods: 10.21.0.0/16, services: 10.22.0.0/16}',
    ].join('\n')}\n`,
  );

  before(async () => {
    g = await startTestGarden();
    dir = await mkdtemp(join(tmpdir(), 'transplant-ssa-'));
  });

  after(async () => {
    await g?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('the examples apply server-side, and again without a change', async () => {
    const first = await kubectl(g.kubeconfig, ['apply', '--server-side', '-f', examplesDir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /shoot.core.gardener.cloud\/my-shoot serverside-applied/);
    const target = ['shoot/my-shoot', '-n', 'garden-dev'];
    const before = await getJson(g.kubeconfig, target);
    const again = await kubectl(g.kubeconfig, ['apply', '--server-side', '-f', examplesDir]);
    assert.equal(again.code, 0, again.stderr);
    const after = await getJson(g.kubeconfig, target);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  serverSideApplyStory({
    kubeconfig: () => g.kubeconfig,
    dir: () => dir,
    target: ['shoot/flux-shoot', '-n', 'garden-dev'],
    manifest: shoot,
    change: { patch: { spec: { purpose: 'evaluation' } }, path: '.spec.purpose', read: (obj) => obj.spec.purpose },
    drop: {
      edit: (m) => delete m.metadata.annotations,
      gone: (obj) => obj.metadata.annotations?.['example.com/owner'] === undefined,
    },
  });

  it('bad requests get a Status naming what is wrong, and change nothing', async () => {
    const path = '/apis/core.gardener.cloud/v1beta1/namespaces/garden-dev/shoots/flux-shoot';
    const before = (await rawRequest(g.kubeconfig, 'GET', path)).json;
    const applyYaml = { 'Content-Type': 'application/apply-patch+yaml' };
    const cases: [string, string | Json, number, string, RegExp][] = [
      ['', shoot, 422, 'Invalid', /fieldManager: Required value: is required for apply patch/],
      ['?fieldManager=x', 'spec: [unclosed', 400, 'BadRequest', /^error decoding YAML: /],
      [
        '?fieldManager=x',
        { ...shoot, kind: 'Seed' },
        400,
        'BadRequest',
        /invalid object type: core.gardener.cloud\/v1beta1, Kind=Seed/,
      ],
      [
        '?fieldManager=x',
        { ...shoot, metadata: { ...shoot.metadata, name: 'other' } },
        400,
        'BadRequest',
        /does not match the name on the URL/,
      ],
      [
        '?fieldManager=x',
        { ...shoot, spec: { ...shoot.spec, purpose: 'production' } },
        409,
        'Conflict',
        /conflict with "kubectl": \.spec\.purpose/,
      ],
    ];
    for (const [query, body, code, reason, message] of cases) {
      const res = await rawRequest(
        g.kubeconfig,
        'PATCH',
        `${path}${query}`,
        typeof body === 'string' ? body : JSON.stringify(body),
        applyYaml,
      );
      assert.equal(res.status, code, res.text);
      assert.equal(res.json.reason, reason, res.text);
      assert.match(res.json.message, message);
    }
    const conflict = await rawRequest(
      g.kubeconfig,
      'PATCH',
      `${path}?fieldManager=x`,
      JSON.stringify({ ...shoot, spec: { ...shoot.spec, purpose: 'production' } }),
      applyYaml,
    );
    assert.deepEqual(conflict.json.details.causes, [
      { type: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.purpose' },
    ]);
    const forcedOnMerge = await rawRequest(g.kubeconfig, 'PATCH', `${path}?force=true`, '{}', {
      'Content-Type': 'application/merge-patch+json',
    });
    assert.equal(forcedOnMerge.status, 422);
    assert.match(forcedOnMerge.json.message, /force: Forbidden: may not be specified for non-apply patch/);
    assert.equal(
      (await rawRequest(g.kubeconfig, 'GET', path)).json.metadata.resourceVersion,
      before.metadata.resourceVersion,
    );
  });
});

describe('server-side apply on a seed’s API', () => {
  let seed: HostedApiServer;
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-ssa-seed-'));
    seed = await startHostedApiServer({
      name: 'seed-ssa',
      fieldManager: 'gardenlet',
      dir,
      logger: pino({ level: 'silent' }),
      resources: [...coreDefinitions, ...extensionDefinitions, ...druidDefinitions],
      bootstrap: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } }],
    });
    kubeconfig = await seed.ensureKubeconfig(join(dir, 'admin.kubeconfig'), {
      name: 'seed-admin',
      groups: ['system:masters'],
    });
  });

  after(async () => {
    await seed?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  serverSideApplyStory(
    configMapScenario(
      () => kubeconfig,
      () => dir,
    ),
  );
});

describe('server-side apply on a shoot’s kube-apiserver', () => {
  let api: TestShootApi;
  let admin: string;

  before(async () => {
    api = await startTestShootApi();
    admin = await api.kubeconfig('admin', ['system:masters']);
  });

  after(async () => {
    await api?.cleanup();
  });

  serverSideApplyStory(
    configMapScenario(
      () => admin,
      () => api.dir,
    ),
  );

  it('an apply that would create needs create as well as patch', async () => {
    const rbac = [
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: Role',
      'metadata: {name: patch-only, namespace: default}',
      'rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, patch]}]',
      '---',
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: RoleBinding',
      'metadata: {name: patch-only, namespace: default}',
      'roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: patch-only}',
      'subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: patcher}]',
    ].join('\n');
    await kubectlOk(admin, ['apply', '--server-side', '-f', '-'], rbac);
    const patcher = await api.kubeconfig('patcher', []);
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'new', namespace: 'default' },
    });
    const applyAsPatcher = ['apply', '--server-side', '--field-manager', 'patcher', '-f', '-'];
    let result = await kubectl(patcher, applyAsPatcher, manifest);
    for (let i = 0; i < 50 && !/cannot create resource "configmaps"/.test(result.stderr); i++) {
      // RBAC reaches the authorizer through an informer: wait for the role to be seen.
      await new Promise((r) => setTimeout(r, 100));
      result = await kubectl(patcher, applyAsPatcher, manifest);
    }
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /User "patcher" cannot create resource "configmaps"/);
    const existing = await kubectl(patcher, applyAsPatcher, manifest.replace('"new"', '"app-config"'));
    assert.equal(existing.code, 0, existing.stderr);
  });
});
