/**
 * Credentials for a seed's gardenlet: a bearer token in the garden's token file (the running
 * garden picks it up) and a kubeconfig with it. `issueSeedKubeconfig` needs the garden's state
 * directory, so it runs on the garden's machine (`transplant up` does it for local seeds on
 * SQLite); `issueSeedKubeconfigThroughApi` needs only the operator's kubeconfig.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { issueToken, revokeTokens } from '../apiserver/authn/token-file.js';
import { buildKubeconfig, writeKubeconfig } from '../apiserver/kubeconfig.js';
import { servingPkiFiles } from '../apiserver/pki/serving-pki.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { RestClient } from '../client/rest-client.js';
import { reissueToken } from '../hosting/token-digests.js';
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

/**
 * The same credentials issued through the garden's API with the operator's kubeconfig, for a
 * landscape whose hosts share no directory with the garden (a garden on etcd): the token's digest
 * is stored as a Secret in kube-system, which every garden replica follows. The kubeconfig points
 * where the operator's does (the load balancer) and trusts the same CA.
 */
export async function issueSeedKubeconfigThroughApi(
  operatorKubeconfig: string,
  seed: string,
  out: string,
): Promise<void> {
  const credentials = loadKubeconfig(operatorKubeconfig);
  if (!credentials.caPem) throw new Error(`${operatorKubeconfig} has no certificate-authority-data for the garden`);
  const client = new RestClient(credentials, { userAgent: 'transplant-up' });
  const user = gardenletUser(seed);
  const token = await reissueToken(client, { name: user, uid: user, groups: [seedsGroup] });
  await writeKubeconfig(
    out,
    buildKubeconfig({
      clusterName: 'garden',
      server: credentials.server,
      caPem: credentials.caPem,
      user: { name: user, token },
    }),
  );
}
