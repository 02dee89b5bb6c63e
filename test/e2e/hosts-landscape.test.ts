/**
 * `transplant down` after `transplant up --hosts` was killed -9 half-way: it leaves no namespace,
 * link, /etc/netns directory or process behind. The checks of a landscape that came up are run on
 * hosts-migration.test.ts's (test/helpers/hosts-landscape-checks.ts).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { leftovers, NOTHING } from '../helpers/hosts-landscape-checks.js';
import { cli } from '../helpers/landscape.js';
import { hostsLandscapeUnavailable, namespaces } from '../helpers/netns.js';
import { until } from '../helpers/processes.js';
import { testMatrixOnly } from '../helpers/test-matrix.js';
import { tearDownHostsLandscape, transplant } from '../helpers/transplant-cli.js';

const skip = hostsLandscapeUnavailable();

describe('transplant down after `up --hosts` was killed -9 half-way', { skip }, () => {
  const killPoints: [string, (dir: string) => Promise<boolean>][] = [
    [
      'while it creates the namespaces',
      async (dir) =>
        (await readFile(join(dir, 'hosts-journal.jsonl'), 'utf8').catch(() => '')).split('"netns"').length > 6,
    ],
    [
      'once the stores and the garden run on their hosts',
      async (dir) => (await readFile(join(dir, 'logs', 'garden.log'), 'utf8').catch(() => '')).includes('serving'),
    ],
  ];
  killPoints.forEach(([when, reached], index) => {
    // make test kills it at the early point (the journal's namespaces and links to undo: seconds);
    // make test-matrix at both (the later one starts the garden's 6 processes first: a minute of
    // the suite's two cores).
    const skip = index > 0 && testMatrixOnly(`the kill ${killPoints[0]![0]}`);
    it(`leaves nothing behind: killed ${when}`, { skip }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'transplant-hosts-killed-'));
      const up = execFile(process.execPath, [cli, 'up', '--dir', dir, '--hosts', '--log-level', 'warn']);
      try {
        // Under the suite's load, three landscapes at once on two cores, the garden took over 30 s to serve.
        await until(() => reached(dir), 120_000, `up reached the point: ${when}`);
        up.kill('SIGKILL');
        const plan = JSON.parse(await readFile(join(dir, 'hosts.json'), 'utf8')) as { bridge: string };
        const tag = plan.bridge.replace(/br$/, '');
        assert.ok((await namespaces()).some((n) => n.startsWith(tag)));
        const down = await transplant(['down', '--dir', dir]);
        assert.equal(down.code, 0, down.stderr);
        assert.deepEqual(await leftovers(tag, dir), NOTHING);
      } finally {
        up.kill('SIGKILL');
        await tearDownHostsLandscape(dir);
      }
    });
  });
});
