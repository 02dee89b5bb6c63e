/**
 * Gardener's "Waiting until the Kubernetes API server can connect to the Shoot workers", both
 * ways, through the shoot's stable address: as many nodes have registered as the worker pools'
 * minimums ask for, every one is Ready and has renewed its Lease since this API server started
 * (it reached this server, not only the one before a migration), and the API server reaches every
 * node through its VPN tunnel (`nodes/<name>/proxy/healthz` answered by the node itself). A shoot
 * without workers has nothing to wait for. The step the seed document's second pitfall (workers
 * cut off from the destination) gets stuck at, naming the nodes.
 */
import { leaseRenewTime } from '../../../api/coordination/lease.js';
import type { TaskContext } from '../../../flow/task-fn.js';
import { NODE_LEASE_NAMESPACE } from '../../../shoot/node-agent.js';
import { nodeNotReady, type ShootApiProbe } from '../shoot-api-probe.js';
import type { ComponentContext } from './context.js';
import type { KubeApiServer } from './kube-apiserver.js';
import type { SecretsManager } from './secrets.js';
import { NotYetError, waitUntil } from './wait.js';
import { nodesWanted } from './worker.js';

export class WorkerConnectivity {
  readonly #c: ComponentContext;
  readonly #secrets: SecretsManager;
  readonly #kubeApiServer: KubeApiServer;

  constructor(c: ComponentContext, secrets: SecretsManager, kubeApiServer: KubeApiServer) {
    this.#c = c;
    this.#secrets = secrets;
    this.#kubeApiServer = kubeApiServer;
  }

  async wait(ctx: TaskContext): Promise<void> {
    const probe = this.#kubeApiServer.probe(this.#secrets.current);
    await waitUntil(ctx, this.#c.waitTimeoutMs, async () => {
      const problems = await this.#problems(probe);
      if (problems.length > 0) {
        throw new NotYetError(
          `the Kubernetes API server at ${probe.url} and the shoot's workers do not reach each other yet: ${problems.join('; ')}`,
        );
      }
    });
  }

  async #problems(probe: ShootApiProbe): Promise<string[]> {
    const [nodes, leases] = await Promise.all([
      probe.list('/api/v1/nodes'),
      probe.list(`/apis/coordination.k8s.io/v1/namespaces/${NODE_LEASE_NAMESPACE}/leases`),
    ]);
    if ('problem' in nodes) return [`nodes: ${nodes.problem}`];
    if ('problem' in leases) return [`leases: ${leases.problem}`];
    const since = this.#kubeApiServer.startedAt ?? 0;
    const renewed = new Map(
      leases.items.map((lease) => [lease.metadata.name, Date.parse(leaseRenewTime(lease) ?? '')] as const),
    );
    const nodeProblems = await Promise.all(
      nodes.items.map(async (node) => {
        const name = node.metadata.name!;
        const notReady = nodeNotReady(node);
        if (notReady) return `${name} is not Ready${notReady === 'not Ready' ? '' : ` (${notReady})`}`;
        if (!((renewed.get(name) ?? 0) >= since)) return `${name} has not reached this API server yet`;
        return probe.tunnelProblem(name);
      }),
    );
    const problems = nodeProblems.filter((p) => p !== undefined);
    const wanted = nodesWanted(this.#c.shoot);
    if (nodes.items.length < wanted) problems.unshift(`${nodes.items.length} of ${wanted} nodes have registered`);
    return problems;
  }
}
