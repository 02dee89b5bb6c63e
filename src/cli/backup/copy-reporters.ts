/**
 * How `backup copy` shows its progress: plain lines, one per object, when the output is a log or a
 * pipe; one line redrawn in place when it is a terminal; and the summary line both end with.
 */
import type { CopyObjectEvent, CopyProgress, CopyResult } from '../../backup/copier.js';
import { formatBytes, megabytesPerSecond } from './format-bytes.js';

export interface CopyReporter {
  progress(p: CopyProgress): void;
  object(e: CopyObjectEvent): void;
  line(text: string): void;
  /** Clears what `progress` drew. */
  end(): void;
}

/** Plain lines, one per object: for logs and pipes. */
export function plainReporter(out: NodeJS.WritableStream): CopyReporter {
  let phase: CopyProgress['phase'] | undefined;
  return {
    progress(p) {
      if (p.phase === 'copying' && phase !== 'copying') {
        out.write(`copying ${p.totalObjects} object(s), ${formatBytes(p.totalBytes)}\n`);
      }
      phase = p.phase;
    },
    object(e) {
      const renamed = e.source.name === e.target.name ? '' : ` as ${e.target.name}`;
      const seconds = (e.durationMs / 1000).toFixed(1);
      switch (e.action) {
        case 'skipped':
          out.write(`skipped ${e.source.name}: already in the target\n`);
          break;
        case 'copied':
        case 'replaced':
          out.write(
            `${e.action} ${e.source.name}${renamed} (${formatBytes(e.bytes)} in ${seconds} s, ${megabytesPerSecond(e.bytes, e.durationMs)} MB/s)\n`,
          );
          break;
        case 'failed':
          out.write(`failed ${e.source.name}: ${e.error?.message ?? 'unknown error'}\n`);
          break;
      }
    },
    line(text) {
      out.write(`${text}\n`);
    },
    end() {},
  };
}

/** One line redrawn in place: for terminals. */
export function terminalReporter(out: NodeJS.WriteStream): CopyReporter {
  const started = Date.now();
  let lastDraw = 0;
  let drawn = false;
  let latest: CopyProgress | undefined;
  const clear = () => {
    if (drawn) out.write('\r\x1b[2K');
    drawn = false;
  };
  const draw = (p: CopyProgress) => {
    const width = Math.max(10, Math.min(30, (out.columns || 80) - 70));
    const done =
      p.totalBytes > 0 ? (p.copiedBytes + p.skippedBytes) / p.totalBytes : p.doneObjects / (p.totalObjects || 1);
    const filled = Math.round(Math.min(1, done) * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
    const rate = megabytesPerSecond(p.copiedBytes, Date.now() - started);
    const text =
      p.phase === 'waiting-for-final'
        ? 'waiting for a final full snapshot in the source…'
        : p.phase === 'listing'
          ? 'listing…'
          : `${bar} ${Math.floor(done * 100)}% ${p.doneObjects}/${p.totalObjects} objects, ` +
            `${formatBytes(p.copiedBytes + p.skippedBytes)}/${formatBytes(p.totalBytes)}, ${rate} MB/s ${p.current ?? ''}`;
    out.write(`\r\x1b[2K${text.slice(0, Math.max(20, (out.columns || 80) - 1))}`);
    drawn = true;
  };
  return {
    progress(p) {
      latest = p;
      const now = Date.now();
      if (now - lastDraw >= 100 || p.phase !== 'copying') {
        lastDraw = now;
        draw(p);
      }
    },
    object(e) {
      if (e.action !== 'failed') return;
      clear();
      out.write(`failed ${e.source.name}: ${e.error?.message ?? 'unknown error'}\n`);
      if (latest) draw(latest);
    },
    line(text) {
      clear();
      out.write(`${text}\n`);
      if (latest && latest.phase !== 'done') draw(latest);
    },
    end() {
      clear();
    },
  };
}

/** The last line of a copy: what was copied, skipped and failed, and how fast. */
export function copySummary(result: CopyResult, failed: number, ms: number): string {
  const failedText = failed > 0 ? `, ${failed} failed` : '';
  return (
    `copied ${result.copied.length}, skipped ${result.skipped.length}${failedText} object(s): ` +
    `${formatBytes(result.bytes)} in ${(ms / 1000).toFixed(1)} s (${megabytesPerSecond(result.bytes, ms)} MB/s)`
  );
}
