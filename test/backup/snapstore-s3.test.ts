/**
 * The s3 provider against s3rver (a child process per file; random port, temp dir, stopped in
 * `after`): the shared conformance suite plus paging, credentials and failure messages.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { CONFORMANCE_PREFIX, runSnapstoreConformance } from '../../src/backup/snapstore/conformance.js';
import type { S3Credentials } from '../../src/backup/snapstore/credentials.js';
import { SnapstoreError } from '../../src/backup/snapstore/errors.js';
import { openSnapstore } from '../../src/backup/snapstore/open-snapstore.js';
import { S3Snapstore, type S3SnapstoreOptions } from '../../src/backup/snapstore/s3-snapstore.js';
import { newSnapshot } from '../../src/backup/snapstore/snapshot-name.js';
import { runCommand } from '../../src/landscape/command.js';
import { HostJournal } from '../../src/landscape/journal.js';
import { claimHostNetwork, ensureHosts, hostNamed, inHost } from '../../src/landscape/netns.js';
import { netnsUnavailable } from '../helpers/netns.js';
import { S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, type S3rver, startS3rver } from '../helpers/s3rver.js';

let server: S3rver | undefined;
let bucketCount = 0;

before(async () => {
  server = await startS3rver();
});
after(async () => {
  await server?.stop();
});

function s3(): S3rver {
  assert.ok(server, 's3rver running');
  return server;
}

function credentials(overrides: Partial<S3Credentials> = {}): S3Credentials {
  return {
    accessKeyId: S3RVER_ACCESS_KEY,
    secretAccessKey: S3RVER_SECRET_KEY,
    region: 'us-east-1',
    endpoint: s3().endpoint,
    forcePathStyle: true,
    ...overrides,
  };
}

async function freshBucket(): Promise<string> {
  const bucket = `snapstore-${process.pid}-${++bucketCount}`;
  await s3().createBucket(bucket);
  return bucket;
}

function store(bucket: string, options: Partial<S3SnapstoreOptions> = {}): S3Snapstore {
  return new S3Snapstore({
    bucket,
    prefix: CONFORMANCE_PREFIX,
    credentials: credentials(),
    maxAttempts: 1,
    ...options,
  });
}

runSnapstoreConformance('s3 (s3rver)', async () => {
  const bucket = await freshBucket();
  const snapstore = store(bucket);
  const key = (name: string) => `${snapstore.keyPrefix}/${name}`;
  const opened: S3Snapstore[] = [];
  return {
    store: snapstore,
    reopen(prefix) {
      const other = store(bucket, { prefix });
      opened.push(other);
      return other;
    },
    async putRawAt(rawKey, data) {
      await s3().client.send(new PutObjectCommand({ Bucket: bucket, Key: rawKey, Body: data }));
    },
    async rawKeys() {
      const page = await s3().client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (page.Contents ?? []).map((o) => o.Key ?? '').sort();
    },
    async putRaw(name, data) {
      await s3().client.send(new PutObjectCommand({ Bucket: bucket, Key: key(name), Body: data }));
    },
    async interruptSave(snapshot, data) {
      // A process killed mid-upload: the multipart upload is started and a part sent, never completed.
      const { UploadId } = await s3().client.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key(snapshot.name) }),
      );
      await s3().client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key(snapshot.name),
          UploadId,
          PartNumber: 1,
          Body: data.subarray(0, 5 * 1024 * 1024),
        }),
      );
    },
    async cleanup() {
      snapstore.close();
      for (const other of opened) other.close();
    },
  };
});

describe('s3 snapstore', () => {
  it('pages through listings with continuation tokens', async () => {
    const bucket = await freshBucket();
    const paged = store(bucket, { listPageSize: 3 });
    const snapshots = Array.from({ length: 11 }, (_, i) =>
      newSnapshot('Incr', i * 10 + 1, i * 10 + 10, { now: new Date(1_700_000_000_000 + i * 1000) }),
    );
    await Promise.all(snapshots.map((s) => paged.save(s, Buffer.from(s.name))));
    await s3().client.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${paged.keyPrefix}/zz-not-a-snapshot`, Body: 'x' }),
    );
    await s3().client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${paged.keyPrefix}/${snapshots[0]?.name}/0000000001`,
        Body: 'chunk',
      }),
    );
    assert.deepEqual(
      (await paged.list()).map((o) => o.snapshot.name),
      snapshots.map((s) => s.name),
    );
    paged.close();
  });

  it('stores the sha256 as x-amz-meta-sha256', async () => {
    const bucket = await freshBucket();
    const snapstore = store(bucket);
    const s = newSnapshot('Full', 0, 1);
    await snapstore.save(s, Buffer.from('abc'));
    const head = await s3().client.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${snapstore.keyPrefix}/${s.name}` }),
    );
    assert.equal(head.Metadata?.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    snapstore.close();
  });

  it('says "access denied — check the credentials" for bad credentials, without secrets', async () => {
    const bucket = await freshBucket();
    // s3rver does not verify SigV4 signatures, so only an unknown access key is refused here.
    for (const bad of [{ accessKeyId: 'NOSUCHKEYID', secretAccessKey: 'wrong-secret-value' }]) {
      const snapstore = store(bucket, { credentials: credentials(bad) });
      for (const attempt of [
        () => snapstore.list(),
        () => snapstore.save(newSnapshot('Full', 0, 1), Buffer.from('x')),
        () => snapstore.stat(newSnapshot('Full', 0, 1)),
      ]) {
        await assert.rejects(attempt(), (err: Error) => {
          assert.ok(SnapstoreError.is(err, 'AccessDenied'), String(err));
          assert.match(
            err.message,
            new RegExp(`^s3://${bucket}/shoot--a--b/etcd-main: access denied .*— check the credentials$`),
          );
          assert.doesNotMatch(err.message, /wrong-secret-value|NOSUCHKEYID/);
          return true;
        });
      }
      snapstore.close();
    }
  });

  it('names the endpoint when it cannot be reached', async () => {
    // A loopback address of its own: a port freed on 127.0.0.1 can be taken at once by another
    // test's server (seen in a fresh-clone run: an HTTP 404 instead of a refusal).
    const host = `127.253.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, host, () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const snapstore = store('bucket', { credentials: credentials({ endpoint: `http://${host}:${port}` }) });
    await assert.rejects(snapstore.list(), (err: Error) => {
      assert.ok(SnapstoreError.is(err, 'Unreachable'), String(err));
      assert.equal(
        err.message,
        `s3://bucket/shoot--a--b/etcd-main: cannot reach http://${host}:${port} (ECONNREFUSED) while trying to list snapshots`,
      );
      return true;
    });
    snapstore.close();
  });

  it('gives up on a connect a firewall drops after its connect timeout, naming the endpoint', {
    skip: netnsUnavailable(),
  }, async (t) => {
    // A SYN drop needs a host whose packets vanish: a namespace on a bridge of its own with an
    // nft input rule dropping the port. (A listener that never accepts is not the same: the
    // kernel completes the handshake from its backlog, so the connect succeeds.)
    const dir = await mkdtemp(path.join(tmpdir(), 's3-drop-'));
    const journal = new HostJournal(dir);
    t.after(async () => {
      await journal.undo({ graceMs: 0 });
      await rm(dir, { recursive: true, force: true });
    });
    const plan = await claimHostNetwork(dir, journal, { domain: 'landscape.test', hosts: [{ name: 'store' }] });
    await ensureHosts(plan, journal);
    const host = hostNamed(plan, 'store');
    const endpoint = `http://${host.address}:9000`;
    const snapstore = store('bucket', { credentials: credentials({ endpoint }), connectTimeoutMs: 700 });
    t.after(() => snapstore.close());
    // Nothing listens there: without the rule the kernel refuses at once, once the new host is
    // reachable at all (its link and the first ARP answer can take longer than the 700 ms connect
    // timeout on a loaded machine).
    let reached = '';
    for (const deadline = Date.now() + 15_000; !/\(ECONNREFUSED\)/.test(reached) && Date.now() < deadline; ) {
      reached = await snapstore.list().then(
        () => 'listed',
        (err: Error) => err.message,
      );
    }
    assert.match(reached, /\(ECONNREFUSED\)/);
    journal.record({ kind: 'nft', netns: host.netns, family: 'inet', table: 'drop-s3' });
    await runCommand(
      inHost(host, ['nft', '-f', '-']),
      'table inet drop-s3 {\n  chain input { type filter hook input priority 0; policy accept; tcp dport 9000 drop; }\n}\n',
    );
    const started = Date.now();
    await assert.rejects(snapstore.list(), (err: Error) => {
      assert.ok(SnapstoreError.is(err, 'Unreachable'), String(err));
      assert.equal(
        err.message,
        `s3://bucket/shoot--a--b/etcd-main: cannot reach ${endpoint} (connect timeout) while trying to list snapshots`,
      );
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 650 && elapsed < 5_000, `failed after ${elapsed} ms, expected the 700 ms connect timeout`);
  });

  it('says when the bucket does not exist', async () => {
    const snapstore = store('no-such-bucket');
    await assert.rejects(
      snapstore.list(),
      (err: Error) => SnapstoreError.is(err, 'NoSuchContainer') && /does not exist/.test(err.message),
    );
    snapstore.close();
  });

  it('opens from etcdbrctl credential files, with distinct SOURCE_ credentials', async (t) => {
    const bucket = await freshBucket();
    const dir = await mkdtemp(path.join(tmpdir(), 's3-creds-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const target = path.join(dir, 'target.json');
    await writeFile(
      target,
      JSON.stringify({
        accessKeyID: 'NOSUCHKEYID',
        secretAccessKey: 'x',
        region: 'us-east-1',
        endpoint: s3().endpoint,
        s3ForcePathStyle: true,
      }),
    );
    const source = path.join(dir, 'source');
    await mkdir(source);
    for (const [file, value] of Object.entries({
      accessKeyID: S3RVER_ACCESS_KEY,
      secretAccessKey: S3RVER_SECRET_KEY,
      region: 'us-east-1',
      endpoint: s3().endpoint,
      s3ForcePathStyle: 'true',
    })) {
      await writeFile(path.join(source, file), value);
    }
    const env = { AWS_APPLICATION_CREDENTIALS_JSON: target, SOURCE_AWS_APPLICATION_CREDENTIALS: source };
    const sourceStore = await openSnapstore({
      provider: 's3',
      container: bucket,
      prefix: 'p',
      env,
      envPrefix: 'SOURCE_',
      maxAttempts: 1,
    });
    const s = newSnapshot('Full', 0, 9);
    const data = randomBytes(1000);
    await sourceStore.save(s, data);
    assert.deepEqual((await sourceStore.stat(s))?.size, 1000);
    const targetStore = await openSnapstore({ provider: 's3', container: bucket, prefix: 'p', env, maxAttempts: 1 });
    await assert.rejects(targetStore.list(), (err) => SnapstoreError.is(err, 'AccessDenied'));
    (sourceStore as S3Snapstore).close();
    (targetStore as S3Snapstore).close();
  });
});
