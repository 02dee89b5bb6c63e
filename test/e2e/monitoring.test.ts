/**
 * `transplant up --monitoring` on a one-seed landscape (nothing else created): Debian's Prometheus
 * runs as a process of the landscape, scrapes the garden and the seed with their metrics readers'
 * credentials (every target up), answers PromQL queries for their metrics, has loaded the alert
 * rules, and `transplant down` stops it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { LandscapeFile } from '../../src/cli/landscape.js';
import type { Json } from '../helpers/api-client.js';
import { cli, startLandscape, type TestLandscape } from '../helpers/landscape.js';
import { alive, eventually } from '../helpers/processes.js';

const run = promisify(execFile);

/** The result vector of an instant PromQL query. */
async function query(prometheus: string, promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: promql })}`);
  const body = (await res.json()) as Json;
  if (body.status !== 'success') throw new Error(`${promql}: ${JSON.stringify(body)}`);
  return body.data.result.map((r: Json) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

describe('transplant up --monitoring', { skip: !existsSync('/usr/bin/prometheus') && 'no /usr/bin/prometheus' }, () => {
  let l: TestLandscape;
  let file: LandscapeFile;
  let prometheus: string;

  before(async () => {
    l = await startLandscape({ seeds: ['seed-a'], upArgs: ['--monitoring'] });
    file = await l.file();
    prometheus = file.monitoring?.url ?? '';
  });

  after(async () => {
    await l?.stop();
  });

  it('runs Prometheus on loopback as a process of the landscape', () => {
    assert.match(prometheus, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(alive(file.monitoring?.pid), 'its pid is in landscape.json');
  });

  it('scrapes the garden and the seed: every target is up', async () => {
    const up = await eventually(
      async () => {
        const result = await query(prometheus, 'up');
        const jobs = result.map((r) => r.metric.job).sort();
        return jobs.includes('garden') && jobs.includes('seed') && result.every((r) => r.value === 1)
          ? result
          : undefined;
      },
      60_000,
      'Prometheus scraped the garden and seed-a successfully',
    );
    assert.deepEqual(up.find((r) => r.metric.job === 'seed')?.metric.seed, 'seed-a');
  });

  it("answers PromQL for the garden's and the seed's request metrics", async () => {
    const byJob = await eventually(
      async () => {
        const result = await query(prometheus, 'sum by (job) (apiserver_request_total)');
        const jobs = new Map(result.map((r) => [r.metric.job, r.value]));
        return jobs.get('garden') && jobs.get('seed') ? jobs : undefined;
      },
      30_000,
      'apiserver_request_total of the garden and the seed',
    );
    assert.ok(byJob.get('garden')! > 0);
    const latency = await query(prometheus, 'apiserver_request_duration_seconds_count{job="garden", verb="LIST"}');
    assert.ok(latency.length > 0, 'the latency histogram of LIST requests');
  });

  it('has loaded the alert rules', async () => {
    const res = await fetch(`${prometheus}/api/v1/rules`);
    const rules = ((await res.json()) as Json).data.groups.flatMap((g: Json) => g.rules);
    assert.deepEqual(rules.map((r: Json) => r.name).sort(), [
      'EtcdBackupTooOld',
      'EtcdSnapshotFailed',
      'ShootMigrationStuck',
      'TargetDown',
    ]);
    assert.ok(
      rules.every((r: Json) => r.health !== 'err'),
      JSON.stringify(rules),
    );
  });

  it('transplant down stops it', async () => {
    await run(process.execPath, [cli, 'down', '--dir', l.dir]);
    assert.equal(alive(file.monitoring?.pid), false);
    await fetch(`${prometheus}/-/ready`).then(
      () => assert.fail('Prometheus still answers'),
      () => undefined,
    );
  });
});
