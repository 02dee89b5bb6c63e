/**
 * Credentials for a seed's gardenlet: a bearer token in the garden's token file (the running
 * garden picks it up) and a kubeconfig with it. Needs the garden's state directory, so it runs
 * on the garden's machine (`transplant up` does it for local seeds).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueToken, revokeTokens } from '../apiserver/authn/token-file.js';
import { buildKubeconfig, writeKubeconfig } from '../apiserver/kubeconfig.js';
import { servingPkiFiles } from '../apiserver/pki/serving-pki.js';
import { gardenletUser, seedsGroup } from './bootstrap-rbac.js';

export async function issueSeedKubeconfig(
  gardenDir: string,
  seed: string,
  out: string,
  host = '127.0.0.1',
): Promise<void> {
  const state = JSON.parse(await readFile(join(gardenDir, 'server.json'), 'utf8')) as { port: number };
  const caPem = await readFile(servingPkiFiles(join(gardenDir, 'pki')).caCert, 'utf8');
  const tokenFile = join(gardenDir, 'auth', 'tokens.json');
  const user = gardenletUser(seed);
  await revokeTokens(tokenFile, user);
  const token = await issueToken(tokenFile, { name: user, uid: user, groups: [seedsGroup] });
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${state.port}`;
  await writeKubeconfig(out, buildKubeconfig({ clusterName: 'garden', server, caPem, user: { name: user, token } }));
}
