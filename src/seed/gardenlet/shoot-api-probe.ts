/**
 * The gardenlet's look into a shoot's API server, as the shoot's clients see it: GETs through
 * the shoot's endpoint, trusting the shoot's CA, with the gardenlet's static token. Answers are
 * read as text whatever their status (`/healthz` says `ok`), and a failure to get one is an
 * answer too (status 0): the callers report what they saw rather than fail.
 *
 * Its one write is a question to a machine: a migration preflight's probe request on a Node.
 *
 * A seed keeps one probe per hosted shoot (`ShootApiProbes`): its keep-alive connections and TLS
 * session outlive a single wait or health check, which under load saves a TLS handshake per look.
 */
import { createHash } from 'node:crypto';
import { nodeResource } from '../../api/core/node.js';
import { conditionOf } from '../../api/core-gardener/conditions.js';
import type { KubeObject } from '../../api/meta.js';
import { type RawResponse, RestClient } from '../../client/rest-client.js';
import { clusterCaBundle } from '../../shoot/credentials-rotation.js';
import type { ShootSecrets } from '../../shoot/shoot-secrets.js';
import type { ShootEndpoint } from './shoot-endpoint.js';

/** How long one GET may take before it counts as no answer. */
const PROBE_TIMEOUT_MS = 5_000;

export class ShootApiProbe {
  readonly #client: RestClient;

  constructor(endpoint: ShootEndpoint, secrets: ShootSecrets) {
    this.#client = new RestClient(
      { server: endpoint.apiUrl, caPem: clusterCaBundle(secrets), token: secrets.staticToken },
      { userAgent: 'gardenlet' },
    );
  }

  get url(): string {
    return this.#client.server;
  }

  /** The answer to `GET path`, or status 0 with why there was none. */
  get(path: string): Promise<RawResponse> {
    return this.#client.getRaw(path, PROBE_TIMEOUT_MS).catch((err: Error) => ({ status: 0, body: err.message }));
  }

  /** The items of a list answer (`/api/v1/nodes`), or why there are none. */
  async list(path: string): Promise<{ items: KubeObject[] } | { problem: string }> {
    const answer = await this.get(path);
    if (answer.status !== 200) return { problem: describeAnswer(answer) };
    return { items: (JSON.parse(answer.body) as { items?: KubeObject[] }).items ?? [] };
  }

  /** Undefined when the node answers `/healthz` through its VPN tunnel, else why it does not. */
  async tunnelProblem(node: string): Promise<string | undefined> {
    const probe = await this.get(`/api/v1/nodes/${encodeURIComponent(node)}/proxy/healthz`);
    if (probe.status === 200 && probe.body.trim() === 'ok') return undefined;
    return `the API server cannot reach ${node} through the VPN tunnel (${describeAnswer(probe)})`;
  }

  /** Merges `annotations` into a Node (a migration preflight's question to its machine; null removes one). */
  async annotateNode(node: string, annotations: Record<string, string | null>): Promise<void> {
    await this.#client.resource(nodeResource).patch('', node, { metadata: { annotations } });
  }

  close(): void {
    this.#client.close();
  }
}

/** The probe of each shoot this seed hosts, by control-plane namespace. */
export class ShootApiProbes {
  readonly #probes = new Map<string, { identity: string; probe: ShootApiProbe }>();

  /** The shoot's probe, a new one when its endpoint or credentials changed. */
  probe(namespace: string, endpoint: ShootEndpoint, secrets: ShootSecrets): ShootApiProbe {
    const identity = createHash('sha256')
      .update(`${endpoint.apiUrl}\n${clusterCaBundle(secrets)}\n${secrets.staticToken}`)
      .digest('hex');
    const known = this.#probes.get(namespace);
    if (known?.identity === identity) return known.probe;
    known?.probe.close();
    const probe = new ShootApiProbe(endpoint, secrets);
    this.#probes.set(namespace, { identity, probe });
    return probe;
  }

  /** The shoot's probe as last made, if its API server runs here. */
  current(namespace: string): ShootApiProbe | undefined {
    return this.#probes.get(namespace)?.probe;
  }

  /** Closes the shoot's probe: its API server stopped here. */
  forget(namespace: string): void {
    this.#probes.get(namespace)?.probe.close();
    this.#probes.delete(namespace);
  }

  closeAll(): void {
    for (const namespace of [...this.#probes.keys()]) this.forget(namespace);
  }
}

/** `HTTP <status>: <the Status message, or the body's start>`. */
export function describeAnswer(answer: RawResponse): string {
  return `HTTP ${answer.status}: ${statusMessage(answer.body)}`;
}

/** Why the node is not Ready (its Ready condition's reason and message), undefined when it is. */
export function nodeNotReady(node: KubeObject): string | undefined {
  const ready = conditionOf(node, 'Ready');
  if (ready?.status === 'True') return undefined;
  const why = [ready?.reason, ready?.message].filter((s) => typeof s === 'string' && s !== '').join(': ');
  return why || 'not Ready';
}

/** The message of a Kubernetes Status in `body`, else the body's start. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not a Status
  }
  return body.trim().slice(0, 200);
}
