/**
 * A watch on one shoot in the garden that records every change of its `status.lastOperation`
 * with the time it arrived, and tells when an operation type first succeeded (Create, Migrate,
 * Restore): what the migration benchmarks time a migration by.
 */
import type { GardenConnection } from './garden-process.js';
import { watchEvents } from './watch.js';

export interface LastOperation {
  type?: string;
  state?: string;
  progress?: number;
  description?: string;
}

export interface OperationChange {
  atMs: number;
  operation: LastOperation;
}

function sameOperation(a: LastOperation, b: LastOperation): boolean {
  return a.type === b.type && a.state === b.state && a.progress === b.progress && a.description === b.description;
}

export interface ShootOperations {
  /** Every change, in arrival order. */
  readonly timeline: readonly OperationChange[];
  /** The changes that arrived at or after `atMs`. */
  since(atMs: number): OperationChange[];
  /** When an operation of `type` was first seen Succeeded, if it was. */
  succeededAt(type: string): number | undefined;
  /** Resolves with that time once it happened (at once if it already did). */
  succeeded(type: string): Promise<number>;
  stop(): void;
}

/** Watches `namespace/shoot` in the garden; resolves once the watch is open. */
export async function watchShootOperations(
  connection: GardenConnection,
  namespace: string,
  shoot: string,
): Promise<ShootOperations> {
  const timeline: OperationChange[] = [];
  const succeeded = new Map<string, number>();
  const waiting = new Map<string, ((atMs: number) => void)[]>();
  const watch = watchEvents<{ metadata: { name: string }; status?: { lastOperation?: LastOperation } }>(
    connection,
    `/apis/core.gardener.cloud/v1beta1/namespaces/${namespace}/shoots?timeoutSeconds=7200`,
    (event, atMs) => {
      if (event.object.metadata?.name !== shoot) return;
      const op = event.object.status?.lastOperation;
      if (!op) return;
      const last = timeline.at(-1)?.operation;
      if (last && sameOperation(last, op)) return;
      timeline.push({
        atMs,
        operation: { type: op.type, state: op.state, progress: op.progress, description: op.description },
      });
      if (op.state !== 'Succeeded' || !op.type || succeeded.has(op.type)) return;
      succeeded.set(op.type, atMs);
      for (const resolve of waiting.get(op.type) ?? []) resolve(atMs);
      waiting.delete(op.type);
    },
  );
  await watch.started;
  return {
    timeline,
    since: (atMs) => timeline.filter((change) => change.atMs >= atMs),
    succeededAt: (type) => succeeded.get(type),
    succeeded(type) {
      const at = succeeded.get(type);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve) => waiting.set(type, [...(waiting.get(type) ?? []), resolve]));
    },
    stop: () => watch.stop(),
  };
}

/** Rejects after `ms` with `message` unless `promise` settled first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
