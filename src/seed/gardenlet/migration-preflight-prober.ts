/**
 * The gardenlet's part in a migration preflight (src/api/migration-transplant/migration-preflight.ts):
 * the probes that must run from where the move's traffic will really originate.
 *
 * - As the target seed (`spec.seedName`), it probes the source seed's backup store, which the
 *   Restore copies the backups from: an S3 endpoint answers any HTTP request (an error status
 *   too), a local store is a directory this process must read.
 * - As the source seed (`status.sourceSeedName`), it asks every machine of the shoot, through the
 *   shoot's API server it runs, to probe the target seed's probe listener (the machines talk to
 *   the control plane there after the move; src/shoot/machine-probe.ts), and collects their
 *   answers.
 *
 * Each answer is written into the preflight's status, changing only this seed's check
 * (SeedRestriction enforces that). A write that conflicts with the garden's is read again and
 * retried.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { fileURLToPath } from 'node:url';
import { publishedEtcdPeerEndpoint } from '../../api/core-gardener/etcd-peer-reachability.js';
import { seedResource } from '../../api/core-gardener/seed.js';
import { shootResource } from '../../api/core-gardener/shoot.js';
import { isConflict } from '../../api/errors.js';
import { nowTimestamp } from '../../api/meta.js';
import {
  awaitsAnswer,
  MACHINE_PROBE_REQUEST_ANNOTATION,
  type MachineProbeRequest,
  type MigrationPreflight,
  type MigrationPreflightStatus,
  migrationPreflightResource,
  type PreflightCheck,
  PreflightCheckName,
  parseMachineProbeResult,
  seedOrigin,
  withPreflightCheck,
} from '../../api/migration-transplant/migration-preflight.js';
import type { Client } from '../../client/client.js';
import type { ObjectKey, Reconciler, Result } from '../../controller/controller.js';
import { technicalId } from '../../shoot/identity.js';
import { MACHINE_PROBE_TIMEOUT_MS } from '../../shoot/machine-probe.js';
import { probeCommonName } from './etcd-peer-probe.js';
import type { ShootApiProbes } from './shoot-api-probe.js';

/** A store probe's connect and answer together. */
const STORE_PROBE_TIMEOUT_MS = 5_000;
/** How long the machines have to answer: their probe's timeout, and a few watch round trips. */
const MACHINES_ANSWER_TIMEOUT_MS = MACHINE_PROBE_TIMEOUT_MS + 10_000;
const MACHINES_POLL_MS = 500;

export interface MigrationPreflightProberOptions {
  seedName: string;
  garden: Client;
  /** The shoots' API servers this seed runs. */
  probes: ShootApiProbes;
  storeTimeoutMs?: number;
  machinesTimeoutMs?: number;
}

interface Answer {
  passed: boolean;
  message: string;
}

export class MigrationPreflightProber implements Reconciler {
  readonly #options: MigrationPreflightProberOptions;

  constructor(options: MigrationPreflightProberOptions) {
    this.#options = options;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const { seedName, garden } = this.#options;
    const preflight = await garden.resource(migrationPreflightResource).find(key.namespace, key.name);
    if (!preflight) return {};
    const store = PreflightCheckName.TargetSeedReachesSourceBackupStore;
    const machines = PreflightCheckName.MachinesReachTargetSeed;
    const asks = [
      preflight.spec.seedName === seedName && awaitsAnswer(preflight, store) ? store : undefined,
      preflight.status?.sourceSeedName === seedName && awaitsAnswer(preflight, machines) ? machines : undefined,
    ];
    await Promise.all(
      asks.map(async (name) => {
        if (!name) return;
        const answer = name === store ? await this.#probeStore(preflight) : await this.#askMachines(preflight);
        await this.#write(key, name, answer);
      }),
    );
    return {};
  }

  async #probeStore(preflight: MigrationPreflight): Promise<Answer> {
    const store = preflight.status?.sourceBackupStore;
    const source = preflight.status?.sourceSeedName ?? 'the source seed';
    if (!store?.endpoint) return { passed: false, message: `seed "${source}" names no backup store endpoint to probe` };
    const problem = await probeBackupStore(store.endpoint, this.#options.storeTimeoutMs ?? STORE_PROBE_TIMEOUT_MS);
    return problem
      ? {
          passed: false,
          message: `seed "${this.#options.seedName}" cannot reach seed "${source}"'s backup store: ${problem}`,
        }
      : {
          passed: true,
          message: `seed "${this.#options.seedName}" reaches seed "${source}"'s backup store at ${store.endpoint}`,
        };
  }

  async #askMachines(preflight: MigrationPreflight): Promise<Answer> {
    const { garden, probes } = this.#options;
    const target = preflight.spec.seedName;
    const shoot = await garden
      .resource(shootResource)
      .find(preflight.metadata.namespace ?? '', preflight.spec.shootName);
    const targetSeed = await garden.resource(seedResource).find('', target);
    if (!shoot || !targetSeed) return { passed: false, message: 'the shoot or the target seed does not exist' };
    const endpoint = publishedEtcdPeerEndpoint(targetSeed);
    if (!endpoint) return { passed: false, message: `seed "${target}" publishes no probe endpoint` };
    const api = probes.current(technicalId(shoot));
    if (!api) {
      return { passed: false, message: `the shoot's API server does not run on seed "${this.#options.seedName}" now` };
    }
    const listed = await api.list('/api/v1/nodes');
    if ('problem' in listed) return { passed: false, message: `the machines cannot be asked: ${listed.problem}` };
    const nodes = listed.items.map((n) => n.metadata.name ?? '').filter((n) => n !== '');
    if (nodes.length === 0) return { passed: true, message: 'the shoot has no machines' };

    const question: MachineProbeRequest = {
      id: preflight.metadata.uid ?? preflight.metadata.name ?? '',
      seed: target,
      endpoint,
      commonName: probeCommonName(target),
    };
    const asked = JSON.stringify(question);
    await Promise.all(nodes.map((node) => api.annotateNode(node, { [MACHINE_PROBE_REQUEST_ANNOTATION]: asked })));
    const answers = new Map<string, { reachable: boolean; error?: string }>();
    const deadline = Date.now() + (this.#options.machinesTimeoutMs ?? MACHINES_ANSWER_TIMEOUT_MS);
    while (answers.size < nodes.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, MACHINES_POLL_MS));
      const now = await api.list('/api/v1/nodes');
      if ('problem' in now) continue;
      for (const node of now.items) {
        const result = parseMachineProbeResult(node.metadata.annotations);
        if (result?.id === question.id) answers.set(node.metadata.name ?? '', result);
      }
    }
    // The question is answered (or given up): take it away, so a restarted agent does not answer it again.
    await Promise.all(
      nodes.map((node) => api.annotateNode(node, { [MACHINE_PROBE_REQUEST_ANNOTATION]: null }).catch(() => undefined)),
    );
    const problems = nodes.flatMap((node) => {
      const answer = answers.get(node);
      if (!answer)
        return [`node ${node} did not answer within ${MACHINES_ANSWER_TIMEOUT_MS / 1000} s (is its agent running?)`];
      return answer.reachable
        ? []
        : [`node ${node} cannot reach seed "${target}" at ${endpoint}: ${answer.error ?? 'unreachable'}`];
    });
    if (problems.length > 0) return { passed: false, message: problems.join('; ') };
    const machines = nodes.length === 1 ? `the machine ${nodes[0]} reaches` : `all ${nodes.length} machines reach`;
    return { passed: true, message: `${machines} seed "${target}" at ${endpoint}` };
  }

  /** Writes this seed's answer; a conflict with another writer reads the preflight again. */
  async #write(key: ObjectKey, name: PreflightCheckName, answer: Answer): Promise<void> {
    const preflights = this.#options.garden.resource(migrationPreflightResource);
    const check: PreflightCheck = {
      name,
      status: answer.passed ? 'Passed' : 'Failed',
      origin: seedOrigin(this.#options.seedName),
      message: answer.message,
      lastUpdateTime: nowTimestamp(),
    };
    for (let attempt = 0; ; attempt++) {
      const current = await preflights.find(key.namespace, key.name);
      if (!current || !awaitsAnswer(current, name)) return;
      const status: MigrationPreflightStatus = {
        ...current.status,
        checks: withPreflightCheck(current.status?.checks ?? [], check),
      };
      try {
        await preflights.update(key.namespace, { ...current, status }, { subresource: 'status' });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  }
}

/** Undefined when `endpoint` answers (S3: any HTTP answer; local: a readable directory), else why not. */
export async function probeBackupStore(endpoint: string, timeoutMs: number): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `not a URL: ${JSON.stringify(endpoint)}`;
  }
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    return access(path, constants.R_OK | constants.X_OK).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => `cannot read ${path} (${err.code ?? err.message})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `cannot probe ${url.protocol} endpoints`;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const req = send(url, { method: 'HEAD', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.once('timeout', () => req.destroy(new Error('connect timeout')));
    req.once('error', (err: NodeJS.ErrnoException) =>
      resolve(`cannot reach ${url.origin} (${err.code ?? err.message})`),
    );
    req.end();
  });
}
