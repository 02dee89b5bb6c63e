/**
 * `transplant garden`: runs the garden (or one replica of it) until SIGINT/SIGTERM. Key material
 * for etcd comes from files, never from the command line.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import type { HostedStore } from '../hosting/hosted-api-server.js';
import { type AuditFlags, addAuditFlags, auditLogFromFlags, auditPolicyFromFlags } from './audit-flags.js';
import { port, seconds } from './option-parsers.js';
import { addRequestLimitFlags, type RequestLimitFlags, requestLimitsOf } from './request-limit-flags.js';
import { runUntilSignal } from './run-until-signal.js';

interface GardenCommandOptions extends AuditFlags, RequestLimitFlags {
  dir: string;
  listenAddress: string;
  advertiseAddress?: string[];
  port: number;
  store: 'sqlite' | 'etcd';
  etcdEndpoints?: string[];
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  etcdPrefix: string;
  encryptionProviderConfig?: string;
  leaderElect: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  logLevel: string;
  seedAuthorization: boolean;
}

function list(value: string, previous: string[] = []): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('needs at least one value');
  return [...previous, ...items];
}

function bool(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('must be true or false');
}

export function gardenCommand(): Command {
  const command = new Command('garden')
    .description(
      'Run the garden: the Gardener-compatible API server (core.gardener.cloud/v1beta1, RBAC; SQLite or etcd store) and its controller manager.\n' +
        'Writes DIR/garden.kubeconfig (operator, may use shoots/binding) and DIR/project-member.kubeconfig (member of project "dev").\n' +
        'With --store etcd several replicas (each with its own DIR) serve one garden: its CA and token digests live in etcd, and only\n' +
        'the replica holding the Lease kube-system/gardener-controller-manager-leader-election runs the controllers.',
    )
    .requiredOption(
      '--dir <dir>',
      'state directory: store, certificates, credentials, kubeconfigs (created if missing)',
    )
    .option('--listen-address <address>', 'address to listen on', '127.0.0.1')
    .option('--host <address>', 'alias of --listen-address (kept for existing callers)')
    .option(
      '--advertise-address <host[:port],...>',
      'address(es) others reach the garden at (e.g. the load balancer); the first goes into the kubeconfigs written, all into the serving certificate (default: the listen address and port)',
      list,
    )
    .option('--port <port>', 'port to listen on; 0 picks a free one and keeps it for later starts', port, 0)
    .addOption(new Option('--store <kind>', 'where objects live').choices(['sqlite', 'etcd']).default('sqlite'))
    .option('--etcd-endpoints <url,...>', 'for --store etcd: client URLs of the etcd members', list)
    .option('--etcd-ca-file <file>', "for --store etcd: the CA of the members' certificates")
    .option('--etcd-cert-file <file>', 'for --store etcd: client certificate to present')
    .option('--etcd-key-file <file>', 'for --store etcd: key of the client certificate')
    .option('--etcd-prefix <prefix>', 'for --store etcd: prefix of every key', '/garden')
    .option(
      '--encryption-provider-config <file>',
      "kube-apiserver's EncryptionConfiguration (apiserver.config.k8s.io/v1; providers aesgcm, identity) encrypting Secrets and ShootStates at rest; default on SQLite DIR/encryption-config.yaml, generated once; required with --store etcd (the same file on every replica)",
    )
    .option('--leader-elect <bool>', 'run the controllers only while holding the leader-election Lease', bool, true)
    .option('--leader-elect-lease-duration <seconds>', 'how long a Lease not renewed keeps others out', seconds, 15)
    .option(
      '--leader-elect-renew-deadline <seconds>',
      'how long the leader tries to renew before it stops leading',
      seconds,
      10,
    )
    .option('--leader-elect-retry-period <seconds>', 'how often candidates try to take or renew the Lease', seconds, 2)
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
    .option(
      '--seed-authorization <bool>',
      "decide gardenlets' requests by their seed's objects (SeedAuthorizer, SeedRestriction); false is for benchmarks measuring their cost only",
      bool,
      true,
    );
  return addAuditFlags(addRequestLimitFlags(command), "the garden's API server").action(
    async (options: GardenCommandOptions & { host?: string }) => {
      await runGardenCommand({ ...options, listenAddress: options.host ?? options.listenAddress });
    },
  );
}

async function storeOf(options: GardenCommandOptions): Promise<HostedStore> {
  if (options.store === 'sqlite') return { kind: 'sqlite' };
  if (!options.etcdEndpoints?.length) throw new InvalidArgumentError('--store etcd needs --etcd-endpoints');
  if (!!options.etcdCertFile !== !!options.etcdKeyFile) {
    throw new InvalidArgumentError('--etcd-cert-file and --etcd-key-file go together');
  }
  const read = (file: string | undefined) => (file ? readFile(file, 'utf8') : undefined);
  const [caPem, certPem, keyPem] = await Promise.all([
    read(options.etcdCaFile),
    read(options.etcdCertFile),
    read(options.etcdKeyFile),
  ]);
  return {
    kind: 'etcd',
    endpoints: options.etcdEndpoints,
    ...(caPem ? { tls: { caPem, ...(certPem && keyPem ? { certPem, keyPem } : {}) } } : {}),
    prefix: options.etcdPrefix,
  };
}

async function runGardenCommand(options: GardenCommandOptions): Promise<void> {
  const audit = auditLogFromFlags(options, options.dir, await auditPolicyFromFlags(options));
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const { startGarden } = await import('../garden/garden.js');
  const garden = await startGarden({
    dir: options.dir,
    host: options.listenAddress,
    ...(options.advertiseAddress ? { advertise: options.advertiseAddress } : {}),
    port: options.port,
    store: await storeOf(options),
    ...(options.encryptionProviderConfig ? { encryptionConfigFile: resolve(options.encryptionProviderConfig) } : {}),
    limits: requestLimitsOf(options),
    leaderElect: options.leaderElect,
    seedAuthorization: options.seedAuthorization,
    leaderElection: {
      leaseDurationSeconds: options.leaderElectLeaseDuration,
      renewDeadlineSeconds: options.leaderElectRenewDeadline,
      retryPeriodSeconds: options.leaderElectRetryPeriod,
    },
    logger,
    ...(audit ? { audit } : {}),
  });
  process.stdout.write(`garden API serving at ${garden.url}\n`);
  process.stdout.write(`operator kubeconfig: ${garden.operatorKubeconfig}\n`);
  process.stdout.write(`project member kubeconfig: ${garden.memberKubeconfig}\n`);
  runUntilSignal(logger, 'garden', () => garden.stop());
}
