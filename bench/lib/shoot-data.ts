/**
 * A shoot's etcd filled with data for the migration benchmarks, and read back afterwards:
 * ConfigMaps of a fixed size in one namespace, written through the shoot API; the read-back
 * compares each one's resourceVersion with the one its create returned.
 */
import { randomBytes } from 'node:crypto';
import type { ShootClient } from '../../test/helpers/shoot-client.js';

export const DATA_NAMESPACE = 'bench';

/** random: base64 of random bytes (what gzip cannot shrink, the worst case); text: log-like lines (~5x compressible). */
export type Payload = 'random' | 'text';

export interface FillOptions {
  valueBytes: number;
  payload: Payload;
}

/** A ConfigMap value of `bytes` characters. */
export function payloadOf(kind: Payload, bytes: number): string {
  if (kind === 'random')
    return randomBytes(Math.ceil((bytes * 3) / 4))
      .toString('base64')
      .slice(0, bytes);
  // Lines like a controller's log or an object's status: fixed words, varying ids and numbers.
  const lines: string[] = [];
  let length = 0;
  while (length < bytes) {
    const line = `ts=${Date.now()} level=info msg="reconciled object" uid=${randomBytes(8).toString('hex')} generation=${lines.length} ready=true\n`;
    lines.push(line);
    length += line.length;
  }
  return lines.join('').slice(0, bytes);
}

/** ConfigMaps through the shoot API until `bytes` of data are written; their resourceVersions by name. */
export async function fillConfigMaps(
  client: ShootClient,
  bytes: number,
  options: FillOptions,
): Promise<Map<string, string>> {
  const ns = await client.request('POST', '/api/v1/namespaces', { metadata: { name: DATA_NAMESPACE } });
  if (ns.status !== 201) throw new Error(`creating namespace ${DATA_NAMESPACE}: HTTP ${ns.status}`);
  const count = Math.ceil(bytes / options.valueBytes);
  const versions = new Map<string, string>();
  let next = 0;
  const collection = `/api/v1/namespaces/${DATA_NAMESPACE}/configmaps`;
  // No retry: a client of a healthy server never sees a reset (src/apiserver/parser-feed.ts).
  const create = async (name: string, body: object): Promise<string> => {
    const res = await client.request('POST', collection, body);
    if (res.status !== 201) throw new Error(`creating ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.metadata.resourceVersion;
  };
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const name = `data-${i}`;
      const body = { metadata: { name }, data: { payload: payloadOf(options.payload, options.valueBytes) } };
      versions.set(name, await create(name, body));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return versions;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One page of a list, asked again (up to 5 times, a second apart) while the answer is a 503 or the
 * connection breaks: on a loaded machine the restored shoot's etcd can be slow to answer for a while
 * after Restore Succeeded (the API server's 503 says "try again"); anything else fails at once.
 */
async function listPage(
  client: ShootClient,
  path: string,
  log: (line: string) => void,
): Promise<Awaited<ReturnType<ShootClient['request']>>> {
  for (let attempt = 1; ; attempt++) {
    let problem: string;
    try {
      const res = await client.request('GET', path, undefined, 60_000);
      if (res.status === 200) return res;
      if (res.status !== 503) throw new Error(`listing ConfigMaps: HTTP ${res.status}`);
      problem = `HTTP 503 ${res.body?.message ?? ''}`;
    } catch (err) {
      if ((err as Error).message.startsWith('listing ConfigMaps')) throw err;
      problem = (err as Error).message;
    }
    if (attempt >= 5) throw new Error(`listing ConfigMaps: ${problem} (${attempt} attempts)`);
    log(`listing ConfigMaps: ${problem}; asking again`);
    await sleep(1_000);
  }
}

/** Every ConfigMap of the data namespace, in small pages (the values are large), against `versions`. */
export async function verifyConfigMaps(
  client: ShootClient,
  versions: Map<string, string>,
  log: (line: string) => void,
): Promise<{ found: number; wrongVersion: number }> {
  let found = 0;
  let wrongVersion = 0;
  let token = '';
  do {
    const query = `limit=50${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const res = await listPage(client, `/api/v1/namespaces/${DATA_NAMESPACE}/configmaps?${query}`, log);
    for (const item of res.body.items) {
      if (item.metadata.name === 'kube-root-ca.crt') continue;
      found++;
      if (versions.get(item.metadata.name) !== item.metadata.resourceVersion) wrongVersion++;
    }
    token = res.body.metadata.continue ?? '';
  } while (token);
  return { found, wrongVersion };
}
