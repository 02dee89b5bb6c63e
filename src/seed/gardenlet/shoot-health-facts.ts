/**
 * What the seed hosting a shoot's control plane observes of it, for the shoot's health
 * conditions (src/seed/gardenlet/shoot-care.ts): the API server's `/healthz`, the control-plane
 * components running here, the nodes, and every node's tunnel.
 */
import type { ShootComponents } from './components/index.js';
import { nodesWanted } from './components/worker.js';
import { describeAnswer, nodeNotReady } from './shoot-api-probe.js';
import type { ShootHealthFacts } from './shoot-care.js';

export async function observeShootHealth(c: ShootComponents): Promise<ShootHealthFacts> {
  const controlPlaneProblems = [
    ...((await c.etcdMain.healthy()) ? [] : ['etcd-main is not ready']),
    ...(c.kubeApiServer.running ? [] : ['kube-apiserver is not running']),
    ...(c.kubeControllerManager.running ? [] : ['kube-controller-manager is not running']),
    ...(c.kubeScheduler.running ? [] : ['kube-scheduler is not running']),
    ...(c.vpnSeedServer.running ? [] : ['vpn-seed-server is not running']),
  ];
  const wanted = nodesWanted(c.context.shoot);
  const secrets = await c.secrets.persisted();
  if (!secrets) {
    const problem = 'the control plane has no credentials on this seed';
    return { apiServerProblem: problem, controlPlaneProblems, nodesWanted: wanted, nodes: [], tunnelProblems: [] };
  }
  const probe = c.kubeApiServer.probe(secrets);
  const healthz = await probe.get('/healthz');
  const apiServerProblem = healthz.status === 200 ? undefined : describeAnswer(healthz);
  const list = apiServerProblem ? { problem: 'the API server is not available' } : await probe.list('/api/v1/nodes');
  if ('problem' in list) {
    const tunnelProblems = [`the nodes cannot be listed (${list.problem})`];
    return { apiServerProblem, controlPlaneProblems, nodesWanted: wanted, nodes: [], tunnelProblems };
  }
  const nodes = list.items.map((node) => ({ name: node.metadata.name!, notReady: nodeNotReady(node) }));
  const tunnelProblems = (await Promise.all(nodes.map((n) => probe.tunnelProblem(n.name)))).filter(
    (p) => p !== undefined,
  );
  return { apiServerProblem, controlPlaneProblems, nodesWanted: wanted, nodes, tunnelProblems };
}
