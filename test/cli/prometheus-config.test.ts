/**
 * The landscape Prometheus' generated configuration: one HTTPS job per server with its own CA
 * and token files (no secret in the file itself), the shoots found on each seed's
 * `/metrics/shoots`, the alert rules; and, where Debian's promtool is installed, what promtool
 * says of both files.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { monitoringFiles, writeMonitoringFiles } from '../../src/cli/landscape-monitoring.js';
import { alertRules, type MonitoringTargets, prometheusConfig } from '../../src/cli/prometheus-config.js';
import type { Json } from '../helpers/api-client.js';

const run = promisify(execFile);
const PROMTOOL = '/usr/bin/promtool';

describe('the landscape Prometheus configuration', () => {
  let dir: string;
  let targets: Omit<MonitoringTargets, 'rulesFile'>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'transplant-prometheus-'));
    const server = async (name: string, address: string) => {
      const tokenFile = join(dir, `${name}.token`);
      const caFile = join(dir, `${name}.crt`);
      await writeFile(tokenFile, 'a-token\n', { mode: 0o600 });
      await writeFile(caFile, '-----BEGIN CERTIFICATE-----\n', { mode: 0o600 });
      return { address, tokenFile, caFile };
    };
    targets = {
      garden: await server('garden', '127.0.0.1:4000'),
      seeds: { 'seed-a': await server('seed-a', '127.0.0.1:4001'), 'seed-b': await server('seed-b', '127.0.0.1:4002') },
    };
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('scrapes the garden, each seed and the shoots each seed lists, over HTTPS with file credentials', () => {
    const config = parseYaml(prometheusConfig({ ...targets, rulesFile: '/r.yml' }));
    assert.deepEqual(
      config.scrape_configs.map((c: Json) => c.job_name),
      ['garden', 'seed-seed-a', 'shoots-on-seed-a', 'seed-seed-b', 'shoots-on-seed-b'],
    );
    for (const job of config.scrape_configs) {
      assert.equal(job.scheme, 'https');
      assert.equal(job.authorization.type, 'Bearer');
      assert.match(job.authorization.credentials_file, /\.token$/);
      assert.match(job.tls_config.ca_file, /\.crt$/);
    }
    const shoots = config.scrape_configs[2];
    assert.equal(shoots.http_sd_configs[0].url, 'https://127.0.0.1:4001/metrics/shoots');
    assert.equal(shoots.http_sd_configs[0].authorization.credentials_file, targets.seeds['seed-a']!.tokenFile);
    assert.deepEqual(shoots.relabel_configs, [{ target_label: 'job', replacement: 'kube-apiserver' }]);
    assert.deepEqual(config.scrape_configs[1].static_configs, [
      { targets: ['127.0.0.1:4001'], labels: { seed: 'seed-a' } },
    ]);
    assert.deepEqual(config.rule_files, ['/r.yml']);
    assert.doesNotMatch(prometheusConfig({ ...targets, rulesFile: '/r.yml' }), /a-token/);
  });

  it('alerts on old or failed backups and on stuck migrations', () => {
    const rules = parseYaml(alertRules({ backupMaxAgeSeconds: 600, migrationStuckForMinutes: 7 }));
    const byName = new Map(rules.groups[0].rules.map((r: Json) => [r.alert, r]));
    assert.match(
      (byName.get('EtcdBackupTooOld') as Json).expr,
      /time\(\) - max by .*etcdbr_snapshot_latest_timestamp.* > 600/,
    );
    assert.match(
      (byName.get('EtcdSnapshotFailed') as Json).expr,
      /etcdbr_snapshot_duration_seconds_count\{succeeded="false"\}/,
    );
    assert.match(
      (byName.get('ShootMigrationStuck') as Json).expr,
      /garden_shoot_operation_states\{operation=~"Migrate\|Restore"\} > 1/,
    );
    assert.equal((byName.get('ShootMigrationStuck') as Json).for, '7m');
  });

  it('passes promtool check config and check rules', { skip: !existsSync(PROMTOOL) && 'no promtool' }, async () => {
    const files = monitoringFiles(dir);
    await writeMonitoringFiles(files, targets);
    const config = await run(PROMTOOL, ['check', 'config', files.config]);
    assert.match(config.stdout, /SUCCESS/);
    const rules = await run(PROMTOOL, ['check', 'rules', files.rules]);
    assert.match(rules.stdout, /SUCCESS: 4 rules found/);
  });
});
