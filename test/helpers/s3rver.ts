/**
 * A throwaway s3rver for snapstore tests: a child process run as the landscapes run it
 * (`s3rverArgv`: whole objects only) on a random port with a temp directory. `stop()` kills it and
 * removes the directory; call it from `after`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { s3rverArgv } from '../../src/landscape/s3rver-whole-objects.js';

/** s3rver's built-in account. */
export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

/** Writes an etcdbrctl credentials JSON for s3rver's built-in account (every s3rver knows it) to `file`, mode 0600. */
export async function writeS3rverCredentialsFile(file: string): Promise<void> {
  const credentials = {
    accessKeyID: S3RVER_ACCESS_KEY,
    secretAccessKey: S3RVER_SECRET_KEY,
    region: 'us-east-1',
    s3ForcePathStyle: true,
  };
  await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
}

export interface S3rver {
  endpoint: string;
  port: number;
  directory: string;
  /** A client with s3rver's credentials. */
  client: S3Client;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startS3rver(): Promise<S3rver> {
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const [node, ...args] = s3rverArgv(['-d', directory, '-a', '127.0.0.1', '-p', '0', '--silent', '--no-vhost-buckets']);
  const child = spawn(node!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    running.delete(child);
    await rm(directory, { recursive: true, force: true });
  };
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      const timer = setTimeout(() => reject(new Error(`s3rver did not start in 15 s: ${stderr}`)), 15_000);
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /listening on \S+:(\d+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`s3rver exited (${code}): ${stderr}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_ACCESS_KEY, secretAccessKey: S3RVER_SECRET_KEY },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    port,
    directory,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async stop() {
      client.destroy();
      await stop();
    },
  };
}
