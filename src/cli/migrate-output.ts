/**
 * Writes `transplant migrate`'s events in one of three forms (migrate-progress.ts renders them):
 * on a terminal one block redrawn in place, ticking every second so the elapsed time and the ETA
 * move; else plain timestamped lines, one per change; with `--json` one JSON object per event and
 * nothing else on stdout. A failed end goes to stderr too; a warning (a retried failure) goes to
 * stderr with plain lines, into the block on a terminal (so the redraw's line count stays right),
 * and is an event like the others in JSON. Streams and clock are injected.
 */
import {
  initialView,
  jsonLine,
  type MigrateEvent,
  type MigrateView,
  plainLines,
  redraw,
  reduceView,
  ttyBlock,
} from './migrate-progress.js';

/** What the output needs of a stream: `process.stdout` or a test's recorder. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type OutputMode = 'tty' | 'plain' | 'json';

export function outputMode(json: boolean, stdout: OutputStream): OutputMode {
  if (json) return 'json';
  return stdout.isTTY ? 'tty' : 'plain';
}

export interface MigrateOutputOptions {
  stdout: OutputStream;
  stderr: OutputStream;
  now: () => number;
  mode: OutputMode;
  /** `namespace/name`. */
  shoot: string;
  target: string;
  /** How often a terminal's block is redrawn between events (default 1 s; 0: never). */
  tickMs?: number;
}

export class MigrateOutput {
  readonly #options: MigrateOutputOptions;
  #view: MigrateView;
  /** Lines of the block on the terminal now, which the next draw replaces. */
  #drawn = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;

  constructor(options: MigrateOutputOptions) {
    this.#options = Object.freeze({ ...options });
    this.#view = initialView({ shoot: options.shoot, target: options.target, startedAt: options.now() });
  }

  get view(): MigrateView {
    return this.#view;
  }

  emit(event: MigrateEvent): void {
    const before = this.#view;
    const after = reduceView(before, event);
    this.#view = after;
    const { stdout, stderr, mode } = this.#options;
    // JSON gives the preflight's result; its pending versions only feed the terminal's block.
    if (mode === 'json') {
      if (event.event !== 'preflight' || event.phase !== 'Pending') stdout.write(`${jsonLine(event, after)}\n`);
    } else if (mode === 'plain') for (const line of plainLines(before, event, after)) stdout.write(`${line}\n`);
    else this.#terminal(event);
    // Plain lines are the log of changes: a warning goes to stderr, once while it repeats.
    if (event.event === 'warning' && mode === 'plain' && before.warning !== event.message) {
      stderr.write(`warning: ${event.message}\n`);
    }
    if (event.event === 'end') {
      this.close();
      if (event.exitCode !== 0) {
        stderr.write(`${event.outcome === 'interrupted' ? '' : 'error: '}${event.message}\n`);
        if (event.hint) stderr.write(`${event.hint}\n`);
      }
    }
  }

  /** Stops the terminal's ticking (an end does so too). */
  close(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  #terminal(event: MigrateEvent): void {
    switch (event.event) {
      case 'preflight':
        // A settled preflight stays on the screen above the move's block, whole: it is not
        // redrawn, so its lines may wrap.
        this.#draw(event.phase !== 'Pending');
        if (event.phase !== 'Pending') this.#drawn = 0;
        return;
      case 'forced':
        this.#line(`Preflight Failed (${event.failedChecks.join(', ')}): binding anyway, as --force asks`);
        return;
      case 'bound':
        this.#draw();
        this.#tick();
        return;
      case 'status':
      case 'restore-progress':
        this.#draw();
        return;
      case 'warning':
        // In the move's block while it is drawn; before it, a line of its own.
        if (this.#view.bound) this.#draw();
        else this.#line(`! ${event.message}`);
        return;
      case 'end':
        if (this.#view.bound) this.#draw(true);
        this.#drawn = 0;
        if (event.exitCode === 0) this.#line(event.message);
        return;
    }
  }

  /** Replaces the block; `whole`: the last time, lines not cut to the terminal's width. */
  #draw(whole = false): void {
    const { stdout, now } = this.#options;
    // A terminal that reports no size (0: a pty nobody sized) gets 80 columns.
    const lines = ttyBlock(this.#view, now(), whole ? Number.POSITIVE_INFINITY : stdout.columns || 80);
    stdout.write(redraw(this.#drawn, lines));
    this.#drawn = lines.length;
  }

  /** A line above the block, which stays. */
  #line(text: string): void {
    this.#options.stdout.write(redraw(this.#drawn, [text]));
    this.#drawn = 0;
  }

  #tick(): void {
    const ms = this.#options.tickMs ?? 1000;
    if (ms <= 0 || this.#ticker) return;
    this.#ticker = setInterval(() => this.#draw(), ms);
    this.#ticker.unref();
  }
}
