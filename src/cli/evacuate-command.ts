/**
 * `transplant evacuate SEED`: moves every shoot off a seed (to drain it), loaded when the command
 * runs. Each shoot gets what `transplant migrate` gives one: a preflight, the seed document's
 * binding, and the move followed to its end (migrate-preflight.ts, migrate-binding.ts,
 * migrate-outcome.ts); at most `--max-parallel` moves run at a time.
 *
 * The destination is `--to`, or else the first seed, fewest shoots first, whose preflight passes.
 * A shoot no seed passes is left where it is and reported with the failed checks. The garden is
 * the only state: running the command again lists what is still on the seed, follows the moves
 * already bound (never binding them again) and retries the shoots left behind. Ctrl-C stops
 * starting moves and following them; the moves already bound go on on the seeds.
 */
import { homedir } from 'node:os';
import { type Seed, type Shoot, seedReadiness, seedResource, shootResource } from '../api/core-gardener/index.js';
import { shootSpecSeedName } from '../api/core-gardener/shoot.js';
import { RestClient } from '../client/rest-client.js';
import { bindShoot } from './migrate-binding.js';
import { explain } from './migrate-command.js';
import { kubeconfigSource, loadKubeconfigs } from './migrate-kubeconfig.js';
import { EXIT_CODES, judgeMove, type Outcome, overallPercent, shootProgress } from './migrate-outcome.js';
import { anySignal, failedChecks, runPreflight } from './migrate-preflight.js';
import { formatDuration } from './migrate-progress.js';
import { watchObject } from './migrate-watch.js';

export interface EvacuateRequest {
  seed: string;
  /** Every shoot goes there; without it, each to the first seed whose preflight passes. */
  to?: string;
  maxParallel: number;
  dryRun: boolean;
  json: boolean;
  /** How long one move may take. */
  timeoutMs: number;
  preflightTimeoutMs: number;
  kubeconfig?: string;
  context?: string;
}

/** What became of one shoot. */
export interface EvacuationResult {
  shoot: string;
  from: string;
  to?: string;
  /** moved; planned (dry run); skipped (no preflight passed); failed, aborted, timeout; interrupted (goes on). */
  result: 'moved' | 'planned' | 'skipped' | 'failed' | 'interrupted';
  message: string;
}

interface Output {
  line(text: string, event: Record<string, unknown>): void;
}

/** Runs the command in this process; SIGINT stops it (a second one exits at once). */
export async function runEvacuateCommand(request: EvacuateRequest): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(EXIT_CODES.interrupted);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  const started = Date.now();
  const output: Output = {
    line: (text, event) =>
      process.stdout.write(
        request.json
          ? `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`
          : `${formatDuration(Date.now() - started).padStart(6)}  ${text}\n`,
      ),
  };
  try {
    return await runEvacuate(request, output, interrupt.signal);
  } catch (err) {
    const { message } = explain(err, undefined);
    process.stderr.write(`error: ${message}\n`);
    return EXIT_CODES.error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function runEvacuate(request: EvacuateRequest, output: Output, interrupt: AbortSignal): Promise<number> {
  const credentials = loadKubeconfigs(kubeconfigSource(request.kubeconfig, process.env, homedir()), request.context);
  const client = new RestClient(credentials, { userAgent: 'transplant-evacuate' });
  try {
    const seeds = (await client.resource(seedResource).list('')).items;
    if (!seeds.some((s) => s.metadata.name === request.seed)) throw new Error(`seed "${request.seed}" does not exist`);
    if (request.to && !seeds.some((s) => s.metadata.name === request.to)) {
      throw new Error(`seed "${request.to}" does not exist`);
    }
    const hosted = (
      await client.resource(shootResource).list('', { fieldSelector: `status.seedName=${request.seed}` })
    ).items.filter((s) => !s.metadata.deletionTimestamp);
    output.line(
      `${hosted.length} shoot(s) on seed "${request.seed}"; at most ${request.maxParallel} move(s) at a time${request.dryRun ? ' (dry run: nothing changes)' : ''}`,
      { event: 'start', seed: request.seed, shoots: hosted.length, maxParallel: request.maxParallel },
    );
    const results = await forEachAtMost(request.maxParallel, hosted, (shoot) =>
      evacuateShoot(client, request, shoot, seeds, output, interrupt).catch((err: unknown): EvacuationResult => {
        // One shoot's failure (a refused binding, a preflight cut short by Ctrl-C) is its result, not the run's.
        const { outcome, message } = explain(err, client.server);
        const ref = `${shoot.metadata.namespace}/${shoot.metadata.name}`;
        output.line(`${ref}: ${message}`, { event: 'done', shoot: ref, result: outcome });
        return {
          shoot: ref,
          from: request.seed,
          result: outcome === 'interrupted' ? 'interrupted' : 'failed',
          message,
        };
      }),
    );
    return summarize(results, output, interrupt.aborted);
  } finally {
    client.close();
  }
}

async function evacuateShoot(
  client: RestClient,
  request: EvacuateRequest,
  shoot: Shoot,
  seeds: readonly Seed[],
  output: Output,
  interrupt: AbortSignal,
): Promise<EvacuationResult> {
  const namespace = shoot.metadata.namespace ?? '';
  const name = shoot.metadata.name ?? '';
  const ref = `${namespace}/${name}`;
  const base = { shoot: ref, from: request.seed };
  if (interrupt.aborted) return { ...base, result: 'interrupted', message: 'not started: interrupted' };
  // A move bound by an earlier run: follow it, never bind again.
  const boundTo = shootSpecSeedName(shoot);
  let target = boundTo && boundTo !== request.seed ? boundTo : undefined;
  if (target) {
    output.line(`${ref}: already moving to "${target}", following`, { event: 'resume', shoot: ref, to: target });
  } else {
    const chosen = await chooseTarget(client, request, { namespace, name }, seeds, output, interrupt);
    if (!chosen.target) return { ...base, result: 'skipped', message: chosen.reason };
    target = chosen.target;
    if (request.dryRun) return { ...base, to: target, result: 'planned', message: 'the preflight passed' };
    await bindShoot(client, { namespace, shoot: name, target });
    output.line(`${ref}: bound to "${target}"`, { event: 'bound', shoot: ref, to: target });
  }
  const stop = anySignal(interrupt, AbortSignal.timeout(request.timeoutMs));
  let shown = '';
  for await (const obj of watchObject(client.resource(shootResource), namespace, name, { signal: stop })) {
    const progress = obj === null ? null : shootProgress(obj);
    const judgement = judgeMove(progress, { shoot: ref, source: request.seed, target });
    if (progress) {
      const op = progress.lastOperation;
      const line = `${op?.type ?? '-'} ${op?.state ?? '-'} ${Math.round(overallPercent(progress, target))}%`;
      if (line !== shown) {
        output.line(`${ref} → ${target}: ${line}${op?.description ? ` ${op.description}` : ''}`, {
          event: 'status',
          shoot: ref,
          to: target,
          lastOperation: op,
          percent: overallPercent(progress, target),
        });
        shown = line;
      }
    }
    if (judgement.outcome !== 'running') {
      const result = judgement.outcome === 'succeeded' ? 'moved' : 'failed';
      output.line(`${ref}: ${judgement.message}`, { event: 'done', shoot: ref, to: target, result });
      return { ...base, to: target, result, message: judgement.message };
    }
  }
  return interrupt.aborted
    ? { ...base, to: target, result: 'interrupted', message: 'stopped following; the move goes on on the seeds' }
    : { ...base, to: target, result: 'failed', message: `did not end within ${formatDuration(request.timeoutMs)}` };
}

/** `--to`, or the first seed (fewest shoots first) whose preflight passes; else why none. */
async function chooseTarget(
  client: RestClient,
  request: EvacuateRequest,
  names: { namespace: string; name: string },
  seeds: readonly Seed[],
  output: Output,
  interrupt: AbortSignal,
): Promise<{ target?: string; reason: string }> {
  const ref = `${names.namespace}/${names.name}`;
  const candidates = request.to ? [request.to] : await candidateSeeds(client, request.seed, seeds);
  if (candidates.length === 0) return { reason: `no other seed is ready` };
  const refusals: string[] = [];
  for (const target of candidates) {
    const preflight = await runPreflight(
      client,
      { namespace: names.namespace, shoot: names.name, target },
      { signal: interrupt, timeoutMs: request.preflightTimeoutMs, onUpdate: () => {}, onWarning: () => {} },
    );
    if (preflight.status?.phase === 'Succeeded') {
      output.line(`${ref}: preflight to "${target}" passed`, {
        event: 'preflight',
        shoot: ref,
        to: target,
        phase: 'Succeeded',
      });
      return { target, reason: '' };
    }
    const failed = (preflight.status?.checks ?? []).filter((c) => c.status !== 'Passed');
    refusals.push(`"${target}": ${failed.map((c) => `${c.name}: ${c.message}`).join('; ')}`);
    output.line(`${ref}: preflight to "${target}" failed (${failedChecks(preflight).join(', ')})`, {
      event: 'preflight',
      shoot: ref,
      to: target,
      phase: preflight.status?.phase,
      checks: failed,
    });
    if (interrupt.aborted) break;
  }
  return { reason: `no seed passes the preflight: ${refusals.join(' | ')}` };
}

/** The ready seeds but `from`, those holding fewer shoots first. */
async function candidateSeeds(client: RestClient, from: string, seeds: readonly Seed[]): Promise<string[]> {
  const shoots = (await client.resource(shootResource).list('')).items;
  const load = (seed: string) => shoots.filter((s) => shootSpecSeedName(s) === seed).length;
  return seeds
    .filter((s) => s.metadata.name !== from && !s.metadata.deletionTimestamp && seedReadiness(s).ready)
    .map((s) => s.metadata.name ?? '')
    .sort((a, b) => load(a) - load(b) || a.localeCompare(b));
}

/** Runs `work` for every item, at most `limit` at once, results in the items' order. */
async function forEachAtMost<T, R>(limit: number, items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

function summarize(results: readonly EvacuationResult[], output: Output, interrupted: boolean): number {
  const count = (result: EvacuationResult['result']) => results.filter((r) => r.result === result).length;
  output.line('summary:', { event: 'summary', results });
  for (const r of results) {
    output.line(`  ${r.result.padEnd(11)} ${r.shoot}${r.to ? ` → ${r.to}` : ''}: ${r.message}`, {
      event: 'result',
      ...r,
    });
  }
  const moved = count('moved') + count('planned');
  output.line(
    `${moved} of ${results.length} ${count('planned') > 0 ? 'would move' : 'moved'}; ${count('skipped')} skipped, ${count('failed')} failed, ${count('interrupted')} interrupted`,
    { event: 'end', moved, total: results.length },
  );
  const outcome: Outcome = interrupted ? 'interrupted' : moved === results.length ? 'succeeded' : 'failed';
  return EXIT_CODES[outcome];
}
