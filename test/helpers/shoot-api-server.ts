/**
 * A shoot's kube-apiserver for tests, over a real etcd, on a loopback address of its own, with
 * the shoot's vpn-seed-server beside it: its CAs, kubeconfigs for any user, and a restart that
 * brings up new instances of both on the same address and store — as the destination seed does
 * after a migration.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildKubeconfig } from '../../src/apiserver/kubeconfig.js';
import {
  type CertificateAuthority,
  generateCertificateAuthority,
  issueCertificate,
} from '../../src/apiserver/pki/certificates.js';
import {
  type ShootApiServer,
  type ShootApiServerOptions,
  startShootApiServer,
} from '../../src/shoot/kube-apiserver.js';
import { servingSeedDnsName } from '../../src/shoot/serving-seed.js';
import {
  startVpnSeedServer,
  type VpnSeedServer,
  type VpnSeedServerOptions,
} from '../../src/shoot/vpn/vpn-seed-server.js';
import { startTestEtcd, type TestEtcd } from './etcd.js';

export interface TestShootApi {
  readonly url: string;
  /** `wss://…` of the shoot's vpn-seed-server. */
  readonly vpnUrl: string;
  /** The running vpn-seed-server (undefined while stopped). */
  vpn(): VpnSeedServer | undefined;
  readonly ca: CertificateAuthority;
  readonly caClient: CertificateAuthority;
  /** The shoot's etcd (plain gRPC), for tests that look at what is stored. */
  readonly etcdEndpoints: readonly string[];
  /** A temp dir for the test's files; removed by `cleanup()`. */
  readonly dir: string;
  /** Writes a kubeconfig for a client certificate of `user` in `groups` (signed by `caClient` unless `signer`). */
  kubeconfig(user: string, groups: readonly string[], signer?: CertificateAuthority): Promise<string>;
  /** Stops serving, the vpn-seed-server too (connections are refused); etcd keeps running. */
  stop(): Promise<void>;
  /** A new server instance on the same address and store. */
  start(): Promise<void>;
  /** The running server instance (undefined while stopped). */
  server(): ShootApiServer | undefined;
  /**
   * Another instance on the same address and store, besides the running one (a live migration's
   * destination: started with `deferListen`, it binds once the other lets go); the caller stops it.
   */
  startAnother(extra: Pick<ShootApiServerOptions, 'deferListen'>): Promise<ShootApiServer>;
  cleanup(): Promise<void>;
}

/** The seed the test API server's certificate names (src/shoot/serving-seed.ts). */
export const TEST_SERVING_SEED = 'seed-test';

export async function startTestShootApi(name = 'shoot--dev--test'): Promise<TestShootApi> {
  const dir = await mkdtemp(join(tmpdir(), 'transplant-shoot-api-'));
  const host = `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  const [ca, caClient] = await Promise.all([
    generateCertificateAuthority('kubernetes'),
    generateCertificateAuthority('kubernetes-client'),
  ]);
  let etcd: TestEtcd | undefined;
  let api: ShootApiServer | undefined;
  let vpn: VpnSeedServer | undefined;
  try {
    etcd = await startTestEtcd();
    const serving = await issueCertificate(ca, {
      commonName: 'kube-apiserver',
      ipAddresses: [host],
      dnsNames: [servingSeedDnsName(TEST_SERVING_SEED)],
      usage: 'server',
    });
    const logger = pino({ level: 'silent' });
    const vpnOptions: VpnSeedServerOptions = { name, host, port: 0, serving, clientCaPem: caClient.certPem, logger };
    vpn = await startVpnSeedServer(vpnOptions);
    vpnOptions.port = Number(new URL(vpn.url).port);
    const options: ShootApiServerOptions = {
      name,
      etcd: { endpoints: etcd.endpoints },
      serving,
      clientCaPem: caClient.certPem,
      staticToken: randomBytes(32).toString('hex'),
      encryptionKeyBase64: randomBytes(32).toString('base64'),
      host,
      port: 0,
      logger,
      nodeTunnels: () => vpn,
    };
    api = await startShootApiServer(options);
    // Later instances keep the port, as the stable address does.
    options.port = Number(new URL(api.url).port);
    const url = api.url;
    let files = 0;
    return {
      url,
      vpnUrl: vpn.url,
      vpn: () => vpn,
      ca,
      caClient,
      etcdEndpoints: etcd.endpoints,
      dir,
      async kubeconfig(user, groups, signer = caClient) {
        const pair = await issueCertificate(signer, { commonName: user, organizations: groups, usage: 'client' });
        const path = join(dir, `user-${files++}.kubeconfig`);
        const user_ = { name: user, clientCertPem: pair.certPem, clientKeyPem: pair.keyPem };
        await writeFile(path, buildKubeconfig({ clusterName: name, server: url, caPem: ca.certPem, user: user_ }), {
          mode: 0o600,
        });
        return path;
      },
      async stop() {
        await Promise.all([api?.stop(), vpn?.stop()]);
        api = undefined;
        vpn = undefined;
      },
      async start() {
        vpn ??= await startVpnSeedServer(vpnOptions);
        api ??= await startShootApiServer(options);
      },
      server: () => api,
      startAnother: (extra) => startShootApiServer({ ...options, ...extra }),
      async cleanup() {
        await Promise.all([api?.stop(), vpn?.stop()]);
        await etcd?.cleanup();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all([api?.stop(), vpn?.stop()]);
    await etcd?.cleanup();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
