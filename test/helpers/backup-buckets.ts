/**
 * The local backup buckets of a test landscape (`transplant up --backup local`): seed `<seed>`'s
 * bucket is the directory `DIR/backups/<seed>/<seed uid>`, a BackupEntry's objects live under
 * `<bucket>/<entry>/`.
 */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { getJson } from './kubectl.js';
import type { TestLandscape } from './landscape.js';

/** The directory of `seed`'s bucket. */
export async function seedBucketDir(l: TestLandscape, seed: string): Promise<string> {
  const uid: string = (await getJson(l.garden, ['get', 'seed', seed])).metadata.uid;
  return join(l.dir, 'backups', seed, uid);
}

/** Every file under `<seed's bucket>/<entry>/`, relative to it, sorted; [] when there is none. */
export async function entryObjects(l: TestLandscape, seed: string, entry: string): Promise<string[]> {
  const top = join(await seedBucketDir(l, seed), entry);
  const found = await readdir(top, { recursive: true, withFileTypes: true }).catch(() => []);
  return found
    .filter((e) => e.isFile())
    .map((e) => relative(top, join(e.parentPath, e.name)))
    .sort();
}
