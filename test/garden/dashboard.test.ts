/**
 * The garden's dashboard without a browser (test/e2e/dashboard.test.ts drives one): the garden
 * serves its files under /dashboard/ to anyone, with the security headers and nothing else, while
 * its API still wants a token; the modules it serves load in a browser as they are (they import
 * only each other); and what the page shows of seeds, shoots and a move (dashboard-model.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LATEST_SNAPSHOT_ANNOTATION as API_ANNOTATION } from '../../src/api/core-gardener/backup-entry.js';
import type { ApiObject } from '../../src/garden/dashboard/dashboard-api.js';
import {
  ageText,
  backupEntryOf,
  backupText,
  LATEST_SNAPSHOT_ANNOTATION,
  moveText,
  progressPercent,
  runningSteps,
  type ShootFacts,
  seedReadiness,
  seedText,
  shootFacts,
} from '../../src/garden/dashboard/dashboard-model.js';
import { DASHBOARD_HEADERS } from '../../src/garden/dashboard/dashboard-site.js';
import { rawRequest } from '../helpers/api-client.js';
import { startTestGarden, type TestGarden } from '../helpers/garden-fixture.js';

const MODULES = ['dashboard.js', 'dashboard-api.js', 'dashboard-model.js'];

describe('the dashboard as the garden serves it', () => {
  let g: TestGarden;
  const anonymous = (method: string, path: string) =>
    rawRequest(g.kubeconfig, method, path, undefined, {}, { token: null });
  before(async () => {
    g = await startTestGarden({ controllers: false, localSetup: false });
  });
  after(() => g.cleanup());

  it('serves the page, its style sheet and its modules to anyone, with the security headers', async () => {
    const page = await anonymous('GET', '/dashboard/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    for (const [header, value] of Object.entries(DASHBOARD_HEADERS)) {
      assert.equal(page.headers[header.toLowerCase()], value, header);
    }
    assert.match(page.headers['content-security-policy'] as string, /default-src 'self'/);
    assert.match(page.text, /<script type="module" src="dashboard.js"><\/script>/);
    assert.doesNotMatch(page.text, /<script>|<style>| style=| on[a-z]+=/, 'nothing inline: the policy would refuse it');
    const css = await anonymous('GET', '/dashboard/dashboard.css');
    assert.equal(css.status, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    for (const module of MODULES) {
      const js = await anonymous('GET', `/dashboard/${module}`);
      assert.equal(js.status, 200, module);
      assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(js.headers['x-content-type-options'], 'nosniff');
      // A browser resolves only these: a Node import (or one of src/api) would break the page.
      for (const [, from] of js.text.matchAll(/\bfrom '([^']+)'/g)) {
        assert.ok(MODULES.includes(from!.replace(/^\.\//, '')), `${module} imports ${from}`);
      }
    }
  });

  it('serves nothing else, and no data: the API still wants a token', async () => {
    const bare = await anonymous('GET', '/dashboard');
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.location, '/dashboard/');
    for (const path of ['/dashboard/dashboard-site.js', '/dashboard/dashboard.ts', '/dashboard/x/index.html']) {
      const missing = await anonymous('GET', path);
      assert.equal(missing.status, 404, path);
      assert.equal(missing.json?.kind, 'Status', 'the server’s usual refusal');
      assert.equal(missing.headers['content-security-policy'], DASHBOARD_HEADERS['Content-Security-Policy']);
    }
    const posted = await anonymous('POST', '/dashboard/');
    assert.equal(posted.status, 405);
    assert.equal(posted.headers.allow, 'GET, HEAD');
    assert.equal((await anonymous('GET', '/dashboardx')).status, 401);
    assert.equal((await anonymous('GET', '/apis/core.gardener.cloud/v1beta1/seeds')).status, 401);
    assert.equal((await anonymous('GET', '/dashboard/../apis/core.gardener.cloud/v1beta1/seeds')).status, 401);
  });
});

function shoot(status: Record<string, unknown>, seedName = 'seed-b'): ShootFacts {
  return shootFacts({
    metadata: { name: 'my-shoot', namespace: 'garden-dev', uid: 'u1', resourceVersion: '7' },
    spec: { seedName },
    status,
  });
}

describe('what the dashboard shows', () => {
  it('reads the backup age from the annotation the seeds write', () => {
    assert.equal(LATEST_SNAPSHOT_ANNOTATION, API_ANNOTATION);
    const s = shoot({ seedName: 'seed-b' });
    const entry = (name: string, annotations?: Record<string, string>): ApiObject => ({
      metadata: {
        name,
        namespace: 'garden-dev',
        ownerReferences: [{ uid: 'u1', controller: true }],
        ...(annotations ? { annotations } : {}),
      },
    });
    const own = entry('shoot--dev--my-shoot--u1', { [LATEST_SNAPSHOT_ANNOTATION]: '2026-01-01T00:00:00.000Z' });
    assert.equal(backupEntryOf(s, [entry('source-shoot--dev--my-shoot--u1'), own]), own);
    assert.equal(backupText(own, Date.parse('2026-01-01T00:00:42Z')), '42 s ago');
    assert.equal(backupText(entry('shoot--dev--my-shoot--u1'), 0), 'no snapshot reported yet');
    assert.equal(backupText(undefined, 0), 'no backup entry');
    assert.equal(ageText('2026-01-01T00:00:00Z', Date.parse('2026-01-01T03:00:00Z')), '3 h ago');
    assert.equal(ageText('not a time', 0), '—');
  });

  it('names the running steps, never a flow between steps', () => {
    const step = (description: string, state = 'Processing') => runningSteps({ type: 'Restore', state, description });
    assert.deepEqual(step('Waiting until etcd backups are copied, Deploying kube-apiserver'), [
      'Waiting until etcd backups are copied',
      'Deploying kube-apiserver',
    ]);
    assert.deepEqual(step('Shoot cluster preparation for migration finished'), []);
    assert.deepEqual(step('Starting Shoot cluster restoration'), []);
    assert.deepEqual(step('Shoot cluster restoration: 3 of 20 steps done'), []);
    assert.deepEqual(step('Deploying kube-apiserver', 'Succeeded'), []);
  });

  it('follows a move as transplant migrate does: the Migrate the first half, the Restore the second', () => {
    const migrating = shoot({
      seedName: 'seed-a',
      lastOperation: { type: 'Migrate', state: 'Processing', progress: 40 },
    });
    assert.equal(seedText(migrating), 'seed-a → seed-b');
    assert.equal(progressPercent(migrating), 20);
    assert.match(moveText(migrating, 'seed-b').text, /^Moving to seed-b: Migrate Processing \(20% of the move\)/);
    const restoring = shoot({ lastOperation: { type: 'Restore', state: 'Processing', progress: 50 } });
    assert.equal(seedText(restoring), '— → seed-b');
    assert.equal(progressPercent(restoring), 75);
    const done = shoot({ seedName: 'seed-b', lastOperation: { type: 'Restore', state: 'Succeeded', progress: 100 } });
    assert.deepEqual(moveText(done, 'seed-b'), { text: 'Restore Succeeded on seed-b', ended: true, failed: false });
    assert.equal(moveText(done, 'seed-c').failed, true);
    // A shoot being created has no status.seedName either, and is not moving.
    const creating = shoot({ lastOperation: { type: 'Create', state: 'Processing', progress: 30 } }, 'seed-a');
    assert.equal(seedText(creating), 'seed-a');
    assert.equal(progressPercent(creating), 30);
  });

  it('calls a seed Ready when its gardenlet reports and every condition is True', () => {
    const seed = (conditions: object[]): ApiObject => ({ metadata: { name: 'seed-a' }, status: { conditions } });
    assert.equal(seedReadiness(seed([])).ready, false);
    assert.equal(seedReadiness(seed([{ type: 'GardenletReady', status: 'True' }])).ready, true);
    const unhealthy = seedReadiness(
      seed([
        { type: 'GardenletReady', status: 'True' },
        { type: 'BackupBucketsReady', status: 'False', message: 'bucket gone' },
      ]),
    );
    assert.deepEqual(unhealthy, { ready: false, why: 'BackupBucketsReady False: bucket gone' });
  });
});
