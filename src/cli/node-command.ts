/**
 * `transplant node`: one machine's node agent (src/shoot/node-agent.ts). The Worker extension
 * starts it with the machine's kubeconfig; nothing secret is on the command line.
 */
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parseQuantity } from '../api/quantity.js';
import { parseCidr } from '../shoot/kubelet/pod-ips.js';

interface NodeCommandOptions {
  name: string;
  kubeconfig: string;
  machineDir?: string;
  egressDenyFile?: string;
  vpnServer?: string;
  kubeletVersion?: string;
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  internalIp?: string;
  podCidr?: string;
  completeAfter: number;
  leaseDuration: number;
  renewInterval: number;
  logLevel: string;
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

function vpnUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL such as wss://127.64.1.2:8132');
  }
  if (url.protocol !== 'wss:') throw new InvalidArgumentError('must be a wss:// URL (the tunnel runs over TLS only)');
  return value;
}

function kubernetesVersion(value: string): string {
  const match = /^v?(\d+\.\d+\.\d+)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be a Kubernetes version such as v1.31.1');
  return `v${match[1]}`;
}

/** `cpu=2,memory=4Gi,pods=110`: resource names and quantities. */
function resourceList(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',').filter(Boolean)) {
    const [name, quantity] = pair.split('=');
    if (!name || !quantity || parseQuantity(quantity) === undefined) {
      throw new InvalidArgumentError(`"${pair}" is not resource=quantity (e.g. cpu=2,memory=4Gi,pods=110)`);
    }
    out[name] = quantity;
  }
  return out;
}

/** `a=b,c=d`: the Node's labels (checked by the API server when the Node is registered). */
function labelList(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of value.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InvalidArgumentError(`"${pair}" is not key=value`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

function ipv4(value: string): string {
  if (isIPv4(value)) return value;
  throw new InvalidArgumentError('must be an IPv4 address');
}

function ipv4Cidr(value: string): string {
  if (parseCidr(value)) return value;
  throw new InvalidArgumentError('must be an IPv4 CIDR such as 100.96.0.0/24 (prefix 8 to 30)');
}

export function nodeCommand(): Command {
  return new Command('node')
    .description(
      "Run a machine's node agent: registers the Node in the shoot (capacity, addresses, pod CIDR), keeps its Ready " +
        'condition and its Lease in kube-node-lease renewed, runs the pods bound to it as a simulated kubelet (Running ' +
        'with container statuses, Succeeded for run-to-completion pods, graceful deletion; no container runs), ' +
        "and reaches the API server only at the address in the kubeconfig (the shoot's " +
        'stable address), retrying while it is away (e.g. during a migration). With --vpn-server it also holds the ' +
        "node's end of the shoot's VPN tunnel, through which the API server reaches the node (nodes/<name>/proxy). " +
        'Stops on SIGTERM.',
    )
    .requiredOption('--name <name>', "the node's name")
    .requiredOption(
      '--kubeconfig <file>',
      "the shoot's API server and the node's client certificate (system:node:<name>)",
    )
    .option(
      '--machine-dir <dir>',
      'the machine directory (set by the Worker extension; marks the process as that machine)',
    )
    .option(
      '--egress-deny-file <file>',
      'seeds (one per line) whose network this machine may not reach; default MACHINE_DIR/egress-deny',
    )
    .option(
      '--vpn-server <url>',
      "the shoot's vpn-seed-server (wss://<stable address>:8132); the node dials it with the kubeconfig's certificate",
      vpnUrl,
    )
    .option(
      '--kubelet-version <version>',
      "the version the Node reports in status.nodeInfo.kubeletVersion (kubectl's VERSION column)",
      kubernetesVersion,
    )
    .option(
      '--capacity <resources>',
      "the node's capacity and allocatable, e.g. cpu=2,memory=4Gi,pods=110,ephemeral-storage=50Gi (defaults fill the rest)",
      resourceList,
    )
    .option(
      '--labels <labels>',
      'labels of the Node, e.g. worker.gardener.cloud/pool=local (set when it registers)',
      labelList,
    )
    .option('--internal-ip <ip>', "the node's InternalIP address, which its pods report as hostIP", ipv4)
    .option(
      '--pod-cidr <cidr>',
      "the node's pod CIDR (spec.podCIDR) when its Node has none; pods get addresses from it",
      ipv4Cidr,
    )
    .option(
      '--complete-after <seconds>',
      "how long a run-to-completion pod (restartPolicy Never/OnFailure, a Job's) runs before it succeeds",
      positiveSeconds,
      5,
    )
    .option('--lease-duration <seconds>', "the Lease's leaseDurationSeconds", positiveSeconds, 40)
    .option(
      '--renew-interval <seconds>',
      'how often the Lease and the Ready condition are renewed',
      positiveSeconds,
      10,
    )
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', 'info')
    .action(async (options: NodeCommandOptions) => {
      // Loaded when the command runs: every other command of the CLI starts without them. pino's
      // `default` (its module.exports), the one export a bundled import of a CommonJS module has.
      const [{ default: pino }, { kubeconfigChanges, loadKubeconfig }, { startNodeAgent }, { runUntilSignal }] =
        await Promise.all([
          import('pino'),
          import('../client/kubeconfig-file.js'),
          import('../shoot/node-agent.js'),
          import('./run-until-signal.js'),
        ]);
      const logger = pino({ level: options.logLevel }, pino.destination(2));
      const egressDenyFile =
        options.egressDenyFile ?? (options.machineDir ? join(options.machineDir, 'egress-deny') : undefined);
      const agent = startNodeAgent({
        name: options.name,
        credentials: loadKubeconfig(options.kubeconfig),
        reloadCredentials: kubeconfigChanges(options.kubeconfig),
        leaseDurationSeconds: Math.round(options.leaseDuration),
        renewIntervalMs: options.renewInterval * 1000,
        ...(egressDenyFile ? { egressDenyFile } : {}),
        ...(options.vpnServer ? { vpnServerUrl: options.vpnServer } : {}),
        ...(options.kubeletVersion ? { kubeletVersion: options.kubeletVersion } : {}),
        ...(options.capacity ? { capacity: options.capacity } : {}),
        ...(options.labels ? { labels: options.labels } : {}),
        ...(options.internalIp ? { internalIP: options.internalIp } : {}),
        ...(options.podCidr ? { podCIDR: options.podCidr } : {}),
        completeAfterMs: options.completeAfter * 1000,
        logger,
      });
      logger.info({ node: options.name, machineDir: options.machineDir }, 'node agent started');
      runUntilSignal(logger, `node agent ${options.name}`, () => agent.stop());
    });
}
