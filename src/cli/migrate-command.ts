/**
 * `transplant migrate NAMESPACE/SHOOT --to SEED`, loaded when the command runs (migrate-flags.ts
 * defines its flags): the preflight (migrate-preflight.ts), then — unless `--dry-run`, and unless
 * it failed without `--force` — the seed document's binding (migrate-binding.ts), then the shoot
 * followed until the move ends, fails, is given up, or `--timeout` passes — during the Restore
 * with the numbers the destination writes on the shoot's BackupEntry (migrate-restore-progress.ts).
 * It talks to the garden only. Ctrl-C stops the following, never the move: the seeds carry on
 * without this process.
 *
 * `runMigrate` takes its streams, clock, environment and interrupt as arguments and returns the
 * exit code, so a test runs it against a fake garden (test/cli/migrate-command.test.ts);
 * `runMigrateCommand` wires it to the process.
 */
import { homedir } from 'node:os';
import { shootResource } from '../api/core-gardener/shoot.js';
import { isStatusError } from '../api/errors.js';
import type { MigrationPreflight } from '../api/migration-transplant/migration-preflight.js';
import { RestClient } from '../client/rest-client.js';
import { backupEntryName } from '../shoot/identity.js';
import { bindShoot } from './migrate-binding.js';
import { MigrateError } from './migrate-error.js';
import { kubeconfigSource, loadKubeconfigs } from './migrate-kubeconfig.js';
import { EXIT_CODES, judgeMove, movePhase, type Outcome, shootProgress } from './migrate-outcome.js';
import { MigrateOutput, type OutputStream, outputMode } from './migrate-output.js';
import { anySignal, failedChecks, runPreflight } from './migrate-preflight.js';
import { formatDuration, isReportOfThisMove, type MigrateEvent, statusLine } from './migrate-progress.js';
import { followRestoreProgress } from './migrate-restore-progress.js';
import { watchObject } from './migrate-watch.js';

/** What the operator asked, parsed (migrate-flags.ts). */
export interface MigrateRequest {
  namespace: string;
  shoot: string;
  /** The seed to move to (`--to`). */
  target: string;
  dryRun: boolean;
  force: boolean;
  json: boolean;
  timeoutMs: number;
  preflightTimeoutMs: number;
  kubeconfig?: string;
  context?: string;
}

/** The process around the command: injected, so that tests need no terminal, clock or signals. */
export interface MigrateIo {
  stdout: OutputStream;
  stderr: OutputStream;
  now: () => number;
  env: NodeJS.ProcessEnv;
  home: string;
  /** Aborted by SIGINT. */
  interrupt: AbortSignal;
  /** How often a terminal's block is redrawn (migrate-output.ts). */
  tickMs?: number;
}

/** Runs the command in this process: SIGINT interrupts it, a second one exits at once. */
export async function runMigrateCommand(request: MigrateRequest): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = () => {
    // The first Ctrl-C cleans up (deletes the preflight); a second one does not wait for that.
    if (interrupt.signal.aborted) process.exit(EXIT_CODES.interrupted);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    return await runMigrate(request, {
      stdout: process.stdout,
      stderr: process.stderr,
      now: Date.now,
      env: process.env,
      home: homedir(),
      interrupt: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The command; resolves its exit code (migrate-outcome.ts `EXIT_CODES`), never rejects. */
export async function runMigrate(request: MigrateRequest, io: MigrateIo): Promise<number> {
  const { namespace, shoot, target } = request;
  const names = { namespace, shoot, target };
  const output = new MigrateOutput({
    stdout: io.stdout,
    stderr: io.stderr,
    now: io.now,
    mode: outputMode(request.json, io.stdout),
    shoot: `${namespace}/${shoot}`,
    target,
    ...(io.tickMs !== undefined ? { tickMs: io.tickMs } : {}),
  });
  const emit = (event: DistributiveOmit<MigrateEvent, 'time'>) =>
    output.emit({ ...event, time: io.now() } as MigrateEvent);
  const end = (outcome: Outcome, message: string, hint?: string): number => {
    const exitCode = EXIT_CODES[outcome];
    emit({ event: 'end', outcome, exitCode, message: oneLine(message), ...(hint ? { hint } : {}) });
    return exitCode;
  };
  const warn = (message: string) => emit({ event: 'warning', message: oneLine(message) });

  let client: RestClient | undefined;
  try {
    const credentials = loadKubeconfigs(kubeconfigSource(request.kubeconfig, io.env, io.home), request.context);
    client = new RestClient(credentials, { userAgent: 'transplant-migrate' });

    const preflight = await runPreflight(client, names, {
      signal: io.interrupt,
      timeoutMs: request.preflightTimeoutMs,
      onUpdate: (p) => emit(preflightEvent(p)),
      onWarning: warn,
    });
    const succeeded = preflight.status?.phase === 'Succeeded';
    const failed = failedChecks(preflight).join(', ');
    if (request.dryRun) {
      return succeeded
        ? end('dry-run', 'dry run: the preflight Succeeded; nothing was changed')
        : end('preflight-failed', `dry run: the preflight Failed (${failed}); nothing was changed`);
    }
    if (!succeeded) {
      if (!request.force) {
        return end(
          'preflight-failed',
          `the preflight Failed (${failed}); nothing was changed`,
          'Fix what the failed checks name and run the command again, or give --force to bind anyway.',
        );
      }
      emit({ event: 'forced', failedChecks: failedChecks(preflight) });
    }
    if (io.interrupt.aborted) return end('interrupted', 'interrupted before the binding: nothing was changed');

    const binding = await bindShoot(client, names);
    emit({
      event: 'bound',
      ...(binding.from ? { from: binding.from } : {}),
      ...(binding.resourceVersion ? { resourceVersion: binding.resourceVersion } : {}),
      attempts: binding.attempts,
      alreadyBound: binding.alreadyBound,
    });
    return await follow(client, request, io, output, { emit, end, warn });
  } catch (err) {
    const { outcome, message, hint } = explain(err, client?.server);
    return end(outcome, message, hint);
  } finally {
    output.close();
    client?.close();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface Emitters {
  emit: (event: DistributiveOmit<MigrateEvent, 'time'>) => void;
  end: (outcome: Outcome, message: string, hint?: string) => number;
  warn: (message: string) => void;
}

/** Follows the bound shoot until the move ends; each change of what it shows is one event. */
async function follow(
  client: RestClient,
  request: MigrateRequest,
  io: MigrateIo,
  output: MigrateOutput,
  { emit, end, warn }: Emitters,
): Promise<number> {
  const { namespace, shoot, target } = request;
  const names = {
    shoot: `${namespace}/${shoot}`,
    target,
    ...(output.view.source ? { source: output.view.source } : {}),
  };
  const stop = anySignal(io.interrupt, AbortSignal.timeout(request.timeoutMs));
  const versions = watchObject(client.resource(shootResource), namespace, shoot, {
    signal: stop,
    onRetry: (err) => warn(`following the shoot, will retry: ${(err as Error).message}`),
  });
  let shown: string | undefined;
  // From the Restore's start, the numbers the destination writes on the shoot's BackupEntry too.
  const numbers = new AbortController();
  let followingNumbers: Promise<void> | undefined;
  const stopNumbers = async () => {
    numbers.abort();
    await followingNumbers;
  };
  try {
    for await (const obj of versions) {
      const progress = obj === null ? null : shootProgress(obj);
      const key = JSON.stringify(progress);
      if (progress !== null && key !== shown) emit({ event: 'status', progress });
      shown = key;
      if (!followingNumbers && obj?.metadata.uid && progress && movePhase(progress, target) === 'restore') {
        followingNumbers = followRestoreProgress(client, namespace, backupEntryName(obj), {
          signal: anySignal(stop, numbers.signal),
          onReport: (report) => {
            if (isReportOfThisMove(output.view, report)) emit({ event: 'restore-progress', report });
          },
        });
      }
      const judgement = judgeMove(progress, names);
      if (judgement.outcome !== 'running') {
        await stopNumbers();
        return end(judgement.outcome, judgement.message);
      }
    }
  } finally {
    await stopNumbers();
  }
  const followIt = `Follow it with: kubectl get shoot -n ${namespace} ${shoot} -w${kubectlFlags(request)}`;
  if (io.interrupt.aborted) {
    return end('interrupted', `stopped following ${names.shoot}; the move goes on on the seeds`, followIt);
  }
  return end(
    'timeout',
    `the move did not end within ${formatDuration(request.timeoutMs)} (it goes on): ${statusLine(output.view, io.now())}`,
    followIt,
  );
}

function kubectlFlags(request: MigrateRequest): string {
  return `${request.kubeconfig ? ` --kubeconfig ${request.kubeconfig}` : ''}${
    request.context ? ` --context ${request.context}` : ''
  }`;
}

function preflightEvent(p: MigrationPreflight): DistributiveOmit<MigrateEvent, 'time'> {
  const status = p.status ?? {};
  return {
    event: 'preflight',
    phase: status.phase ?? 'Pending',
    ...(status.sourceSeedName ? { source: status.sourceSeedName } : {}),
    ...(status.plan?.mode ? { mode: status.plan.mode } : {}),
    checks: status.checks ?? [],
    ...(status.plan ? { plan: status.plan } : {}),
  };
}

/** A failure as the one line the operator reads, its outcome and what to do. */
export function explain(
  err: unknown,
  server: string | undefined,
): { outcome: Outcome; message: string; hint?: string } {
  if (err instanceof MigrateError)
    return { outcome: err.outcome, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  const message = err instanceof Error ? err.message : String(err);
  if (isStatusError(err)) {
    const cause = err.cause as { code?: string; message?: string } | undefined;
    if (err.code === 503 && cause?.message) {
      return { outcome: 'error', message: `cannot reach the garden at ${server ?? '?'}: ${cause.message}` };
    }
    if (err.code === 401) {
      return {
        outcome: 'error',
        message: `the garden at ${server ?? '?'} did not accept the kubeconfig's credentials (401 Unauthorized)`,
      };
    }
  }
  return { outcome: 'error', message };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
