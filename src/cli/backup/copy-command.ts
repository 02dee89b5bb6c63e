/**
 * `transplant backup copy`: copies backups from a source store to a target store. It takes
 * `etcdbrctl copy`'s flags (same names, defaults and validation) so that the commands of
 * etcd-druid's copy Job and of Gardener's docs work unchanged; an interrupted copy says how to
 * resume, and the summary is printed even when some objects failed.
 */
import { Command, Option } from 'commander';
import {
  type CopyProgress,
  type CopyResult,
  copyBackups,
  DEFAULT_MAX_PARALLEL_COPY_OPERATIONS,
} from '../../backup/copier.js';
import type { Snapstore } from '../../backup/snapstore/snapstore.js';
import { copySummary, plainReporter, terminalReporter } from './copy-reporters.js';
import { formatGoDuration, goBool, goDuration, integer } from './go-flags.js';
import { closeStore, openStoreFromFlags } from './open-store.js';
import {
  addStoreFlags,
  credentialsHelp,
  failIfProblems,
  inheritFromTarget,
  storeFlagsOf,
  validateStoreFlags,
} from './store-flags.js';

interface CopyFlags {
  maxBackupAge: number;
  maxBackupsToCopy: number;
  maxParallelCopyOperations: number;
  waitForFinalSnapshot: boolean;
  waitForFinalSnapshotTimeout: number;
}

async function runCopy(options: Record<string, unknown>): Promise<void> {
  const copy = options as unknown as CopyFlags;
  const target = storeFlagsOf(options, 'target');
  const source = inheritFromTarget(storeFlagsOf(options, 'source'), target);
  const problems: string[] = [];
  if (copy.maxBackupsToCopy < -1)
    problems.push(`--max-backups-to-copy must be -1 (all) or more, got ${copy.maxBackupsToCopy}`);
  if (copy.maxBackupAge < -1) problems.push(`--max-backup-age must be -1 (any age) or more, got ${copy.maxBackupAge}`);
  if (copy.maxParallelCopyOperations <= 0) {
    problems.push(`--max-parallel-copy-operations must be greater than 0, got ${copy.maxParallelCopyOperations}`);
  }
  if (copy.waitForFinalSnapshotTimeout < 0) {
    problems.push(
      `--wait-for-final-snapshot-timeout must not be negative, got -${formatGoDuration(-copy.waitForFinalSnapshotTimeout)}`,
    );
  }
  problems.push(...validateStoreFlags(target, 'target'), ...validateStoreFlags(source, 'source'));
  failIfProblems(problems);

  const out = process.stdout;
  const reporter = out.isTTY ? terminalReporter(out) : plainReporter(out);
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let sourceStore: Snapstore | undefined;
  let targetStore: Snapstore | undefined;
  const started = Date.now();
  let failed = 0;
  try {
    sourceStore = await openStoreFromFlags(source, 'source', { mustExist: true });
    targetStore = await openStoreFromFlags(target, 'target', { mustExist: false });
    reporter.line(`copying backups from ${sourceStore.location} to ${targetStore.location}`);
    const timeout = copy.waitForFinalSnapshotTimeout;
    let phase: CopyProgress['phase'] | undefined;
    let finalReported = false;
    const onProgress = (p: CopyProgress) => {
      if (p.phase === 'waiting-for-final' && phase !== p.phase) {
        const limit = timeout > 0 ? `up to ${formatGoDuration(timeout)}` : 'without a time limit';
        reporter.line(`waiting ${limit} for a final full snapshot in the source`);
      }
      if (p.finalSnapshot && !finalReported) {
        finalReported = true;
        reporter.line(
          p.finalSnapshot === 'found'
            ? 'found a final full snapshot in the source'
            : `timed out after ${formatGoDuration(timeout)} waiting for a final full snapshot; copying anyway`,
        );
      }
      phase = p.phase;
      reporter.progress(p);
    };
    const result = await copyBackups({
      source: sourceStore,
      target: targetStore,
      maxBackupsToCopy: copy.maxBackupsToCopy,
      maxBackupAgeDays: copy.maxBackupAge,
      maxParallelCopyOperations: copy.maxParallelCopyOperations,
      waitForFinalSnapshot: copy.waitForFinalSnapshot,
      waitForFinalSnapshotTimeoutMs: copy.waitForFinalSnapshotTimeout,
      signal: abort.signal,
      onProgress,
      onObject: (e) => {
        if (e.action === 'failed') failed++;
        reporter.object(e);
      },
    }).catch((err: unknown) => {
      if (abort.signal.aborted) throw new Error('copy interrupted; run the same command again to copy the rest');
      throw err;
    });
    reporter.end();
    out.write(`${copySummary(result, failed, Date.now() - started)}\n`);
  } catch (err) {
    reporter.end();
    const result = (err as { result?: CopyResult }).result;
    if (result) out.write(`${copySummary(result, failed, Date.now() - started)}\n`);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    closeStore(sourceStore);
    closeStore(targetStore);
  }
}

/** The `copy` subcommand with its flags and help. */
export function copyCommand(): Command {
  const copy = new Command('copy')
    .description(
      'Copy backups from the source store to the target store as `etcdbrctl copy` does, newest backup (a full snapshot ' +
        'and its deltas) first. Objects the target already holds with the same size and SHA-256 are skipped; the others ' +
        'are copied and verified. The final marker (.final) is dropped in the target. After an interruption, running the ' +
        'same command again copies only what is missing.',
    )
    .option(
      '--max-backup-age <days>',
      'copy only backups whose full snapshot is younger than this many days (-1: any age)',
      integer,
      -1,
    )
    .option('--max-backups-to-copy <n>', 'copy only the newest n backups (-1: all)', integer, -1)
    .option(
      '--max-parallel-copy-operations <n>',
      'objects copied at the same time',
      integer,
      DEFAULT_MAX_PARALLEL_COPY_OPERATIONS,
    )
    .addOption(
      new Option(
        '--wait-for-final-snapshot [bool]',
        'wait until one of the 4 newest full snapshots of the source is final before copying',
      )
        .argParser(goBool)
        .default(false),
    )
    .option(
      '--wait-for-final-snapshot-timeout <duration>',
      'how long to wait for the final snapshot before copying anyway, e.g. 30s, 5m, 1h0m0s (0: no limit)',
      goDuration,
      0,
    );
  addStoreFlags(copy, 'target', { label: 'target store', uploads: true });
  addStoreFlags(copy, 'source', { label: 'source store', uploads: true });
  copy.addHelpText('after', credentialsHelp(['', 'SOURCE_']));
  copy.action(async (options: Record<string, unknown>) => {
    await runCopy(options);
  });
  return copy;
}
