/**
 * The `transplant` command's flags and actions (main.ts loads it, bundled or not). A command's
 * module is loaded when it runs: a process loads only what it uses (a node agent or
 * `transplant down` does not load the seed's API server).
 */
import { Command, InvalidArgumentError } from 'commander';
import { EXTENSION_PACKAGES } from '../seed/extensions/extension-packages.js';
import { addAuditFlags } from './audit-flags.js';
import { backupCommand } from './backup/backup-command.js';
import { evacuateCommand } from './evacuate-flags.js';
import { gardenCommand } from './garden-command.js';
import { migrateCommand } from './migrate-flags.js';
import { programName } from './migrate-kubectl-plugin.js';
import { nodeCommand } from './node-command.js';
import { nonNegativeDuration, perSeed, port, repeated, seconds } from './option-parsers.js';
import { addRequestLimitFlags } from './request-limit-flags.js';
import { rewriteEncryptedCommand } from './rewrite-encrypted-command.js';
import type { SeedCommandOptions } from './seed-command.js';
import { seedCredentialsCommand } from './seed-credentials-command.js';

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

// Everything transplant and the processes it starts (etcd, knot, haproxy, node agents) create is
// the owner's alone: state directories 0700, keys, stores and logs 0600 (docs/security.md).
process.umask(0o077);

const EXTENSION_PACKAGE_NAMES = EXTENSION_PACKAGES.map((p) => p.name).join(', ');

const program = new Command();
program
  // `kubectl transplant` when kubectl runs it as its plugin (the executable kubectl-transplant).
  .name(programName(process.argv[1]))
  .description('Hosts Kubernetes control planes on seeds and migrates them between seeds (Gardener API).')
  .version('0.1.0');

program.addCommand(gardenCommand());
program.addCommand(seedCredentialsCommand());

const seedCommand = program
  .command('seed')
  .description(
    'Run a seed: its API server (extension and druid resources, control-plane namespaces; SQLite store) and its gardenlet,\n' +
      'which registers the Seed in the garden, keeps its heartbeat and runs the control planes (etcd, kube-apiserver) of\n' +
      'the shoots placed on it. Writes DIR/seed.kubeconfig (seed admin); control-plane data lives in DIR/controlplanes.',
  )
  .requiredOption('--name <name>', 'the seed name')
  .requiredOption(
    '--garden-kubeconfig <file>',
    "kubeconfig of the gardenlet's identity in the garden (its own credential; read again when the garden refuses it, so a rotation is picked up)",
  )
  .option(
    '--bootstrap-kubeconfig <file>',
    "an operator's garden kubeconfig, used only on a first start when --garden-kubeconfig does not exist: the seed's credential is issued with it and written there (remove it from the seed's host afterwards)",
  )
  .requiredOption('--dir <dir>', 'state directory (created if missing)')
  .option('--listen-address <address>', "address the seed's API server listens on (default 127.0.0.1)")
  .option('--host <address>', 'the same as --listen-address (older name)')
  .option(
    '--advertise-address <host>',
    "address or name others reach the seed's API server at (its kubeconfig, its certificate); default the listen address",
  )
  .option('--port <port>', 'port to listen on; 0 picks a free one and keeps it for later starts', port, 0)
  .option(
    '--etcd-peer-address <address>',
    "address of this seed's etcd peer network, where its etcd peer probe listens (TLS; other seeds probe it before a live migration) and, when given, shoot etcd members with peer TLS too (their certificates name it); default the listen address (members: 127.0.0.1)",
  )
  .option(
    '--etcd-peer-advertise-address <host[:port]>',
    "where other seeds reach that network (published on the Seed), e.g. behind a NAT; default the etcd peer address (or --advertise-address) with the probe's port",
  )
  .option(
    '--encryption-provider-config <file>',
    "kube-apiserver's EncryptionConfiguration (aesgcm, identity) for the seed's Secrets at rest; default DIR/encryption-config.yaml, generated once",
  )
  .option(
    '--shoot-addresses <list|cidr>',
    "addresses of this host for shoots' endpoints (kube-apiserver :443, vpn-seed-server), one per shoot placed here, e.g. 10.0.1.0/28 or 10.0.1.5,10.0.1.6; default: each shoot's stable loopback address",
  )
  .option(
    '--dns-record-ttl <seconds>',
    "TTL of the shoots' DNS records when the garden has an internal domain: how long resolvers may keep the old address after a migration",
    seconds,
    120,
  )
  .option('--backup-provider <provider>', 'backup provider of the seed (local or s3)')
  .option('--backup-root <dir>', 'for the local provider: the directory holding the backup bucket')
  .option('--backup-endpoint <url>', 'for s3: the S3-compatible endpoint (path-style addressing)')
  .option(
    '--backup-credentials-file <file>',
    'for s3: an etcdbrctl credentials JSON (accessKeyID, secretAccessKey, region, …); default: AWS_APPLICATION_CREDENTIALS_JSON, AWS_APPLICATION_CREDENTIALS or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION',
  )
  .option(
    '--backup-entry-deletion-grace-period <duration>',
    "how long a deleted shoot's BackupEntry keeps its backups before they are deleted (Gardener's deletionGracePeriodHours; a Go duration such as 48h, 0 deletes at once; Gardener's default)",
    nonNegativeDuration,
    0,
  )
  .option(
    '--wait-timeout <seconds>',
    'how long a flow\'s "Waiting until …" step waits before the flow fails and is retried',
    seconds,
    60,
  )
  .option(
    '--node-monitor-grace-period <seconds>',
    "how long a shoot node's Lease may go unrenewed before it is Ready=Unknown",
    seconds,
    40,
  )
  .option(
    '--infrastructure-dir <dir>',
    "where the shoots' machines (node agents, which outlive the seed) get their directories; default DIR/infrastructure",
  )
  .option(
    '--provider-type <type>',
    "the seed's provider type (Seed spec.provider.type): the infrastructure it runs on",
    'local',
  )
  .option('--region <region>', "the seed's region (Seed spec.provider.region)", 'local')
  .option(
    '--extensions <packages>',
    `the extension controllers this seed runs, comma-separated, of ${EXTENSION_PACKAGE_NAMES}; its ControllerInstallations report Installed only for registrations these serve (default: all)`,
  )
  .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info');
addAuditFlags(addRequestLimitFlags(seedCommand), "the seed's API server")
  .option(
    '--shoot-audit-log-dir <dir>',
    "where each shoot's API server records its audit log (DIR/<technical id>/audit.log, with --audit-policy-file and the rotation above); '' turns them off (default DIR/audit/shoots)",
  )
  .action(async (options: SeedCommandOptions) => {
    const { runSeedCommand } = await import('./seed-command.js');
    await runSeedCommand(options);
  });

program
  .command('up')
  .description(
    'Start a local landscape: the garden and one process per seed, supervised (restarted when they exit).\n' +
      'Writes DIR/garden.kubeconfig, DIR/project-member.kubeconfig, DIR/seeds/<seed>.kubeconfig and DIR/landscape.json; logs in DIR/logs.\n' +
      "Registers the CloudProfile `local` that the examples' shoots name, as Gardener's local setup does (docs/garden-api.md).\n" +
      'On a landscape that runs already it converges (starts what is missing: a process, a host) and returns, as `docker compose up -d`.',
  )
  .requiredOption('--dir <dir>', 'landscape directory (created if missing)')
  .option('--seeds <names>', 'comma-separated seed names', 'seed-a,seed-b')
  .option(
    '--backup <provider>',
    'backup provider of the seeds: local (a directory per seed under DIR/backups) or s3 (one bucket per seed; credentials from AWS_APPLICATION_CREDENTIALS_JSON or AWS_APPLICATION_CREDENTIALS as etcdbrctl reads them)',
    'local',
  )
  .option('--backup-endpoint <url>', 'for --backup s3: an S3-compatible endpoint (path-style addressing)')
  .option('--wait-timeout <seconds>', "the seeds' --wait-timeout", seconds, 60)
  .option(
    '--backup-entry-deletion-grace-period <duration>',
    "the seeds' --backup-entry-deletion-grace-period",
    nonNegativeDuration,
    0,
  )
  .option('--node-monitor-grace-period <seconds>', "the seeds' --node-monitor-grace-period", seconds, 40)
  .option(
    '--hosts',
    'each part on a host of its own: network namespaces on a landscape bridge (needs root; see docs/hosts.md); default: all on loopback',
    false,
  )
  .option('--machines <n>', 'with --hosts: machine hosts (one machine each)', count, 3)
  .option(
    '--subnet <cidr>',
    "with --hosts: the landscape bridge's /24 (default: a free one of 10.200.0.0–10.254.255.0)",
  )
  .option('--domain <domain>', "with --hosts: the landscape's DNS domain", 'landscape.test')
  .option(
    '--shoot-addresses-per-seed <n>',
    "with --hosts: extra addresses on each seed's host for its shoots' endpoints",
    count,
    8,
  )
  .option(
    '--shoot-addresses <seed=addresses>',
    "a seed's --shoot-addresses, e.g. seed-a=127.10.0.0/28 (repeat for each seed); default: shoots' stable loopback addresses",
    repeated,
  )
  .option(
    '--seed-provider <seed=type[/region]>',
    "a seed's --provider-type and --region, e.g. seed-c=other/eu-1 (repeat for each seed); default local/local",
    repeated,
  )
  .option(
    '--seed-extensions <seed=packages>',
    `a seed's --extensions, e.g. seed-c=backup-local,dns-rfc2136 (repeat for each seed; packages: ${EXTENSION_PACKAGE_NAMES}); default all`,
    repeated,
  )
  .option(
    '--seed-etcd-peer-advertise-address <seed=host[:port]>',
    "a seed's --etcd-peer-advertise-address: where the other seeds reach its etcd peers (repeat for each seed)",
    repeated,
  )
  .option(
    '--monitoring',
    "also run a Prometheus (Debian's /usr/bin/prometheus) on loopback scraping the garden, the seeds and the shoots, with alert rules (docs/operations.md#metrics)",
    false,
  )
  .option('--detach', 'run in the background and return once everything is ready', false)
  .option('--timeout <seconds>', 'how long to wait for the landscape to be ready', port, 120)
  .option('--log-level <level>', 'log level of the processes', 'info')
  .action(
    async (options: {
      dir: string;
      seeds: string;
      backup: string;
      backupEndpoint?: string;
      hosts: boolean;
      machines: number;
      subnet?: string;
      domain: string;
      shootAddressesPerSeed: number;
      detach: boolean;
      timeout: number;
      waitTimeout: number;
      nodeMonitorGracePeriod: number;
      backupEntryDeletionGracePeriod: number;
      shootAddresses?: string[];
      seedProvider?: string[];
      seedExtensions?: string[];
      seedEtcdPeerAdvertiseAddress?: string[];
      monitoring: boolean;
      logLevel: string;
    }) => {
      const seeds = options.seeds
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (seeds.length === 0) throw new InvalidArgumentError('--seeds needs at least one name');
      const shootAddresses = perSeed('--shoot-addresses', 'addresses', options.shootAddresses, seeds);
      const seedProviders = perSeed('--seed-provider', 'type[/region]', options.seedProvider, seeds);
      const seedExtensions = perSeed('--seed-extensions', 'packages', options.seedExtensions, seeds);
      const seedEtcdPeerAdvertiseAddresses = perSeed(
        '--seed-etcd-peer-advertise-address',
        'host[:port]',
        options.seedEtcdPeerAdvertiseAddress,
        seeds,
      );
      const { runUp } = await import('./landscape.js');
      await runUp({
        dir: options.dir,
        seeds,
        backup: options.backup,
        ...(options.backupEndpoint ? { backupEndpoint: options.backupEndpoint } : {}),
        detach: options.detach,
        logLevel: options.logLevel,
        timeoutSeconds: options.timeout,
        seedTimings: {
          waitTimeout: options.waitTimeout,
          nodeMonitorGracePeriod: options.nodeMonitorGracePeriod,
          backupEntryDeletionGracePeriodMs: options.backupEntryDeletionGracePeriod,
        },
        ...(options.hosts
          ? {
              hosts: {
                machines: options.machines,
                domain: options.domain,
                shootAddressesPerSeed: options.shootAddressesPerSeed,
                ...(options.subnet ? { subnet: options.subnet } : {}),
              },
            }
          : {}),
        shootAddresses,
        seedProviders,
        seedExtensions,
        seedEtcdPeerAdvertiseAddresses,
        monitoring: options.monitoring,
      });
    },
  );

program
  .command('down')
  .description('Stop the landscape started by `transplant up --dir DIR`.')
  .requiredOption('--dir <dir>', 'landscape directory')
  .option('--timeout <seconds>', 'how long to wait before killing what still runs', port, 30)
  .action(async (options: { dir: string; timeout: number }) => {
    const { runDown } = await import('./landscape.js');
    await runDown({ dir: options.dir, timeoutSeconds: options.timeout });
  });

program
  .command('exec')
  .description(
    "Run COMMAND on a host of the landscape (default: the operator's) with KUBECONFIG set to the garden kubeconfig;\n" +
      'stdio is inherited and its exit status passed on. Without --hosts, COMMAND runs here. Example:\n' +
      '  transplant exec --dir DIR -- kubectl get seeds',
  )
  .requiredOption('--dir <dir>', 'landscape directory')
  .option('--host <name>', 'the host to run on (a name from landscape.json)')
  .argument('<command...>', 'the command and its arguments (after --)')
  .action(async (command: string[], options: { dir: string; host?: string }) => {
    const { runExec } = await import('./hosts-command.js');
    process.exitCode = await runExec(options, command);
  });

program
  .command('cut')
  .description(
    "Cut the network path from host FROM to host TO as a firewall would (nftables in FROM's namespace): packets are\n" +
      'dropped (connects time out) or, with --reject, refused (TCP reset). FROM and TO are host names from landscape.json\n' +
      'or groups (machines, seeds, stores, etcd, garden). Cutting again replaces the mode. See docs/hosts.md for the raw nft rules.',
  )
  .requiredOption('--dir <dir>', 'landscape directory (started with --hosts)')
  .argument('<from>', 'source host or group')
  .argument('<to>', 'destination host or group')
  .option('--reject', 'refuse (TCP reset, ICMP unreachable) instead of dropping', false)
  .option('--both', 'cut both directions', false)
  .action(async (from: string, to: string, options: { dir: string; reject: boolean; both: boolean }) => {
    const { runCut } = await import('./hosts-command.js');
    await runCut({ ...options, from, to });
  });

program
  .command('heal')
  .description('Remove the cuts between hosts (or groups) FROM and TO, both directions, or every cut with --all.')
  .requiredOption('--dir <dir>', 'landscape directory (started with --hosts)')
  .argument('[from]', 'host or group')
  .argument('[to]', 'host or group')
  .option('--all', 'every cut of the landscape', false)
  .action(async (from: string | undefined, to: string | undefined, options: { dir: string; all: boolean }) => {
    const { runHeal } = await import('./hosts-command.js');
    await runHeal({ ...options, ...(from ? { from } : {}), ...(to ? { to } : {}) });
  });

program
  .command('cuts')
  .description('List the cuts of the landscape: FROM -> TO MODE, one a line.')
  .requiredOption('--dir <dir>', 'landscape directory (started with --hosts)')
  .action(async (options: { dir: string }) => {
    const { runListCuts } = await import('./hosts-command.js');
    await runListCuts(options);
  });

program.addCommand(backupCommand());
program.addCommand(nodeCommand());
program.addCommand(rewriteEncryptedCommand());
program.addCommand(migrateCommand());
program.addCommand(evacuateCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
