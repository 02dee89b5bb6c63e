/**
 * The preflight of `transplant migrate`: one MigrationPreflight asked of the garden
 * (src/api/migration-transplant/migration-preflight.ts), followed until it settles, and deleted
 * whatever happens — it is a question, not state (the garden would delete it an hour after it
 * completed; a Ctrl-C or a failure should not leave it lying about that long).
 */
import { isForbidden, isNotFound, isStatusError } from '../api/errors.js';
import {
  type MigrationPreflight,
  migrationPreflightResource,
} from '../api/migration-transplant/migration-preflight.js';
import type { Client } from '../client/client.js';
import { MigrateError } from './migrate-error.js';
import { formatDuration } from './migrate-progress.js';
import { watchObject } from './migrate-watch.js';

export interface PreflightOptions {
  /** The operator's interrupt (SIGINT). */
  signal: AbortSignal;
  /** How long the garden may take to settle it (its own deadline for the seeds' probes is 30 s). */
  timeoutMs: number;
  /** Each version of the preflight, the created one first. */
  onUpdate: (preflight: MigrationPreflight) => void;
  /** A failure that is retried, or a delete that did not happen. */
  onWarning: (message: string) => void;
}

/** How long the clean-up may hold the command up. */
const DELETE_TIMEOUT_MS = 5000;

/** Asks whether `namespace/shoot` can move to seed `target` now; the settled preflight. */
export async function runPreflight(
  client: Client,
  names: { namespace: string; shoot: string; target: string },
  options: PreflightOptions,
): Promise<MigrationPreflight> {
  const { namespace, shoot, target } = names;
  const preflights = client.resource(migrationPreflightResource);
  let created: MigrationPreflight;
  try {
    created = await preflights.create(namespace, {
      metadata: { generateName: `${shoot}-`, namespace },
      spec: { shootName: shoot, seedName: target },
    });
  } catch (err) {
    throw explainCreateError(err, namespace);
  }
  const name = created.metadata.name ?? '';
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const stop = anySignal(options.signal, timeout);
  let last = created;
  try {
    options.onUpdate(created);
    if (settled(created)) return created;
    const versions = watchObject(preflights, namespace, name, {
      signal: stop,
      from: created,
      onRetry: (err) => options.onWarning(`reading the preflight, will retry: ${(err as Error).message}`),
    });
    for await (const preflight of versions) {
      if (preflight === null) {
        throw new MigrateError('error', `MigrationPreflight ${namespace}/${name} was deleted before it settled`);
      }
      last = preflight;
      options.onUpdate(preflight);
      if (settled(preflight)) return preflight;
    }
    if (options.signal.aborted) {
      throw new MigrateError('interrupted', 'interrupted during the preflight: nothing was changed');
    }
    const pending = (last.status?.checks ?? [])
      .filter((c) => c.status === 'Pending')
      .map((c) => `${c.name} (${c.origin})`);
    throw new MigrateError(
      'timeout',
      `the preflight did not settle within ${formatDuration(options.timeoutMs)}` +
        (pending.length > 0 ? `; still pending: ${pending.join(', ')}` : '; the garden did not answer it'),
      {
        hint: "Is the garden's migration preflight controller running? Give a longer --preflight-timeout to wait more.",
      },
    );
  } finally {
    await deleteWithin(preflights, namespace, name, DELETE_TIMEOUT_MS).catch((err: unknown) =>
      options.onWarning(
        `could not delete MigrationPreflight ${namespace}/${name} (the garden deletes it an hour after it completed): ${
          (err as Error).message
        }`,
      ),
    );
  }
}

function settled(preflight: MigrationPreflight): boolean {
  const phase = preflight.status?.phase;
  return phase !== undefined && phase !== 'Pending';
}

/** The checks that did not pass. */
export function failedChecks(preflight: MigrationPreflight): string[] {
  return (preflight.status?.checks ?? []).filter((c) => c.status !== 'Passed').map((c) => c.name);
}

/** A refused create said in the operator's words. */
function explainCreateError(err: unknown, namespace: string): unknown {
  if (!isStatusError(err)) return err;
  const kind = `${migrationPreflightResource.plural}.${migrationPreflightResource.group}`;
  if (isNotFound(err) && err.status.details?.kind === 'namespaces') {
    return new MigrateError('error', `namespace "${namespace}" does not exist in the garden`, { cause: err });
  }
  if (isNotFound(err)) {
    return new MigrateError('error', `the server does not serve ${kind}: ${err.message}`, {
      hint: "Is the kubeconfig the garden's? A garden of an older Transplant has no migration preflights.",
      cause: err,
    });
  }
  if (isForbidden(err)) {
    return new MigrateError('error', `the garden refused the preflight in namespace ${namespace}: ${err.message}`, {
      cause: err,
    });
  }
  return err;
}

async function deleteWithin(
  preflights: ReturnType<Client['resource']>,
  namespace: string,
  name: string,
  ms: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  try {
    await Promise.race([preflights.deleteIfPresent(namespace, name), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Aborted when either is (AbortSignal.any, which Node 20's first releases lack). */
export function anySignal(...signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}
