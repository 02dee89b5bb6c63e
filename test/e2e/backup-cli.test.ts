/**
 * `transplant backup copy|ls` as an operator runs it: the built CLI as a child process, S3
 * credentials only in files named by environment variables, s3rver as the S3 store. Checks exit
 * codes, the plain output lines, `--help`, and that a copy killed with SIGKILL resumes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { Snapshotter } from '../../src/backup/snapshotter/snapshotter.js';
import { LocalSnapstore } from '../../src/backup/snapstore/local-snapstore.js';
import { S3Snapstore } from '../../src/backup/snapstore/s3-snapstore.js';
import { newSnapshot, withFinal } from '../../src/backup/snapstore/snapshot-name.js';
import type { Snapshot, Snapstore } from '../../src/backup/snapstore/snapstore.js';
import { freePort, startEtcd } from '../../src/process/etcd-process.js';
import { startTestEtcd } from '../helpers/etcd.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type S3rver, startS3rver } from '../helpers/s3rver.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const KiB = 1024;
const MiB = 1024 * KiB;
const DAY = 86_400_000;
const PREFIX = 'shoot--dev--a/etcd-main';
/** What a credentials file holds; it must never appear in any output. */
const SECRET = S3RVER_SECRET_KEY;

let server: S3rver;
let work: string;
let bucketCount = 0;
const children = new Set<ChildProcess>();
const stores: S3Snapstore[] = [];

before(async () => {
  server = await startS3rver();
  work = await mkdtemp(path.join(tmpdir(), 'backup-cli-'));
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const store of stores) store.close();
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment without the runner's AWS settings, with HOME in the temp dir. */
function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/AWS_|STORAGE_CONTAINER/.test(k)) env[k] = v;
  }
  return { ...env, HOME: work, ...extra };
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Run>((resolve) => {
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

async function cli(args: string[], env: NodeJS.ProcessEnv = baseEnv()): Promise<Run> {
  const run = await spawnCli(args, env).done;
  assert.doesNotMatch(run.stdout + run.stderr, new RegExp(SECRET), 'no credentials in the output');
  return run;
}

function assertOk(run: Run): void {
  assert.equal(run.code, 0, `exit code; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
}

/** Writes an etcdbrctl credentials JSON file for s3rver; returns its path. */
async function credentialsFile(name: string): Promise<string> {
  const file = path.join(work, `${name}.json`);
  await writeFile(
    file,
    JSON.stringify({ accessKeyID: S3RVER_ACCESS_KEY, secretAccessKey: SECRET, region: 'us-east-1' }),
    { mode: 0o600 },
  );
  return file;
}

/** An etcdbrctl credentials directory (one file per field); returns its path. */
async function credentialsDir(name: string): Promise<string> {
  const dir = path.join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'accessKeyID'), S3RVER_ACCESS_KEY);
  await writeFile(path.join(dir, 'secretAccessKey'), SECRET);
  await writeFile(path.join(dir, 'region'), 'us-east-1');
  return dir;
}

async function freshBucket(): Promise<{ bucket: string; store: S3Snapstore }> {
  const bucket = `cli-${process.pid}-${++bucketCount}`;
  await server.createBucket(bucket);
  const store = new S3Snapstore({
    bucket,
    prefix: PREFIX,
    credentials: {
      accessKeyId: S3RVER_ACCESS_KEY,
      secretAccessKey: SECRET,
      region: 'us-east-1',
      endpoint: server.endpoint,
      forcePathStyle: true,
    },
  });
  stores.push(store);
  return { bucket, store };
}

/** A local container below `work` (absolute, so HOME does not matter). */
function localStore(container: string): { container: string; store: LocalSnapstore } {
  const dir = path.join(work, container);
  return { container: dir, store: new LocalSnapstore({ container: dir, prefix: PREFIX }) };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Saves random objects; returns their SHA-256 by the name they get in a copy's target. */
async function fill(store: Snapstore, layout: Array<[Snapshot, number]>): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  for (const [snapshot, size] of layout) {
    const data = randomBytes(size);
    await store.save(snapshot, data);
    expected.set(withFinal(snapshot, false).name, sha256(data));
  }
  return expected;
}

async function contents(store: Snapstore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const { snapshot } of await store.list())
    out.set(snapshot.name, sha256(await buffer(await store.fetch(snapshot))));
  return out;
}

function sorted(map: Map<string, string>): [string, string][] {
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Two backups ending in a final full, created relative to now (for --max-backup-age). */
function recentLayout(): Array<[Snapshot, number]> {
  const now = Date.now();
  return [
    [newSnapshot('Full', 0, 100, { now: new Date(now - 10 * DAY) }), 300 * KiB],
    [newSnapshot('Incr', 101, 120, { now: new Date(now - 10 * DAY + 20_000) }), 20 * KiB],
    [newSnapshot('Full', 0, 200, { now: new Date(now - 2 * DAY) }), 200 * KiB],
    [newSnapshot('Incr', 201, 220, { now: new Date(now - 2 * DAY + 20_000) }), 10 * KiB],
    [newSnapshot('Full', 0, 300, { now: new Date(now - 60_000), final: true }), 100 * KiB],
  ];
}

const ETCDBRCTL_COPY_FLAGS = [
  '--storage-provider',
  '--store-container',
  '--store-prefix',
  '--store-endpoint-override',
  '--max-parallel-chunk-uploads',
  '--min-chunk-size',
  '--snapstore-temp-directory',
  '--source-storage-provider',
  '--source-store-container',
  '--source-store-prefix',
  '--source-store-endpoint-override',
  '--source-max-parallel-chunk-uploads',
  '--source-min-chunk-size',
  '--source-snapstore-temp-directory',
  '--max-backup-age',
  '--max-backups-to-copy',
  '--max-parallel-copy-operations',
  '--wait-for-final-snapshot',
  '--wait-for-final-snapshot-timeout',
];

describe('transplant backup (CLI)', () => {
  it('--help lists the subcommands, every etcdbrctl copy flag and where credentials come from', async () => {
    const backup = await cli(['backup', '--help']);
    assertOk(backup);
    assert.match(backup.stdout, /^ {2}copy \[options\]/m);
    assert.match(backup.stdout, /^ {2}ls \[options\]/m);
    const copy = await cli(['backup', 'copy', '--help']);
    assertOk(copy);
    for (const flag of ETCDBRCTL_COPY_FLAGS) assert.match(copy.stdout, new RegExp(`^ {2}${flag} `, 'm'), flag);
    assert.match(copy.stdout, /--max-backups-to-copy <n> +copy only the newest n backups \(-1: all\) \(default: -1\)/);
    assert.match(copy.stdout, /--max-parallel-copy-operations <n> +objects copied at the same time \(default: 10\)/);
    assert.match(copy.stdout, /^ {2}SOURCE_AWS_APPLICATION_CREDENTIALS_JSON /m);
    assert.match(copy.stdout, /^ {2}STORAGE_CONTAINER /m);
    assert.doesNotMatch(copy.stdout, /secret-access-key|--access-key/i, 'no credential flags');
  });

  it('copies local → s3 with credentials from a file, then copies nothing on a re-run', async () => {
    const source = localStore('l2s-source');
    const target = await freshBucket();
    const expected = await fill(source.store, recentLayout());
    const env = baseEnv({
      AWS_APPLICATION_CREDENTIALS_JSON: await credentialsFile('target-creds'),
      STORAGE_CONTAINER: target.bucket,
    });
    const args = [
      'backup',
      'copy',
      '--storage-provider=S3',
      `--store-endpoint-override=${server.endpoint}`,
      `--store-prefix=${PREFIX}`,
      '--source-storage-provider=Local',
      `--source-store-container=${source.container}`,
    ];
    const first = await cli(args, env);
    assertOk(first);
    const lines = first.stdout.trim().split('\n');
    assert.equal(lines[0], `copying backups from ${source.container}/${PREFIX} to s3://${target.bucket}/${PREFIX}`);
    assert.equal(lines[1], 'copying 5 object(s), 630.0 KiB');
    assert.equal(lines.filter((l) => /^copied (Full|Incr)-/.test(l)).length, 5);
    assert.ok(
      lines.some((l) => /^copied Full-00000000-00000300-\d+\.gz\.final as Full-00000000-00000300-\d+\.gz \(/.test(l)),
    );
    assert.match(lines.at(-1)!, /^copied 5, skipped 0 object\(s\): 630\.0 KiB in \d+\.\d s \(\d+\.\d MB\/s\)$/);
    assert.deepEqual(sorted(await contents(target.store)), sorted(expected));

    const second = await cli(args, env);
    assertOk(second);
    assert.equal(second.stdout.split('\n').filter((l) => l.startsWith('skipped ')).length, 5);
    assert.doesNotMatch(second.stdout, /^copied (Full|Incr)/m);
    assert.match(second.stdout, /^copied 0, skipped 5 object\(s\): 0 B in /m);
  });

  it('copies s3 → local with source credentials from a directory, waiting for the final snapshot', async () => {
    const source = await freshBucket();
    const target = localStore('s2l-target');
    const expected = await fill(source.store, recentLayout());
    const env = baseEnv({
      SOURCE_AWS_APPLICATION_CREDENTIALS: await credentialsDir('source-creds'),
      SOURCE_STORAGE_CONTAINER: source.bucket,
    });
    const run = await cli(
      [
        'backup',
        'copy',
        `--store-container=${target.container}`,
        `--store-prefix=${PREFIX}`,
        '--source-storage-provider=S3',
        `--source-store-endpoint-override=${server.endpoint}`,
        '--wait-for-final-snapshot=true',
        '--wait-for-final-snapshot-timeout=1h0m0s',
      ],
      env,
    );
    assertOk(run);
    assert.match(run.stdout, /^waiting up to 1h0m0s for a final full snapshot in the source$/m);
    assert.match(run.stdout, /^found a final full snapshot in the source$/m);
    assert.match(run.stdout, /^copied 5, skipped 0 object\(s\)/m);
    assert.deepEqual(sorted(await contents(target.store)), sorted(expected));
  });

  it('honours --max-backups-to-copy, --max-backup-age and the final-snapshot timeout (local → local)', async () => {
    const source = localStore('ll-source');
    const layout = recentLayout().slice(0, 4); // no final snapshot
    const expected = await fill(source.store, layout);
    const names = layout.map(([s]) => s.name);
    const copyTo = (target: string, ...extra: string[]) =>
      cli([
        'backup',
        'copy',
        `--store-container=${target}`,
        `--store-prefix=${PREFIX}`,
        `--source-store-container=${source.container}`,
        ...extra,
      ]);
    const only = (...picked: string[]) => sorted(new Map(picked.map((n) => [n, expected.get(n)!])));

    const newest = localStore('ll-newest');
    assertOk(await copyTo(newest.container, '--max-backups-to-copy', '1'));
    assert.deepEqual(sorted(await contents(newest.store)), only(names[2]!, names[3]!));

    const young = localStore('ll-young');
    assertOk(await copyTo(young.container, '--max-backup-age=3'));
    assert.deepEqual(sorted(await contents(young.store)), only(names[2]!, names[3]!));

    const all = localStore('ll-all');
    const started = Date.now();
    const timedOut = await copyTo(all.container, '--wait-for-final-snapshot', '--wait-for-final-snapshot-timeout=1s');
    assertOk(timedOut);
    assert.ok(Date.now() - started >= 1000);
    assert.match(timedOut.stdout, /^timed out after 1s waiting for a final full snapshot; copying anyway$/m);
    assert.match(timedOut.stdout, /^copied 4, skipped 0 object\(s\)/m);
    assert.deepEqual(sorted(await contents(all.store)), sorted(expected));
  });

  it('resumes a copy killed with SIGKILL mid-way: nothing partial in the target, the re-run copies the rest', async () => {
    const source = localStore('kill-source');
    const target = await freshBucket();
    const layout: Array<[Snapshot, number]> = [];
    // Above the 5 MiB part size: each object goes up as a multipart upload, which S3 (and s3rver)
    // shows only once completed. A single PUT cut off by the kill is refused by S3 for its short
    // body, but s3rver would keep it, truncated.
    for (let i = 1; i <= 12; i++)
      layout.push([newSnapshot('Full', 0, i * 100, { now: new Date(Date.now() - i * 60_000) }), 6 * MiB]);
    const expected = await fill(source.store, layout);
    const env = baseEnv({ AWS_APPLICATION_CREDENTIALS_JSON: await credentialsFile('kill-creds') });
    const args = [
      'backup',
      'copy',
      '--storage-provider=S3',
      `--store-container=${target.bucket}`,
      `--store-endpoint-override=${server.endpoint}`,
      `--store-prefix=${PREFIX}`,
      '--source-storage-provider=Local',
      `--source-store-container=${source.container}`,
      `--snapstore-temp-directory=${work}`,
      '--max-parallel-copy-operations=2',
    ];
    const { child, done } = spawnCli(args, env);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      child.stdout?.on('data', (d: Buffer) => {
        seen += d.toString();
        if (/^copied Full-/m.test(seen)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('close', () => reject(new Error(`the copy ended before it could be killed:\n${seen}`)));
    });
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL');

    const partial = await contents(target.store);
    assert.ok(partial.size >= 1 && partial.size < expected.size, `${partial.size} objects after the kill`);
    for (const [name, digest] of partial) assert.equal(digest, expected.get(name), `${name} is complete`);

    const resumed = await cli(args, env);
    assertOk(resumed);
    assert.match(
      resumed.stdout,
      new RegExp(`^copied ${expected.size - partial.size}, skipped ${partial.size} object\\(s\\)`, 'm'),
    );
    assert.deepEqual(sorted(await contents(target.store)), sorted(expected));
  });

  it('fails with exit code 1 and a clear message: bad flags, unreachable source, wrong credentials', async () => {
    const target = localStore('err-target');
    const badFlags = await cli([
      'backup',
      'copy',
      '--max-backups-to-copy=-2',
      '--max-parallel-copy-operations',
      '0',
      '--min-chunk-size=1024',
    ]);
    assert.equal(badFlags.code, 1);
    assert.equal(
      badFlags.stderr,
      'error: invalid flags:\n' +
        '  --max-backups-to-copy must be -1 (all) or more, got -2\n' +
        '  --max-parallel-copy-operations must be greater than 0, got 0\n' +
        '  --min-chunk-size must be at least 5242880 bytes (5 MiB), got 1024\n',
    );
    const badDuration = await cli(['backup', 'copy', '--wait-for-final-snapshot-timeout=5']);
    assert.equal(badDuration.code, 1);
    assert.match(badDuration.stderr, /--wait-for-final-snapshot-timeout <duration>' argument '5' is invalid/);

    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const unreachable = await cli(
      [
        'backup',
        'copy',
        `--store-container=${target.container}`,
        '--source-storage-provider=S3',
        '--source-store-container=backups',
        `--source-store-endpoint-override=http://127.0.0.1:${port}`,
        `--source-store-prefix=${PREFIX}`,
      ],
      baseEnv({ SOURCE_AWS_APPLICATION_CREDENTIALS_JSON: await credentialsFile('unreachable-creds') }),
    );
    assert.equal(unreachable.code, 1);
    assert.match(
      unreachable.stderr,
      new RegExp(
        `^error: source store s3://backups/${PREFIX}: cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\) while trying to list snapshots\\n$`,
      ),
    );

    const { bucket } = await freshBucket();
    const wrongKeyFile = path.join(work, 'wrong-creds.json');
    await writeFile(
      wrongKeyFile,
      JSON.stringify({ accessKeyID: 'NOSUCHKEYID', secretAccessKey: SECRET, region: 'us-east-1' }),
    );
    const source = localStore('err-source');
    await fill(source.store, recentLayout().slice(0, 1));
    const denied = await cli(
      [
        'backup',
        'copy',
        '--storage-provider=S3',
        `--store-container=${bucket}`,
        `--store-endpoint-override=${server.endpoint}`,
        '--source-storage-provider=Local',
        `--source-store-container=${source.container}`,
      ],
      baseEnv({ AWS_APPLICATION_CREDENTIALS_JSON: wrongKeyFile }),
    );
    assert.equal(denied.code, 1);
    assert.match(
      denied.stderr,
      new RegExp(`^error: target store s3://${bucket}/: access denied .*check the credentials\\n$`),
    );
    assert.doesNotMatch(denied.stderr, /NOSUCHKEYID/);

    // The source inherits the target's provider.
    const noSourceCredentials = await cli(['backup', 'copy', '--storage-provider=S3', '--store-container=b']);
    assert.equal(noSourceCredentials.code, 1);
    assert.match(
      noSourceCredentials.stderr,
      /^error: source store: environment: no S3 credentials: set SOURCE_AWS_APPLICATION_CREDENTIALS_JSON, /,
    );
    const noCredentials = await cli([
      'backup',
      'copy',
      '--storage-provider=S3',
      '--store-container=b',
      '--source-storage-provider=Local',
      `--source-store-container=${source.container}`,
    ]);
    assert.equal(noCredentials.code, 1);
    assert.match(
      noCredentials.stderr,
      /^error: target store: environment: no S3 credentials: set AWS_APPLICATION_CREDENTIALS_JSON, /,
    );

    const missingSource = await cli(['backup', 'copy', `--source-store-container=${path.join(work, 'nope')}`]);
    assert.equal(missingSource.code, 1);
    assert.match(
      missingSource.stderr,
      /^error: source store .*nope.*: the container directory .*nope does not exist\n$/,
    );
  });

  it('ls prints a table and JSON', async () => {
    const { container, store } = localStore('ls-store');
    const layout = recentLayout().slice(2);
    await fill(store, layout);
    const table = await cli(['backup', 'ls', `--store-container=${container}`, `--store-prefix=${PREFIX}`]);
    assertOk(table);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^NAME +KIND +START +LAST +CREATED +SIZE +FINAL$/);
    assert.equal(lines.length, 4);
    assert.match(
      lines[1]!,
      /^Full-00000000-00000200-\d+\.gz +Full +0 +200 +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ +200\.0 KiB +false$/,
    );
    assert.match(lines[3]!, /^Full-00000000-00000300-\d+\.gz\.final +Full +0 +300 .* +100\.0 KiB +true$/);
    const json = await cli([
      'backup',
      'ls',
      `--store-container=${container}`,
      `--store-prefix=${PREFIX}`,
      '-o',
      'json',
    ]);
    assertOk(json);
    const rows = JSON.parse(json.stdout) as Array<{ name: string; size: number; isFinal: boolean; kind: string }>;
    assert.deepEqual(
      rows.map((r) => [r.name, r.kind, r.size, r.isFinal]),
      layout.map(([s, size]) => [s.name, s.kind, size, s.isFinal]),
    );
  });
});

describe('transplant backup restore (CLI)', () => {
  it('restores a data dir from a full and a delta snapshot, refuses to replace it without --force', async () => {
    const source = await startTestEtcd();
    const client = new Etcd3({ hosts: source.endpoints });
    const { container, store } = localStore('restore-store');
    const sidecar = new Snapshotter({
      etcd: { endpoint: source.endpoints[0]! },
      store,
      logger: pino({ enabled: false }),
      fullSnapshotSchedule: '0 0 1 1 *',
      deltaSnapshotPeriodMs: 60_000,
    });
    let revision: number;
    try {
      await sidecar.start();
      for (let i = 0; i < 50; i++) await client.put(`/registry/full/${i}`).value(`v${i}`);
      await sidecar.triggerFullSnapshot();
      for (let i = 0; i < 20; i++) await client.put(`/registry/delta/${i}`).value(`d${i}`);
      await client.delete().key('/registry/full/0');
      await sidecar.triggerDeltaSnapshot();
      revision = Number((await client.get('/registry/full/1').exec()).header.revision);
    } finally {
      await sidecar.stop();
      client.close();
      await source.cleanup();
    }
    const deltas = (await store.list()).filter((o) => o.snapshot.kind === 'Incr');
    assert.equal(deltas.at(-1)?.snapshot.lastRevision, revision, 'the delta ends at the last write');

    const dataDir = path.join(work, 'restored', 'data');
    const peerPort = await freePort();
    const args = [
      'backup',
      'restore',
      `--data-dir=${dataDir}`,
      '--name=restored',
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--store-container=${container}`,
      `--store-prefix=${PREFIX}`,
    ];
    const missingName = await cli(['backup', 'restore', `--data-dir=${dataDir}`]);
    assert.equal(missingName.code, 1);
    assert.match(missingName.stderr, /required option '--name <member>' not specified/);

    const restored = await cli(args);
    assertOk(restored);
    assert.match(restored.stdout, new RegExp(`^restoring ${dataDir} from ${container}/${PREFIX}$`, 'm'));
    assert.match(
      restored.stdout,
      new RegExp(`^restored ${dataDir} to revision ${revision} from Full-\\S+ and 1 delta snapshot\\(s\\) in `, 'm'),
    );

    const again = await cli(args);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      `error: ${dataDir} holds a valid etcd data directory; pass --force to replace it with the restored data\n`,
    );
    assertOk(await cli([...args, '--force']));

    const etcd = await startEtcd({
      name: 'restored',
      dataDir,
      peerPort,
      extraArgs: ['--election-timeout=200', '--heartbeat-interval=20'],
    });
    const restoredClient = new Etcd3({ hosts: [etcd.clientUrl] });
    try {
      const all = await restoredClient.getAll().prefix('/registry/').strings();
      assert.equal(Object.keys(all).length, 69);
      assert.equal(all['/registry/full/0'], undefined);
      assert.equal(all['/registry/full/49'], 'v49');
      assert.equal(all['/registry/delta/19'], 'd19');
      const header = (await restoredClient.get('/registry/full/1').exec()).header;
      assert.equal(Number(header.revision), revision);
    } finally {
      restoredClient.close();
      await etcd.stop();
    }

    const emptyStore = localStore('restore-empty');
    await mkdir(path.join(emptyStore.container, PREFIX), { recursive: true });
    const nothing = await cli([
      'backup',
      'restore',
      `--data-dir=${path.join(work, 'restored', 'other')}`,
      '--name=restored',
      `--store-container=${emptyStore.container}`,
      `--store-prefix=${PREFIX}`,
    ]);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /^error: \S+restore-empty\/\S+ holds no backups; \S+other was left as it was\n$/);

    const someonesDir = path.join(work, 'restored', 'someones');
    await mkdir(someonesDir, { recursive: true });
    await writeFile(path.join(someonesDir, 'notes.txt'), 'keep me');
    const refused = await cli([
      'backup',
      'restore',
      `--data-dir=${someonesDir}`,
      '--name=x',
      `--store-container=${container}`,
      `--store-prefix=${PREFIX}`,
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not empty and holds no etcd data; pass --force/);
  });
});
