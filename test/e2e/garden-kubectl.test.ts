/**
 * The everyday kubectl workflows against a real garden: apply of examples/, the table columns of
 * shoots and seeds, -o yaml, watch, patch (spec and status), delete, auth can-i, selectors and
 * paging.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { localSecretBinding } from '../../src/garden/local-setup.js';
import {
  createObject,
  getRaw,
  type Json,
  kubectlOk,
  parseTable,
  patchStatus,
  shootManifest,
  shootPath,
  shootsPath,
  timestamp,
} from '../helpers/garden-e2e.js';
import { healthySeedConditions, startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';
import { kubectl, kubectlStream } from '../helpers/kubectl.js';

/** The repository's examples/ (this file runs as dist/test/e2e/*.js). */
const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const NS = 'garden-dev';

describe('garden e2e: kubectl workflows', () => {
  let g: TestGarden;
  let firstApply: string;

  const names = (output: string) =>
    output
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.replace(/^shoot\.core\.gardener\.cloud\//, ''))
      .sort();

  before(async () => {
    g = await startTestGarden();
    firstApply = await kubectlOk(g.kubeconfig, ['apply', '-f', examplesDir]);
  });

  after(async () => {
    await g?.cleanup();
  });

  it('kubectl apply -f examples/ creates every object, and applying again changes nothing', async () => {
    // What examples/ holds, as kubectl names it: `namespace/garden-dev`, `seed.core.gardener.cloud/seed-a`.
    const expected: string[] = [];
    for (const file of (await readdir(examplesDir)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      for (const doc of parseAllDocuments(await readFile(join(examplesDir, file), 'utf8'))) {
        const obj = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string } } | null;
        if (!obj) continue;
        const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
        expected.push(`${obj.kind.toLowerCase()}${group ? `.${group}` : ''}/${obj.metadata.name}`);
      }
    }
    assert.ok(expected.includes('shoot.core.gardener.cloud/my-shoot'), expected.join(' '));
    assert.ok(
      expected.includes('seed.core.gardener.cloud/seed-a') && expected.includes('seed.core.gardener.cloud/seed-b'),
    );
    const reported = firstApply.trim().split('\n');
    assert.deepEqual(reported.map((l) => l.split(' ')[0]).sort(), [...expected].sort(), firstApply);
    for (const line of reported) {
      // What the garden bootstraps (project dev and its namespace, for the project member) and the
      // test garden registers (the local setup's Secret and SecretBinding in garden-dev) is "configured".
      if (
        line.startsWith('namespace/') ||
        line === 'project.core.gardener.cloud/dev configured' ||
        line === 'secret/local configured' ||
        line === 'secretbinding.core.gardener.cloud/local configured'
      ) {
        assert.match(line, / (created|configured)$/);
      } else assert.match(line, / created$/);
    }

    const before = await getRaw(g.kubeconfig, shootPath(NS, 'my-shoot'));
    const again = await kubectl(g.kubeconfig, ['apply', '-f', examplesDir]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '');
    const againLines = again.stdout.trim().split('\n');
    assert.deepEqual(againLines.map((l) => l.split(' ')[0]).sort(), [...expected].sort());
    for (const line of againLines) assert.match(line, / unchanged$/);
    const after = await getRaw(g.kubeconfig, shootPath(NS, 'my-shoot'));
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
    assert.equal(after.metadata.generation, 1);
  });

  it('kubectl get shoots -A shows the seed and the last operation', async () => {
    await patchStatus(
      g.kubeconfig,
      'shoot',
      'my-shoot',
      {
        seedName: 'seed-a',
        lastOperation: {
          type: 'Reconcile',
          state: 'Succeeded',
          progress: 100,
          description: 'done',
          lastUpdateTime: timestamp(),
        },
      },
      NS,
    );
    const out = await kubectlOk(g.kubeconfig, ['get', 'shoots', '-A']);
    const header = out.split('\n')[0]!;
    for (const column of [
      'NAMESPACE',
      'NAME',
      'CLOUDPROFILE',
      'PROVIDER',
      'REGION',
      'SEED',
      'K8S VERSION',
      'HIBERNATION',
      'LAST OPERATION',
      'STATUS',
      'AGE',
    ]) {
      assert.ok(header.includes(column), `column ${column} in ${header}`);
    }
    const row = parseTable(out).find((r) => r.NAME === 'my-shoot');
    assert.ok(row, out);
    assert.equal(row.NAMESPACE, NS);
    assert.equal(row.CLOUDPROFILE, 'local');
    assert.equal(row.PROVIDER, 'local');
    assert.equal(row.REGION, 'local');
    assert.equal(row.SEED, 'seed-a');
    assert.equal(row['K8S VERSION'], '1.31.1');
    assert.equal(row.HIBERNATION, 'Awake');
    assert.equal(row['LAST OPERATION'], 'Reconcile Succeeded (100%)');

    const wide = parseTable(await kubectlOk(g.kubeconfig, ['get', 'shoots', '-n', NS, '-o', 'wide']));
    const wideRow = wide.find((r) => r.NAME === 'my-shoot');
    assert.equal(wideRow?.['STATUS SEED'], 'seed-a');
    assert.equal(wideRow?.PURPOSE, 'development');
  });

  it('kubectl get seeds shows STATUS Ready, NotReady and Unknown from the conditions', async () => {
    const status = async () =>
      Object.fromEntries(parseTable(await kubectlOk(g.kubeconfig, ['get', 'seeds'])).map((r) => [r.NAME, r.STATUS]));
    assert.deepEqual(await status(), { 'seed-a': 'NotReady', 'seed-b': 'NotReady' }, 'no gardenlet has reported yet');

    await patchStatus(g.kubeconfig, 'seed', 'seed-a', { conditions: healthySeedConditions() });
    assert.deepEqual(await status(), { 'seed-a': 'Ready', 'seed-b': 'NotReady' });

    const extensionsFalse = healthySeedConditions().map((c: Json) =>
      c.type === 'ExtensionsReady' ? { ...c, status: 'False' } : c,
    );
    await patchStatus(g.kubeconfig, 'seed', 'seed-b', { conditions: extensionsFalse });
    assert.deepEqual(await status(), { 'seed-a': 'Ready', 'seed-b': 'NotReady' });

    const gardenletUnknown = healthySeedConditions().map((c: Json) =>
      c.type === 'GardenletReady' ? { ...c, status: 'Unknown' } : c,
    );
    await patchStatus(g.kubeconfig, 'seed', 'seed-b', { conditions: gardenletUnknown });
    assert.deepEqual(await status(), { 'seed-a': 'Ready', 'seed-b': 'Unknown' });

    await patchStatus(g.kubeconfig, 'seed', 'seed-b', { conditions: healthySeedConditions() });
    const rows = parseTable(await kubectlOk(g.kubeconfig, ['get', 'seeds']));
    assert.deepEqual(
      rows.map((r) => [r.NAME, r.STATUS, r.PROVIDER, r.REGION]),
      [
        ['seed-a', 'Ready', 'local', 'local'],
        ['seed-b', 'Ready', 'local', 'local'],
      ],
    );
  });

  it('kubectl get shoot -o yaml returns every field of the manifest, also Gardener fields the server does not model', async () => {
    const manifest = parseYaml(await readFile(join(examplesDir, '30-shoot.yaml'), 'utf8'));
    const stored = parseYaml(await kubectlOk(g.kubeconfig, ['get', 'shoot', 'my-shoot', '-n', NS, '-o', 'yaml']));
    assert.deepEqual(stored.spec, manifest.spec);
    assert.equal(stored.metadata.annotations['shoot.gardener.cloud/infrastructure-cleanup-wait-period-seconds'], '0');

    const future = shootManifest(NS, 'future', {
      spec: {
        addons: { nginxIngress: { enabled: false } },
        monitoring: { alerting: { emailReceivers: ['ops@example.com'] } },
        kubernetes: {
          version: '1.31.1',
          kubeAPIServer: { auditConfig: { auditPolicy: { configMapRef: { name: 'audit-policy' } } } },
        },
      },
    });
    future.spec.provider.controlPlaneConfig = {
      apiVersion: 'local.provider.extensions.gardener.cloud/v1alpha1',
      kind: 'ControlPlaneConfig',
      zone: '0',
    };
    const applied = await kubectlOk(g.kubeconfig, ['apply', '-f', '-'], JSON.stringify(future));
    assert.equal(applied.trim(), 'shoot.core.gardener.cloud/future created');
    const yaml = await kubectlOk(g.kubeconfig, ['get', 'shoot', 'future', '-n', NS, '-o', 'yaml']);
    assert.match(yaml, /emailReceivers:\n\s+- ops@example.com/);
    const back = parseYaml(yaml);
    assert.deepEqual(back.spec, future.spec);
  });

  it('kubectl get shoots -w streams a change made after it started', async () => {
    const watch = kubectlStream(g.kubeconfig, ['get', 'shoots', '-n', NS, '-w']);
    try {
      await watch.waitFor(/my-shoot/);
      assert.doesNotMatch(watch.output(), /Reconcile Processing \(42%\)/);
      await patchStatus(
        g.kubeconfig,
        'shoot',
        'my-shoot',
        {
          lastOperation: {
            type: 'Reconcile',
            state: 'Processing',
            progress: 42,
            description: 'Waiting',
            lastUpdateTime: timestamp(),
          },
        },
        NS,
      );
      await watch.waitFor(/my-shoot .*Reconcile Processing \(42%\)/);
      await createObject(g.kubeconfig, shootManifest(NS, 'watched-new', { seedName: 'seed-b' }));
      await watch.waitFor(/watched-new .*seed-b/);
    } finally {
      watch.stop();
    }
    const lines = watch
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
    assert.equal(lines.filter((l) => /^NAME\s/.test(l)).length, 1, 'one header');
  });

  it('kubectl patch --type merge changes the spec and bumps the generation; the same patch again changes nothing', async () => {
    await createObject(g.kubeconfig, shootManifest(NS, 'patch-me', { seedName: 'seed-a' }));
    const before = await getRaw(g.kubeconfig, shootPath(NS, 'patch-me'));
    const args = [
      'patch',
      'shoot',
      'patch-me',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"spec":{"purpose":"evaluation","hibernation":{"enabled":true}}}',
    ];
    assert.equal((await kubectlOk(g.kubeconfig, args)).trim(), 'shoot.core.gardener.cloud/patch-me patched');
    const after = await getRaw(g.kubeconfig, shootPath(NS, 'patch-me'));
    assert.equal(after.spec.purpose, 'evaluation');
    assert.deepEqual(after.spec.hibernation, { enabled: true });
    assert.equal(after.metadata.generation, before.metadata.generation + 1);
    assert.deepEqual(after.spec.provider, before.spec.provider);

    assert.equal(
      (await kubectlOk(g.kubeconfig, args)).trim(),
      'shoot.core.gardener.cloud/patch-me patched (no change)',
    );
    const again = await getRaw(g.kubeconfig, shootPath(NS, 'patch-me'));
    assert.equal(again.metadata.resourceVersion, after.metadata.resourceVersion);
    assert.equal(again.metadata.generation, after.metadata.generation);
    const hibernation = parseTable(await kubectlOk(g.kubeconfig, ['get', 'shoot', 'patch-me', '-n', NS]))[0];
    assert.equal(hibernation?.HIBERNATION, 'Hibernating', 'hibernation wanted, not yet reported done');
  });

  it('kubectl patch --subresource status --type merge changes only the status', async () => {
    await createObject(g.kubeconfig, shootManifest(NS, 'status-me', { seedName: 'seed-a' }));
    const before = await getRaw(g.kubeconfig, shootPath(NS, 'status-me'));
    assert.equal(before.status, undefined);
    const status = {
      seedName: 'seed-a',
      lastOperation: {
        type: 'Create',
        state: 'Succeeded',
        progress: 100,
        description: 'created',
        lastUpdateTime: timestamp(),
      },
      lastErrors: [],
    };
    const out = await kubectlOk(g.kubeconfig, [
      'patch',
      'shoot',
      'status-me',
      '-n',
      NS,
      '--subresource',
      'status',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { purpose: 'production' }, metadata: { labels: { sneaky: 'yes' } }, status }),
    ]);
    assert.equal(out.trim(), 'shoot.core.gardener.cloud/status-me patched');
    const after = await getRaw(g.kubeconfig, shootPath(NS, 'status-me'));
    assert.deepEqual(after.status, status);
    assert.deepEqual(after.spec, before.spec, 'the status subresource ignores spec changes');
    assert.equal(after.metadata.labels, undefined, 'and metadata changes');
    assert.equal(after.metadata.generation, before.metadata.generation);
    const row = parseTable(await kubectlOk(g.kubeconfig, ['get', 'shoot', 'status-me', '-n', NS]))[0];
    assert.equal(row?.['LAST OPERATION'], 'Create Succeeded (100%)');
  });

  it('kubectl delete removes a shoot; with a finalizer it waits for the finalizer', async () => {
    await createObject(g.kubeconfig, shootManifest(NS, 'delete-me'));
    assert.equal(
      (await kubectlOk(g.kubeconfig, ['delete', 'shoot', 'delete-me', '-n', NS])).trim(),
      'shoot.core.gardener.cloud "delete-me" deleted',
    );
    const gone = await kubectl(g.kubeconfig, ['get', 'shoot', 'delete-me', '-n', NS]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /Error from server \(NotFound\): shoots.core.gardener.cloud "delete-me" not found/);

    const finalized = shootManifest(NS, 'finalized');
    finalized.metadata.finalizers = ['gardener'];
    await createObject(g.kubeconfig, finalized);
    await kubectlOk(g.kubeconfig, ['delete', 'shoot', 'finalized', '-n', NS, '--wait=false']);
    const marked = await getRaw(g.kubeconfig, shootPath(NS, 'finalized'));
    assert.ok(marked.metadata.deletionTimestamp);
    await kubectlOk(g.kubeconfig, [
      'patch',
      'shoot',
      'finalized',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    const after = await kubectl(g.kubeconfig, [
      'get',
      'shoot',
      'finalized',
      '-n',
      NS,
      '--ignore-not-found',
      '-o',
      'name',
    ]);
    assert.equal(after.code, 0, after.stderr);
    assert.equal(after.stdout, '');
  });

  it('kubectl auth can-i: only the operator may update shoots/binding', async () => {
    const canI = async (kubeconfig: string, ...args: string[]) => {
      const result = await kubectl(kubeconfig, ['auth', 'can-i', ...args]);
      // can-i exits 0 for yes and 1 for no; anything else is an error.
      assert.ok(result.code === 0 || result.code === 1, result.stderr);
      return result.stdout.trim();
    };
    assert.equal(await canI(g.kubeconfig, 'update', 'shoots', '--subresource', 'binding', '-n', NS), 'yes');
    assert.equal(await canI(g.memberKubeconfig, 'update', 'shoots', '--subresource', 'binding', '-n', NS), 'no');
    assert.equal(await canI(g.memberKubeconfig, 'update', 'shoots', '-n', NS), 'yes');
    assert.equal(await canI(g.memberKubeconfig, 'patch', 'shoots', '--subresource', 'binding', '-n', NS), 'no');
    assert.equal(await canI(g.memberKubeconfig, 'update', 'shoots', '--subresource', 'binding', '-n', 'garden'), 'no');
    assert.equal(
      await canI(g.memberKubeconfig, 'update', 'shoots', '-n', 'garden'),
      'no',
      'a member only of garden-dev',
    );

    // In kubectl's syntax `shoots/binding` is the shoot NAMED "binding", not the subresource
    // (kubectl sends resource=shoots, name=binding). The operator may update every shoot; the
    // member may update shoots in garden-dev, so for the member this form says "yes" while the
    // --subresource form above says "no".
    assert.equal(await canI(g.kubeconfig, 'update', 'shoots/binding', '-n', NS), 'yes');
    assert.equal(await canI(g.memberKubeconfig, 'update', 'shoots/binding', '-n', NS), 'yes');
    assert.equal(await canI(g.memberKubeconfig, 'update', 'shoots/binding', '-n', 'garden'), 'no');
    const verbose = await kubectl(g.memberKubeconfig, ['auth', 'can-i', 'update', 'shoots/binding', '-n', NS, '-v=8']);
    assert.match(verbose.stderr, /"resourceAttributes":\{[^}]*"resource":"shoots","name":"binding"\}/);
  });

  it('kubectl create -f of a kind: List works with validation on (kubectl finds /openapi/v2)', async () => {
    const secret = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: NS },
      stringData: { key: name },
    });
    const list = { apiVersion: 'v1', kind: 'List', items: [secret('listed-1'), secret('listed-2')] };
    const created = await kubectl(g.kubeconfig, ['create', '-f', '-'], JSON.stringify(list));
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(created.stdout.trim().split('\n'), ['secret/listed-1 created', 'secret/listed-2 created']);
    const doc = JSON.parse(await kubectlOk(g.kubeconfig, ['get', '--raw', '/openapi/v2']));
    assert.equal(doc.swagger, '2.0');
  });

  describe('selectors and paging', () => {
    before(async () => {
      await createProject(g.kubeconfig, 'sel');
      const shoots: [string, string, string, string][] = [
        // name, team label, spec.seedName, status.seedName
        ['sel-1', 'a', 'seed-a', 'seed-a'],
        ['sel-2', 'b', 'seed-b', 'seed-b'],
        ['sel-3', 'a', 'seed-b', 'seed-a'],
      ];
      for (const [name, team, spec, status] of shoots) {
        await createObject(g.kubeconfig, shootManifest('garden-sel', name, { seedName: spec, labels: { team } }));
        await patchStatus(g.kubeconfig, 'shoot', name, { seedName: status }, 'garden-sel');
      }
      await createProject(g.kubeconfig, 'page');
      for (let i = 1; i <= 5; i++) await createObject(g.kubeconfig, shootManifest('garden-page', `page-${i}`));
    });

    const select = async (...args: string[]) =>
      names(await kubectlOk(g.kubeconfig, ['get', 'shoots', '-n', 'garden-sel', '-o', 'name', ...args]));

    it('filters by label (-l)', async () => {
      assert.deepEqual(await select('-l', 'team=a'), ['sel-1', 'sel-3']);
      assert.deepEqual(await select('-l', 'team!=a'), ['sel-2']);
      assert.deepEqual(await select('-l', 'team in (b, c)'), ['sel-2']);
      assert.deepEqual(await select('-l', 'team=z'), []);
      const table = await kubectl(g.kubeconfig, ['get', 'shoots', '-n', 'garden-sel', '-l', 'team=z']);
      assert.match(table.stderr, /No resources found in garden-sel namespace/);
    });

    it('filters by spec.seedName and status.seedName (--field-selector)', async () => {
      assert.deepEqual(await select('--field-selector', 'spec.seedName=seed-a'), ['sel-1']);
      assert.deepEqual(await select('--field-selector', 'spec.seedName=seed-b'), ['sel-2', 'sel-3']);
      assert.deepEqual(await select('--field-selector', 'status.seedName=seed-a'), ['sel-1', 'sel-3']);
      assert.deepEqual(await select('--field-selector', 'status.seedName=seed-b'), ['sel-2']);
      assert.deepEqual(await select('--field-selector', 'spec.seedName!=seed-a'), ['sel-2', 'sel-3']);
      assert.deepEqual(await select('--field-selector', 'spec.seedName=seed-b,status.seedName=seed-a'), ['sel-3']);
      assert.deepEqual(await select('-l', 'team=a', '--field-selector', 'spec.seedName=seed-b'), ['sel-3']);
      // Across namespaces, the migration candidates of seed-a: everything whose control plane runs there.
      const all = names(
        await kubectlOk(g.kubeconfig, [
          'get',
          'shoots',
          '-A',
          '-o',
          'name',
          '--field-selector',
          'status.seedName=seed-a',
        ]),
      );
      const everything = await getRaw(g.kubeconfig, shootsPath());
      const expected = everything.items
        .filter((s: Json) => s.status?.seedName === 'seed-a')
        .map((s: Json) => s.metadata.name);
      assert.deepEqual(all, expected.sort());
      assert.ok(all.includes('my-shoot') && all.includes('sel-1') && all.includes('sel-3') && !all.includes('sel-2'));
      const bad = await kubectl(g.kubeconfig, [
        'get',
        'shoots',
        '-n',
        'garden-sel',
        '--field-selector',
        'spec.purpose=x',
      ]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /BadRequest.*field label not supported: spec\.purpose/);
    });

    it('kubectl --chunk-size pages through every shoot', async () => {
      const page = await kubectl(g.kubeconfig, ['get', 'shoots', '-n', 'garden-page', '--chunk-size=2', '-v=6']);
      assert.equal(page.code, 0, page.stderr);
      assert.deepEqual(
        parseTable(page.stdout).map((r) => r.NAME),
        ['page-1', 'page-2', 'page-3', 'page-4', 'page-5'],
      );
      const requests = page.stderr.split('\n').filter((l) => /GET https:\S+\/shoots\?\S*limit=2/.test(l));
      assert.equal(requests.length, 3, page.stderr);
      assert.doesNotMatch(requests[0]!, /continue=/);
      assert.match(requests[1]!, /continue=/);
      assert.match(requests[2]!, /continue=/);

      const everything = await getRaw(g.kubeconfig, shootsPath());
      const allChunked = await kubectl(g.kubeconfig, ['get', 'shoots', '-A', '--chunk-size=2', '-o', 'name']);
      assert.equal(allChunked.code, 0, allChunked.stderr);
      const listed = names(allChunked.stdout);
      assert.deepEqual(listed, everything.items.map((s: Json) => s.metadata.name).sort());
      for (let i = 1; i <= 5; i++) assert.ok(listed.includes(`page-${i}`));
      assert.equal(new Set(listed).size, listed.length, 'no shoot twice');
    });

    it('get --raw ?limit=2 returns metadata.continue, and following it lists every shoot once', async () => {
      const everything = await getRaw(g.kubeconfig, shootsPath());
      const seen: string[] = [];
      let path = `${shootsPath()}?limit=2`;
      let pages = 0;
      for (;;) {
        const list = await getRaw(g.kubeconfig, path);
        pages += 1;
        assert.equal(list.kind, 'ShootList');
        assert.ok(list.items.length <= 2);
        seen.push(...list.items.map((s: Json) => `${s.metadata.namespace}/${s.metadata.name}`));
        if (!list.metadata.continue) break;
        if (pages === 1) {
          assert.equal(list.items.length, 2);
          assert.equal(typeof list.metadata.continue, 'string');
          assert.equal(list.metadata.remainingItemCount, everything.items.length - 2);
        }
        path = `${shootsPath()}?limit=2&continue=${encodeURIComponent(list.metadata.continue)}`;
        assert.ok(pages < 50, 'paging terminates');
      }
      assert.equal(pages, Math.ceil(everything.items.length / 2));
      assert.deepEqual(
        seen,
        everything.items.map((s: Json) => `${s.metadata.namespace}/${s.metadata.name}`),
      );
      assert.ok(everything.items.length >= 10, `enough shoots to page: ${everything.items.length}`);
    });
  });
});

/** A project and its namespace `garden-<name>`: shoots may only live in project namespaces. */
/** A project with the local setup's credentials, which shootManifest's shoots name. */
async function createProject(kubeconfig: string, name: string): Promise<void> {
  await kubectlOk(kubeconfig, ['create', 'namespace', `garden-${name}`]);
  await createObject(kubeconfig, {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Project',
    metadata: { name },
    spec: { namespace: `garden-${name}` },
  });
  const { secret, binding } = localSecretBinding(`garden-${name}`);
  await createObject(kubeconfig, secret);
  await createObject(kubeconfig, binding);
}
