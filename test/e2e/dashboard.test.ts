/**
 * The garden's dashboard (/dashboard/) in a real headless browser on a loopback landscape (seed-a,
 * seed-b, the example shoot on seed-a), as its users see it:
 *
 * - The page shell loads without credentials, with its security headers, and shows nothing but a
 *   login; the garden's data stays behind its authentication (401 without a token). A wrong token
 *   is told so at the login.
 * - The operator logs in with the token of DIR/garden.kubeconfig and sees both seeds Ready with
 *   their load, and the shoot on seed-a with its last operation, conditions and backup age.
 * - From the shoot's detail the operator runs the preflight (every check Passed, the preflight
 *   deleted afterwards), migrates to seed-b, and the page follows the move live — the running
 *   steps and the progress bar as the watch delivers them — to "Restore Succeeded on seed-b",
 *   which the garden confirms.
 * - The project member (DIR/project-member.kubeconfig) sees the shoot but is not offered the move;
 *   a binding forced from the page (the hidden button shown and clicked) gets the garden's 403,
 *   which the page shows, and the shoot stays where it is.
 *
 * Screenshots of every stage go to $TRANSPLANT_SCREENSHOTS, else to a temp directory kept only
 * when the test fails; the test prints where.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'puppeteer-core';
import { DASHBOARD_HEADERS } from '../../src/garden/dashboard/dashboard-site.js';
import { type Json, rawRequest, readKubeconfig } from '../helpers/api-client.js';
import { isShown, launchChromium, Screenshots, textOf, waitForText } from '../helpers/browser.js';
import { SHOOT, SHOOT_NAMESPACE, startShootOnLandscape } from '../helpers/migration.js';
import { eventually } from '../helpers/processes.js';

const SHOOT_ROW = `#shoot-rows tr[data-key="${SHOOT_NAMESPACE}/${SHOOT}"]`;

async function logIn(page: Page, token: string): Promise<void> {
  await page.$eval('#login-token', (e) => {
    (e as HTMLInputElement).value = '';
  });
  await page.type('#login-token', token);
  await page.click('#login-submit');
}

async function openShoot(page: Page): Promise<void> {
  await page.waitForSelector(`${SHOOT_ROW} button`);
  await page.click(`${SHOOT_ROW} button`);
  await waitForText(page, '#detail-title', new RegExp(`^${SHOOT_NAMESPACE}/${SHOOT}$`));
}

test('the dashboard: login, seeds and shoots, a migration followed live, a member refused', async () => {
  const landscape = await startShootOnLandscape();
  const fromEnv = process.env.TRANSPLANT_SCREENSHOTS;
  const shots = new Screenshots(fromEnv || (await mkdtemp(join(tmpdir(), 'transplant-dashboard-'))));
  process.stderr.write(`dashboard screenshots: ${shots.dir}\n`);
  let browser: Browser | undefined;
  let page: Page | undefined;
  let passed = false;
  try {
    const l = landscape.landscape;
    const operator = await readKubeconfig(l.garden);
    const member = await readKubeconfig(join(l.dir, 'project-member.kubeconfig'));
    assert.ok(operator.token && member.token, 'both kubeconfigs carry a bearer token');
    const shoot = (): Promise<Json> => l.shoot(SHOOT_NAMESPACE, SHOOT);

    browser = await launchChromium();
    page = await browser.newPage();
    const p = page;

    // The shell, to anyone: a login and nothing else; the data needs a token.
    const loaded = await p.goto(`${operator.server}/dashboard/`);
    assert.equal(loaded?.status(), 200);
    for (const [header, value] of Object.entries(DASHBOARD_HEADERS)) {
      assert.equal(loaded?.headers()[header.toLowerCase()], value, header);
    }
    assert.match(loaded?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    await page.waitForSelector('#login-token', { visible: true });
    assert.equal(await isShown(p, '#app'), false);
    const anonymous = await p.evaluate(() =>
      fetch('/apis/core.gardener.cloud/v1beta1/shoots', { cache: 'no-store' }).then((r) => r.status),
    );
    assert.equal(anonymous, 401, 'no data without a token');
    await shots.take(p, 'login');

    await logIn(p, 'not-a-token');
    await waitForText(p, '#login-error', /did not accept this token \(401 Unauthorized\)/);
    assert.equal(await isShown(p, '#app'), false);
    await shots.take(p, 'login-wrong-token');

    // The operator: seeds and the shoot.
    await logIn(p, operator.token!);
    await waitForText(p, '#connection', /^Live$/);
    for (const seed of ['seed-a', 'seed-b']) {
      await waitForText(p, `#seed-rows tr[data-key="${seed}"] td:nth-child(2)`, /^Ready$/);
    }
    await waitForText(p, '#seed-rows tr[data-key="seed-a"] td:nth-child(4)', /^1$/);
    await waitForText(p, `${SHOOT_ROW} td:nth-child(2)`, /^seed-a$/);
    await waitForText(p, `${SHOOT_ROW} td:nth-child(3)`, /^(Create|Reconcile) Succeeded \(100%\)$/);
    await waitForText(p, `${SHOOT_ROW} td:nth-child(4)`, /APIServerAvailable/);
    await shots.take(p, 'operator-overview');

    // The preflight, from the shoot's detail.
    await openShoot(p);
    await page.waitForSelector('#migrate', { visible: true });
    assert.equal(await isShown(p, '#migrate-refused'), false);
    await page.select('#migrate-target', 'seed-b');
    await page.click('#preflight-run');
    await waitForText(p, '#preflight-phase', /^Preflight Succeeded: every check passed$/, 60_000);
    const checks = await p.$$eval('#preflight-checks tr', (rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((c) => c.textContent ?? '')),
    );
    assert.ok(checks.length >= 9, `every check is shown: ${JSON.stringify(checks)}`);
    for (const [name, status, origin] of checks) assert.equal(status, 'Passed', `${name} (${origin})`);
    assert.ok(
      checks.some(([, , origin]) => origin?.startsWith('seed/')),
      'the seeds answered their checks',
    );
    await shots.take(p, 'preflight-succeeded');
    await eventually(
      async () => {
        const left = await rawRequest(
          l.garden,
          'GET',
          `/apis/migration.transplant.gardener.cloud/v1alpha1/namespaces/${SHOOT_NAMESPACE}/migrationpreflights`,
        );
        return left.json?.items?.length === 0 ? true : undefined;
      },
      10_000,
      'the page deleted its preflight',
    );

    // The move, followed live until the page and the garden say it is on seed-b.
    assert.equal(await p.$eval('#migrate-bind', (b) => (b as HTMLButtonElement).disabled), false);
    await page.click('#migrate-bind');
    // Read as often as a user glancing at it would notice: a step lasts a second or more.
    const seenSteps = new Set<string>();
    const seenPercents = new Set<number>();
    const deadline = Date.now() + 240_000;
    let result = '';
    let photographed = false;
    while (result !== 'Restore Succeeded on seed-b') {
      assert.ok(
        Date.now() < deadline,
        `the page says "Restore Succeeded on seed-b" (it says ${JSON.stringify(result)})`,
      );
      const steps = await p.$$eval('#detail-steps li', (items) => items.map((i) => i.textContent ?? ''));
      const percent = await p.$eval('#detail-progress', (e) => (e as HTMLProgressElement).value);
      const running = steps.filter((s) => s !== '—');
      if (running.length > 0 && percent > 0 && percent < 100 && !photographed) {
        photographed = true;
        await shots.take(p, 'migration-running');
      }
      for (const step of running) seenSteps.add(step);
      seenPercents.add(percent);
      result = await textOf(p, '#migrate-result');
      await new Promise((r) => setTimeout(r, 200));
    }
    await shots.take(p, 'migration-done');
    assert.equal(await textOf(p, '#detail-seed'), 'seed-b');
    assert.ok(
      seenSteps.size > 0,
      `the running steps were shown as the watch delivered them: ${[...seenSteps].join(' | ')}`,
    );
    assert.ok(
      [...seenPercents].some((x) => x > 0 && x < 100),
      `the bar moved: ${[...seenPercents].join(', ')}`,
    );
    const moved = await shoot();
    assert.equal(moved.spec.seedName, 'seed-b');
    assert.equal(moved.status.seedName, 'seed-b');

    // The project member: the shoot, but no move; a forced binding is the garden's 403.
    await page.click('#logout');
    await page.waitForSelector('#login-token', { visible: true });
    await logIn(p, member.token!);
    await waitForText(p, '#shoots-note', /garden-dev/);
    await waitForText(p, `${SHOOT_ROW} td:nth-child(2)`, /^seed-b$/);
    await openShoot(p);
    await page.waitForSelector('#migrate-refused', { visible: true });
    assert.equal(await isShown(p, '#migrate'), false, 'the move is not offered to a project member');
    await shots.take(p, 'member-not-offered');
    await page.waitForSelector('#migrate-target option[value="seed-a"]');
    await p.$eval('#migrate', (e) => {
      (e as HTMLElement).hidden = false;
    });
    await page.select('#migrate-target', 'seed-a');
    await p.$eval('#migrate-bind', (b) => {
      (b as HTMLButtonElement).disabled = false;
      (b as HTMLButtonElement).click();
    });
    const refused = await waitForText(p, '#migrate-result', /^The garden refused the binding: 403 Forbidden: /);
    assert.match(refused, /dev-member/);
    assert.match(refused, /shoots\/binding/);
    await shots.take(p, 'member-binding-forbidden');
    assert.equal((await shoot()).spec.seedName, 'seed-b', 'the refused binding changed nothing');
    // The seeds tell the garden each shoot's newest snapshot (backup-age-reporter.ts): the backup
    // column shows its age, to the member too.
    await waitForText(p, `${SHOOT_ROW} td:nth-child(5)`, /^\d+ (s|min) ago$/, 60_000);
    passed = true;
  } catch (err) {
    if (page) await shots.take(page, 'failure').catch(() => undefined);
    throw err;
  } finally {
    await browser?.close().catch(() => undefined);
    await landscape.stop();
    if (passed && !fromEnv) await rm(shots.dir, { recursive: true, force: true });
  }
});
