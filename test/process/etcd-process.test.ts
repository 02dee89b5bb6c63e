import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateCertificateAuthority, issueCertificate } from '../../src/apiserver/pki/certificates.js';
import { checkEtcdHealth } from '../../src/process/etcd-gateway.js';
import {
  type EtcdProcess,
  type EtcdProcessOptions,
  EtcdStartError,
  freePort,
  startEtcd,
} from '../../src/process/etcd-process.js';
import { isProcessAlive, terminateProcess } from '../../src/process/processes.js';
import { killOnExit } from '../helpers/etcd.js';

const FAST_START_ARGS = ['--election-timeout=200', '--heartbeat-interval=20'];

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'transplant-etcd-process-'));
  dirs.push(dir);
  return dir;
}

/** Starts etcd in a fresh temp dir, stopping it afterwards (and on exit, should the test die). */
async function withEtcd(
  options: Partial<EtcdProcessOptions>,
  body: (etcd: EtcdProcess, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  const etcd = await startEtcd({ name: 'test', dataDir: join(dir, 'data'), extraArgs: FAST_START_ARGS, ...options });
  const forget = killOnExit(etcd.pid);
  try {
    await body(etcd, dir);
  } finally {
    await etcd.stop();
    forget();
  }
}

async function rejectsToStart(options: Partial<EtcdProcessOptions>, check: (err: EtcdStartError) => void) {
  const dir = await tempDir();
  await assert.rejects(
    startEtcd({ name: 'test', dataDir: join(dir, 'data'), extraArgs: FAST_START_ARGS, ...options }),
    (err) => {
      assert.ok(err instanceof EtcdStartError, String(err));
      check(err);
      return true;
    },
  );
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('etcd process', () => {
  it('starts a healthy etcd on free ports, and stop() leaves no process and frees the port', async () => {
    let pid = 0;
    let port = 0;
    await withEtcd({}, async (etcd, dir) => {
      pid = etcd.pid;
      port = Number(new URL(etcd.clientUrl).port);
      assert.match(etcd.clientUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(etcd.peerUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(etcd.clientUrl, etcd.peerUrl);
      assert.ok(isProcessAlive(etcd.pid));
      assert.ok(await checkEtcdHealth(etcd.clientUrl));
      assert.equal(etcd.confDir, join(dir, 'data.conf'));
      assert.equal(etcd.pidFile, undefined);
      assert.ok(
        (await readFile(etcd.logFile, 'utf8')).includes('"msg":"starting an etcd server"'),
        'etcd logs to its log file',
      );
      await etcd.stop();
      await etcd.stop();
      // etcd re-raises SIGTERM after shutting down cleanly: no exit code.
      assert.ok([0, null].includes(await etcd.exited));
    });
    assert.equal(isProcessAlive(pid), false);
    (await listen(port)).close();
  });

  it('keeps key material off the command line, in 0600 files, and requires client certificates', async () => {
    const ca = await generateCertificateAuthority('etcd-ca');
    const server = await issueCertificate(ca, { commonName: 'etcd', ipAddresses: ['127.0.0.1'], usage: 'server' });
    const client = await issueCertificate(ca, { commonName: 'health', usage: 'client' });
    const tls = { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem, clientCertAuth: true, client };
    await withEtcd({ tls }, async (etcd) => {
      assert.match(etcd.clientUrl, /^https:/);
      const commandLine = (await readFile(`/proc/${etcd.pid}/cmdline`, 'utf8')).split('\0');
      assert.ok(commandLine.includes(`--key-file=${join(etcd.confDir, 'server.key')}`));
      assert.ok(commandLine.includes('--client-cert-auth=true'));
      assert.ok(!commandLine.some((arg) => arg.includes('BEGIN')));
      for (const file of ['ca.crt', 'server.crt', 'server.key']) {
        assert.equal((await stat(join(etcd.confDir, file))).mode & 0o777, 0o600, file);
      }
      assert.equal((await stat(etcd.confDir)).mode & 0o777, 0o700);
      assert.ok(await checkEtcdHealth(etcd.clientUrl, tls));
      // The server certificate lacks the clientAuth usage: etcd turns it away as a client.
      assert.equal(await checkEtcdHealth(etcd.clientUrl, { ...tls, client: undefined }), false);
    });
  });

  it('reports an unknown flag with etcd’s own message', async () => {
    await rejectsToStart({ extraArgs: ['--no-such-flag'] }, (err) => {
      assert.match(err.message, /exited with code 2 before it became healthy: flag provided but not defined/);
      assert.equal(err.exitCode, 2);
    });
  });

  it('reports a data dir it cannot use with the reason from etcd’s log', async () => {
    const dir = await tempDir();
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    await assert.rejects(startEtcd({ name: 'test', dataDir: file, confDir: join(dir, 'conf') }), (err) => {
      assert.ok(err instanceof EtcdStartError);
      assert.match(err.message, /failed to list data directory: .*not a directory/);
      assert.match(err.message, /--- etcd log \(last lines\) ---/);
      return true;
    });
  });

  it('reports a client port another process holds', async () => {
    const port = await freePort();
    const holder = await listen(port);
    try {
      await rejectsToStart({ clientPort: port }, (err) => {
        assert.equal(err.portInUse, port);
        assert.match(err.message, /address already in use/);
      });
    } finally {
      holder.close();
    }
  });

  it('kills a server that does not become healthy in time', async () => {
    // No leader for at least 5 s. A single member always fast-forwards its election ticks to one
    // short of the timeout (etcd's adjustTicks, whatever --initial-election-tick-advance says), then
    // waits a random 1..10 more ticks: the tick must be long, not the timeout.
    const noLeader = ['--election-timeout=50000', '--heartbeat-interval=5000'];
    // A loopback address of its own: the health check cannot reach another test's etcd that took
    // the same port in the meantime.
    const clientHost = `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    await rejectsToStart({ startTimeoutMs: 500, extraArgs: noLeader, clientHost }, (err) =>
      assert.match(
        err.message,
        new RegExp(`did not become healthy at http://${clientHost.replaceAll('.', '\\.')}:\\d+ within 500 ms`),
      ),
    );
  });

  it('a detached etcd outlives the process that started it', async () => {
    const dir = await tempDir();
    const moduleUrl = new URL('../../src/process/etcd-process.js', import.meta.url).href;
    const script = `
      import { startEtcd } from ${JSON.stringify(moduleUrl)};
      const etcd = await startEtcd({
        name: 'detached', dataDir: process.env.DATA_DIR, detached: true, extraArgs: ${JSON.stringify(FAST_START_ARGS)},
      });
      console.log(JSON.stringify({ pid: etcd.pid, clientUrl: etcd.clientUrl, pidFile: etcd.pidFile }));`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, DATA_DIR: join(dir, 'data') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    parent.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    const code = await new Promise((resolve) => parent.once('exit', resolve));
    assert.equal(code, 0, 'the starting process exits by itself');
    const started = JSON.parse(stdout) as { pid: number; clientUrl: string; pidFile: string };
    const forget = killOnExit(started.pid);
    try {
      assert.ok(isProcessAlive(started.pid));
      assert.ok(await checkEtcdHealth(started.clientUrl));
      assert.equal(await readFile(started.pidFile, 'utf8'), `${started.pid}\n`);
    } finally {
      await terminateProcess(started.pid, 5_000);
      forget();
    }
    assert.equal(isProcessAlive(started.pid), false);
  });

  it('freePort gives a port that can be bound', async () => {
    const port = await freePort('127.0.0.1');
    assert.ok(port > 0);
    (await listen(port)).close();
  });
});
