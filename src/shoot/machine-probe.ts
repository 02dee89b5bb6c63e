/**
 * A machine's answer to a migration preflight's question "does this machine reach seed T?"
 * (src/api/migration-transplant/migration-preflight.ts): the source seed writes the question on
 * the machine's Node, the node agent sees it on the watch of its own Node, probes the target
 * seed's probe listener from the machine (through the machine's egress deny list, as its other
 * connections), and writes the answer on the same Node. A question is answered once; its id tells
 * a new question from the one answered last.
 */

import type { KubeObject } from '../api/meta.js';
import {
  MACHINE_PROBE_RESULT_ANNOTATION,
  type MachineProbeResult,
  parseMachineProbeRequest,
  parseMachineProbeResult,
} from '../api/migration-transplant/migration-preflight.js';
import type { EgressPolicy } from './egress-policy.js';
import { probeTlsListener } from './tls-listener-probe.js';

/** A probe's handshake; a dropping firewall costs this much before the answer says so. */
export const MACHINE_PROBE_TIMEOUT_MS = 5_000;

export class MachineProbeAnswerer {
  readonly #egress: EgressPolicy;
  readonly #annotate: (annotations: Record<string, string>) => Promise<unknown>;
  readonly #timeoutMs: number;
  /** The question being answered or answered last, so a watch event does not start it twice. */
  #current: string | undefined;

  constructor(options: {
    egress: EgressPolicy;
    /** Merges annotations into the machine's own Node. */
    annotate: (annotations: Record<string, string>) => Promise<unknown>;
    timeoutMs?: number;
  }) {
    this.#egress = options.egress;
    this.#annotate = options.annotate;
    this.#timeoutMs = options.timeoutMs ?? MACHINE_PROBE_TIMEOUT_MS;
  }

  /** Answers the question `node` carries, unless answered already; resolves once the answer is written. */
  async consider(node: KubeObject): Promise<void> {
    const annotations = node.metadata.annotations;
    const request = parseMachineProbeRequest(annotations);
    if (!request || request.id === this.#current || parseMachineProbeResult(annotations)?.id === request.id) return;
    this.#current = request.id;
    const probed = await probeTlsListener({
      endpoint: request.endpoint,
      commonName: request.commonName,
      describe: `seed "${request.seed}"'s probe listener`,
      timeoutMs: this.#timeoutMs,
      refuse: () => (this.#egress.denies(request.seed) ? this.#egress.deniedError(request.seed).message : undefined),
    });
    const result: MachineProbeResult = {
      id: request.id,
      seed: request.seed,
      endpoint: request.endpoint,
      reachable: probed.reachable,
      ...(probed.error !== undefined ? { error: probed.error } : {}),
    };
    try {
      await this.#annotate({ [MACHINE_PROBE_RESULT_ANNOTATION]: JSON.stringify(result) });
    } catch {
      // The API server is away: the next event of the watch (opened again) asks once more.
      this.#current = undefined;
    }
  }
}
