/**
 * What encryption at rest costs a read, without HTTP, TLS or other processes in the way: `get` of
 * a Secret (3 KiB of data, 4 KiB base64) from an in-memory SQLite store, plain and through
 * `EncryptingStorage` (aesgcm), in alternating rounds. See bench/README.md, "Encryption at rest".
 *
 *   node dist/bench/encrypting-storage.js [--gets 20000] [--rounds 3]
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../src/api/meta.js';
import { EncryptingStorage } from '../src/storage/encryption/encrypting-storage.js';
import type { Storage } from '../src/storage/interface.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { intFlag, parseBenchFlags } from './lib/flags.js';
import { benchStart, describeMachine } from './lib/machine.js';
import { summarize } from './lib/stats.js';

const SECRETS = 100;

function secret(i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `s${i}`, namespace: 'ns', uid: `uid-${i}` },
    type: 'Opaque',
    data: { key: randomBytes(3000).toString('base64') },
  };
}

async function measure(store: Storage, gets: number): Promise<number[]> {
  for (let i = 0; i < SECRETS; i++) await store.create(`/registry/secrets/ns/s${i}`, secret(i));
  const samples: number[] = [];
  for (let i = 0; i < gets; i++) {
    const started = process.hrtime.bigint();
    await store.get(`/registry/secrets/ns/s${i % SECRETS}`);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await store.close();
  return samples;
}

async function main(): Promise<void> {
  const values = parseBenchFlags(
    process.argv.slice(2),
    { gets: { type: 'string' }, rounds: { type: 'string' } },
    () => 'usage: node dist/bench/encrypting-storage.js [--gets 20000] [--rounds 3]\n',
  );
  const gets = intFlag('--gets', values.gets, 20_000, 1);
  const rounds = intFlag('--rounds', values.rounds, 3, 1);
  const { machine } = benchStart((m) => process.stderr.write(`${m}\n`));
  const key = { name: 'bench', secretBase64: randomBytes(32).toString('base64') };
  const samples: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    samples.off.push(...(await measure(openSqliteStore({ path: ':memory:' }), gets)));
    const encrypting = new EncryptingStorage(openSqliteStore({ path: ':memory:' }), {
      keys: [key],
      prefixes: ['/registry/secrets/'],
    });
    samples.on.push(...(await measure(encrypting, gets)));
  }
  const us = (ms: number) => (ms * 1000).toFixed(1);
  process.stdout.write(
    `machine: ${describeMachine(machine)}\n\n| encryption | n | p50 µs | p90 µs | p99 µs | mean µs |\n| --- | ---: | ---: | ---: | ---: | ---: |\n`,
  );
  for (const mode of ['off', 'on'] as const) {
    const s = summarize(samples[mode]);
    process.stdout.write(`| ${mode} | ${s.count} | ${us(s.p50)} | ${us(s.p90)} | ${us(s.p99)} | ${us(s.mean)} |\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
