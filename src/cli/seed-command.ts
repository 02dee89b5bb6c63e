/**
 * `transplant seed`: runs a seed (its API server and gardenlet) until SIGINT/SIGTERM.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { readS3CredentialsJson, s3CredentialsFromEnv } from '../backup/snapstore/credentials.js';
import { crashPointHooksFromEnv } from '../flow/crash-point.js';
import { extensionPackagesFromFlag } from '../seed/extensions/extension-packages.js';
import type { SeedBackupConfig } from '../seed/gardenlet/seed-registration.js';
import { ShootAddressPool } from '../seed/gardenlet/shoot-address-pool.js';
import { startSeed } from '../seed/seed.js';
import { type AuditFlags, auditLogFromFlags, auditPolicyFromFlags } from './audit-flags.js';
import { type RequestLimitFlags, requestLimitsOf } from './request-limit-flags.js';
import { runUntilSignal } from './run-until-signal.js';

export interface SeedCommandOptions extends AuditFlags, RequestLimitFlags {
  name: string;
  gardenKubeconfig: string;
  bootstrapKubeconfig?: string;
  dir: string;
  listenAddress?: string;
  /** The older name of --listen-address. */
  host?: string;
  advertiseAddress?: string;
  etcdPeerAddress?: string;
  etcdPeerAdvertiseAddress?: string;
  port: number;
  encryptionProviderConfig?: string;
  shootAddresses?: string;
  dnsRecordTtl?: number;
  backupProvider?: string;
  backupRoot?: string;
  backupEndpoint?: string;
  backupCredentialsFile?: string;
  /** Milliseconds (`--backup-entry-deletion-grace-period`). */
  backupEntryDeletionGracePeriod?: number;
  infrastructureDir?: string;
  providerType: string;
  region: string;
  extensions?: string;
  waitTimeout?: number;
  nodeMonitorGracePeriod?: number;
  logLevel: string;
  shootAuditLogDir?: string;
}

/**
 * The seed's backup location from the flags. S3 credentials come from a file (an etcdbrctl
 * credentials JSON named by --backup-credentials-file) or from the environment as etcdbrctl reads
 * them (AWS_APPLICATION_CREDENTIALS_JSON, AWS_APPLICATION_CREDENTIALS, AWS_ACCESS_KEY_ID & co.),
 * never from the command line.
 */
export async function seedBackupFromFlags(
  options: Pick<SeedCommandOptions, 'backupProvider' | 'backupRoot' | 'backupEndpoint' | 'backupCredentialsFile'>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SeedBackupConfig | undefined> {
  switch (options.backupProvider) {
    case undefined:
      return undefined;
    case 'local':
      if (!options.backupRoot) throw new Error('--backup-provider local needs --backup-root DIR');
      return { provider: 'local', region: 'local', root: resolve(options.backupRoot) };
    case 's3': {
      const credentials = options.backupCredentialsFile
        ? await readS3CredentialsJson(resolve(options.backupCredentialsFile))
        : await s3CredentialsFromEnv(env);
      if (options.backupEndpoint) {
        if (!URL.canParse(options.backupEndpoint)) {
          throw new Error(`--backup-endpoint ${JSON.stringify(options.backupEndpoint)} is not a URL`);
        }
        credentials.endpoint = options.backupEndpoint;
      }
      return { provider: 's3', region: credentials.region, credentials };
    }
    default:
      throw new Error(`--backup-provider ${options.backupProvider} is not supported: use "local" or "s3"`);
  }
}

/**
 * On a seed's first start its garden kubeconfig may not exist yet: then the seed's credential is
 * issued with --bootstrap-kubeconfig (an operator's, as Gardener's gardenlet bootstraps with a
 * bootstrap kubeconfig) and written there; later starts never read the bootstrap kubeconfig.
 */
async function ensureGardenKubeconfig(options: SeedCommandOptions): Promise<void> {
  if (existsSync(options.gardenKubeconfig)) return;
  if (!options.bootstrapKubeconfig) {
    throw new Error(
      `--garden-kubeconfig ${options.gardenKubeconfig} does not exist: issue it (transplant seed-credentials issue) or give --bootstrap-kubeconfig`,
    );
  }
  const { issueSeedKubeconfigThroughApi } = await import('../garden/seed-credentials.js');
  await issueSeedKubeconfigThroughApi(options.bootstrapKubeconfig, options.name, options.gardenKubeconfig);
}

export async function runSeedCommand(options: SeedCommandOptions): Promise<void> {
  if (options.listenAddress && options.host && options.listenAddress !== options.host) {
    throw new Error('--host is the older name of --listen-address: give one of them');
  }
  const backup = await seedBackupFromFlags(options);
  const auditPolicy = await auditPolicyFromFlags(options);
  const audit = auditLogFromFlags(options, options.dir, auditPolicy);
  const shootAuditDir = options.shootAuditLogDir ?? join(options.dir, 'audit', 'shoots');
  await ensureGardenKubeconfig(options);
  const logger = pino({ level: options.logLevel }, pino.destination(2));
  const seed = await startSeed({
    name: options.name,
    dir: options.dir,
    gardenKubeconfig: options.gardenKubeconfig,
    listenAddress: options.listenAddress ?? options.host ?? '127.0.0.1',
    ...(options.advertiseAddress ? { advertiseAddress: options.advertiseAddress } : {}),
    ...(options.etcdPeerAddress ? { etcdPeerAddress: options.etcdPeerAddress } : {}),
    ...(options.etcdPeerAdvertiseAddress ? { etcdPeerAdvertiseAddress: options.etcdPeerAdvertiseAddress } : {}),
    port: options.port,
    ...(options.encryptionProviderConfig ? { encryptionConfigFile: resolve(options.encryptionProviderConfig) } : {}),
    limits: requestLimitsOf(options),
    ...(options.shootAddresses ? { shootAddresses: ShootAddressPool.parse(options.shootAddresses) } : {}),
    ...(options.dnsRecordTtl !== undefined ? { dnsRecordTtl: options.dnsRecordTtl } : {}),
    logger,
    provider: { type: options.providerType, region: options.region },
    extensions: extensionPackagesFromFlag(options.extensions),
    backup,
    // The crash tests' crash points (TRANSPLANT_CRASH_FILE); none otherwise.
    flowHooks: crashPointHooksFromEnv(),
    ...(audit ? { audit } : {}),
    ...(shootAuditDir
      ? {
          shootAudit: {
            dir: shootAuditDir,
            ...(auditPolicy ? { policy: auditPolicy } : {}),
            maxSizeMegabytes: options.auditLogMaxsize,
            maxBackups: options.auditLogMaxbackup,
          },
        }
      : {}),
    ...(options.infrastructureDir ? { infrastructureDir: resolve(options.infrastructureDir) } : {}),
    ...(options.waitTimeout !== undefined ? { waitTimeoutMs: options.waitTimeout * 1000 } : {}),
    ...(options.backupEntryDeletionGracePeriod !== undefined
      ? { backupEntryDeletionGracePeriodMs: options.backupEntryDeletionGracePeriod }
      : {}),
    ...(options.nodeMonitorGracePeriod !== undefined
      ? { nodeMonitorGracePeriodMs: options.nodeMonitorGracePeriod * 1000 }
      : {}),
  });
  process.stdout.write(`seed ${seed.name} API serving at ${seed.url}\n`);
  process.stdout.write(`seed admin kubeconfig: ${seed.adminKubeconfig}\n`);
  runUntilSignal(logger, `seed ${seed.name}`, () => seed.stop());
}
