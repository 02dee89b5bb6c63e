/**
 * What a shoot's clients live through while its control plane moves (issue 17): one probe with
 * three roles against the shoot's API server, each over its own keep-alive HTTPS agent (the
 * admin kubeconfig's client certificate, the kubeconfig's server — a DNS name or a stable
 * address — resolved anew for every new connection):
 *
 * - a **writer** creating a ConfigMap `<prefix>-<n>` every `intervalMs` (default 20 ms), retrying
 *   at once after a connection error or an error answer; every acknowledged write (2xx) is kept
 *   with its resourceVersion and time, every failed one too (its outcome is unknown only when the
 *   connection broke). The longest gap between two acknowledged writes is the **write pause**.
 * - a **reader** doing a GET of the namespace every `intervalMs`; the longest gap between two
 *   successful reads is the **read pause**.
 * - a **watch** on the writer's ConfigMaps (a label selector), opened before the writer's first
 *   write from a list's resourceVersion, that re-opens itself from the last resourceVersion it saw
 *   (event or bookmark) whenever its stream ends, as an informer's reflector does. It records
 *   every event, every re-open and why, every ERROR event, and every 410 Gone (then it lists again,
 *   as a reflector must, and the events in between are lost: that is what the report shows).
 *
 * `stop()` stops the writer and the reader, waits until the watch has seen the last acknowledged
 * write, and returns a `ContinuityReport`; `continuityProblems(report)` lists what breaks the
 * promise of a live migration (a write without its event, events out of order, a 410, an ERROR
 * event), and `checkWrites(probeWriterRecords(report), items)` (shoot-writer.ts) checks that every
 * acknowledged write is still stored.
 *
 * The probe lives in test/helpers so that both the end-to-end tests and bench/ import it.
 */
import type { LookupFunction } from 'node:net';
import type { Json } from './api-client.js';
import { type ShootClient, type ShootStream, shootClient } from './shoot-client.js';
import type { AcknowledgedWrite, FailedWrite, WriterRecords } from './shoot-writer.js';

/** The label every ConfigMap of a probe carries, its value the probe's prefix. */
export const PROBE_LABEL = 'probe.transplant.gardener.cloud/name';

export interface ContinuityProbeOptions {
  /** An existing namespace of the shoot; the probe's ConfigMaps are written there. */
  namespace: string;
  /** ConfigMaps are named `<prefix>-<n>` and labelled with it; unique per probe. Default `probe`. */
  prefix?: string;
  /** From one write's (read's) start to the next one's; default 20 ms. */
  intervalMs?: number;
  /** A write or read without an answer for this long fails (and is retried); default 2 s. */
  requestTimeoutMs?: number;
  /** After the first immediate retry, the pause between retries of a failing role; default 5 ms. */
  retryIntervalMs?: number;
  /** How long `start` waits for the API to list and open the watch; default 30 s. */
  startTimeoutMs?: number;
  /** Gaps longer than this are listed in the report (the longest is always there); default 100 ms. */
  pauseThresholdMs?: number;
  /** Resolves the server's name for each new connection (e.g. through a landscape's DNS server). */
  lookup?: LookupFunction;
}

/** A run without success: from the last success before it to the first success after it. */
export interface Pause {
  /** Epoch ms of the last success before the pause (the probe's start if there was none). */
  from: number;
  /** Epoch ms of the first success after it (the probe's stop when `open`). */
  to: number;
  durationMs: number;
  /** Failed attempts in between. */
  failures: number;
  /** The first failure's HTTP status or connection error, e.g. `ECONNREFUSED` or `HTTP 503`. */
  firstFailure?: string;
  /** No success came before the probe stopped. */
  open: boolean;
}

export interface RoleReport {
  succeeded: number;
  failed: number;
  /** The longest gap between two successes; undefined when there was none. */
  longestPause?: Pause;
  /** Every gap longer than `pauseThresholdMs`, in order. */
  pauses: Pause[];
}

export interface WatchedEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  name: string;
  resourceVersion: string;
  at: number;
}

export interface WatchReopen {
  /** When the stream ended. */
  at: number;
  /** Why: `stream ended`, a connection error, `HTTP 503`, `ERROR 410 Expired`… */
  reason: string;
  /** The resourceVersion it re-opened from. */
  resourceVersion: string;
  /** When the re-opened watch answered 200 (undefined if it never did before the probe stopped). */
  reopenedAt?: number;
  /** Attempts that failed before it did. */
  failedAttempts: number;
  /** The last failed attempt's connection error or HTTP status (a 503 while the API server starts). */
  lastRefusal?: string;
}

export interface WatchError {
  at: number;
  /** The Status code of an ERROR event, or the HTTP status of a refused watch. */
  code: number;
  reason: string;
  message: string;
}

export interface WatchReport {
  events: WatchedEvent[];
  reopens: WatchReopen[];
  /** ERROR events (a watch the server failed) and 410 answers to a re-open; other refusals of a re-open are in `reopens`. */
  errors: WatchError[];
  /** 410 Gone (the watch's resourceVersion was compacted): the watch had to list again. */
  gone: WatchError[];
  /** The longest time without an open watch stream, in ms (0 if it never broke). */
  longestDisconnectMs: number;
  /** A stream was open when the probe stopped (after it had caught up): the watch still ran. */
  openAtStop: boolean;
  /** Acknowledged writes whose event never came. */
  missed: AcknowledgedWrite[];
  /** Events whose resourceVersion is not above the one before (a duplicate or a step back). */
  outOfOrder: WatchedEvent[];
  /** The longest time from a write's acknowledgement to its event's arrival (negative: before). */
  maxEventLagMs?: number;
}

export interface ContinuityReport {
  namespace: string;
  prefix: string;
  startedAt: number;
  stoppedAt: number;
  writes: RoleReport & { acknowledged: AcknowledgedWrite[]; failures: FailedWrite[] };
  reads: RoleReport;
  watch: WatchReport;
}

export interface ContinuityProbe {
  readonly namespace: string;
  readonly prefix: string;
  readonly acknowledgedCount: number;
  readonly readCount: number;
  readonly eventCount: number;
  /** Resolves once `count` more writes have been acknowledged than when it was called. */
  moreWrites(count: number, timeoutMs?: number): Promise<void>;
  /** Stops writing and reading, waits up to `drainTimeoutMs` (default 10 s) for the watch to catch up. */
  stop(drainTimeoutMs?: number): Promise<ContinuityReport>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A connection error's code, or the message of anything else thrown. */
const errorText = (err: unknown) =>
  (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));

/** Successes in time order → the gaps between them (and the open one at the end). */
class GapTracker {
  readonly pauses: Pause[] = [];
  longest?: Pause;
  succeeded = 0;
  failed = 0;
  #last: number;
  #failures = 0;
  #firstFailure?: string;

  constructor(
    start: number,
    private readonly thresholdMs: number,
  ) {
    this.#last = start;
  }

  success(at: number) {
    this.succeeded++;
    this.#close(at, false);
  }

  failure(what: string) {
    this.failed++;
    if (this.#failures++ === 0) this.#firstFailure = what;
  }

  /** The open gap at the probe's stop counts only if something failed in it. */
  finish(at: number) {
    if (this.#failures > 0) this.#close(at, true);
  }

  report(): RoleReport {
    return { succeeded: this.succeeded, failed: this.failed, longestPause: this.longest, pauses: this.pauses };
  }

  #close(at: number, open: boolean) {
    const pause: Pause = {
      from: this.#last,
      to: at,
      durationMs: at - this.#last,
      failures: this.#failures,
      firstFailure: this.#firstFailure,
      open,
    };
    if (!this.longest || pause.durationMs > this.longest.durationMs) this.longest = pause;
    if (pause.durationMs > this.thresholdMs) this.pauses.push(pause);
    this.#last = at;
    this.#failures = 0;
    this.#firstFailure = undefined;
  }
}

/**
 * Lists the probe's ConfigMaps (the watch's starting point), opens the watch, then starts the
 * writer and the reader. Fails if the API does not answer within `startTimeoutMs`.
 */
export async function startContinuityProbe(
  kubeconfigPath: string,
  options: ContinuityProbeOptions,
): Promise<ContinuityProbe> {
  const { namespace, lookup } = options;
  const prefix = options.prefix ?? 'probe';
  const intervalMs = options.intervalMs ?? 20;
  const requestTimeoutMs = options.requestTimeoutMs ?? 2_000;
  const retryIntervalMs = options.retryIntervalMs ?? 5;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const thresholdMs = options.pauseThresholdMs ?? 100;
  const collection = `/api/v1/namespaces/${namespace}/configmaps`;
  const selector = `labelSelector=${encodeURIComponent(`${PROBE_LABEL}=${prefix}`)}`;

  // One agent (one keep-alive connection in use) per role, so one role's broken connection or
  // queued request never delays another's.
  const [writerClient, readerClient, watchClient] = await Promise.all(
    [0, 1, 2].map(() => shootClient(kubeconfigPath, { lookup })),
  );
  const closeClients = () => {
    for (const c of [writerClient, readerClient, watchClient]) c.close();
  };

  try {
    const watch = new ProbeWatch(watchClient, `${collection}?${selector}`, retryIntervalMs);
    await watch.start(startTimeoutMs);
    const startedAt = Date.now();
    const writes = new GapTracker(startedAt, thresholdMs);
    const reads = new GapTracker(startedAt, thresholdMs);
    const acknowledged: AcknowledgedWrite[] = [];
    const failures: FailedWrite[] = [];
    let stopping = false;
    let wake: (() => void) | undefined;
    const pause = (ms: number) =>
      stopping || ms <= 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, ms);
          });

    /** Runs `attempt` every `intervalMs` while it succeeds, at once and then every `retryIntervalMs` while it fails. */
    const role = async (attempt: () => Promise<boolean>) => {
      let failuresInARow = 0;
      while (!stopping) {
        const began = Date.now();
        if (await attempt()) {
          failuresInARow = 0;
          await pause(intervalMs - (Date.now() - began));
        } else if (failuresInARow++ > 0) {
          await pause(retryIntervalMs);
        }
      }
    };

    let seq = 0;
    const writer = role(async () => {
      const name = `${prefix}-${seq++}`;
      const data = { seq: String(seq - 1) };
      const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { [PROBE_LABEL]: prefix } }, data };
      const sentAt = Date.now();
      try {
        const res = await writerClient.request('POST', collection, body, requestTimeoutMs);
        const at = Date.now();
        if (res.status === 201) {
          const resourceVersion = String(res.body?.metadata?.resourceVersion ?? '');
          acknowledged.push({ kind: 'create', name, resourceVersion, data, sentAt, acknowledgedAt: at });
          writes.success(at);
          return true;
        }
        const reason = typeof res.body === 'object' ? res.body?.reason : String(res.body).slice(0, 200);
        failures.push({ kind: 'create', name, data, sentAt, failedAt: at, status: res.status, reason });
        writes.failure(`HTTP ${res.status}`);
      } catch (err) {
        const error = errorText(err);
        failures.push({ kind: 'create', name, data, sentAt, failedAt: Date.now(), error });
        writes.failure(error);
      }
      return false;
    });

    const reader = role(async () => {
      try {
        const res = await readerClient.request('GET', `/api/v1/namespaces/${namespace}`, undefined, requestTimeoutMs);
        if (res.status === 200) {
          reads.success(Date.now());
          return true;
        }
        reads.failure(`HTTP ${res.status}`);
      } catch (err) {
        reads.failure(errorText(err));
      }
      return false;
    });

    const lastAcknowledgedVersion = () => Number(acknowledged.at(-1)?.resourceVersion ?? 0);

    return {
      namespace,
      prefix,
      get acknowledgedCount() {
        return acknowledged.length;
      },
      get readCount() {
        return reads.succeeded;
      },
      get eventCount() {
        return watch.events.length;
      },
      async moreWrites(count, timeoutMs = 60_000) {
        const target = acknowledged.length + count;
        const deadline = Date.now() + timeoutMs;
        while (acknowledged.length < target) {
          if (Date.now() > deadline)
            throw new Error(`the probe's writer got ${count} writes through not within ${timeoutMs} ms`);
          await sleep(intervalMs);
        }
      },
      async stop(drainTimeoutMs = 10_000) {
        stopping = true;
        wake?.();
        await Promise.all([writer, reader]);
        const stoppedAt = Date.now();
        writes.finish(stoppedAt);
        reads.finish(stoppedAt);
        await watch.caughtUp(lastAcknowledgedVersion(), drainTimeoutMs);
        await watch.stop();
        closeClients();
        return {
          namespace,
          prefix,
          startedAt,
          stoppedAt,
          writes: { ...writes.report(), acknowledged, failures },
          reads: reads.report(),
          watch: watch.report(acknowledged),
        };
      },
    };
  } catch (err) {
    closeClients();
    throw err;
  }
}

/** A label-selected watch that re-opens from its last resourceVersion, as a reflector does. */
class ProbeWatch {
  readonly events: WatchedEvent[] = [];
  readonly reopens: WatchReopen[] = [];
  readonly errors: WatchError[] = [];
  readonly gone: WatchError[] = [];
  #resourceVersion = '';
  #stream?: ShootStream;
  #stopping = false;
  #loop?: Promise<void>;
  #longestDisconnectMs = 0;
  #openAtStop = false;
  #notify?: () => void;

  constructor(
    private readonly client: ShootClient,
    private readonly listPath: string,
    private readonly retryIntervalMs: number,
  ) {}

  /** Lists for the starting resourceVersion and opens the first stream; the re-opening loop then runs on its own. */
  async start(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastProblem = '';
    for (;;) {
      try {
        if (!this.#resourceVersion) this.#resourceVersion = await this.#list();
        const stream = await this.#open();
        if (stream.status === 200) {
          this.#loop = this.#run(stream);
          return;
        }
        stream.close();
        lastProblem = `HTTP ${stream.status}`;
      } catch (err) {
        lastProblem = errorText(err);
      }
      if (Date.now() > deadline)
        throw new Error(`the probe's watch did not open within ${timeoutMs} ms: ${lastProblem}`);
      await sleep(100);
    }
  }

  /** Resolves once an event at or after `resourceVersion` arrived, or after `timeoutMs`. */
  async caughtUp(resourceVersion: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Number(this.#resourceVersion) < resourceVersion && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.#notify = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  async stop(): Promise<void> {
    this.#openAtStop = this.#stream !== undefined;
    this.#stopping = true;
    this.#stream?.close();
    await this.#loop;
  }

  report(acknowledged: readonly AcknowledgedWrite[]): WatchReport {
    const seen = new Map<string, WatchedEvent>();
    const outOfOrder: WatchedEvent[] = [];
    let previous = 0;
    for (const event of this.events) {
      const version = Number(event.resourceVersion);
      if (version <= previous) outOfOrder.push(event);
      previous = Math.max(previous, version);
      seen.set(`${event.name}@${event.resourceVersion}`, event);
    }
    const missed: AcknowledgedWrite[] = [];
    let maxEventLagMs: number | undefined;
    for (const write of acknowledged) {
      const event = seen.get(`${write.name}@${write.resourceVersion}`);
      if (!event) missed.push(write);
      else maxEventLagMs = Math.max(maxEventLagMs ?? -Infinity, event.at - write.acknowledgedAt);
    }
    return {
      events: this.events,
      reopens: this.reopens,
      errors: this.errors,
      gone: this.gone,
      longestDisconnectMs: this.#longestDisconnectMs,
      openAtStop: this.#openAtStop,
      missed,
      outOfOrder,
      maxEventLagMs,
    };
  }

  async #list(): Promise<string> {
    const res = await this.client.request('GET', `${this.listPath}&limit=1`, undefined, 5_000);
    if (res.status !== 200) throw new Error(`listing the probe's ConfigMaps: HTTP ${res.status}`);
    return String(res.body.metadata.resourceVersion);
  }

  #open(): Promise<ShootStream> {
    return this.client.stream(
      `${this.listPath}&watch=true&allowWatchBookmarks=true&resourceVersion=${this.#resourceVersion}`,
      5_000,
    );
  }

  async #run(first: ShootStream): Promise<void> {
    let stream: ShootStream | undefined = first;
    for (;;) {
      // A stream opened while `stop()` ran was not there for it to close.
      if (this.#stopping) {
        stream?.close();
        break;
      }
      const reason = stream ? await this.#consume(stream) : 'not open';
      if (this.#stopping) break;
      const reopen: WatchReopen = { at: Date.now(), reason, resourceVersion: this.#resourceVersion, failedAttempts: 0 };
      this.reopens.push(reopen);
      stream = await this.#reopen(reopen);
      if (reopen.reopenedAt !== undefined)
        this.#longestDisconnectMs = Math.max(this.#longestDisconnectMs, reopen.reopenedAt - reopen.at);
    }
  }

  /** Re-opens at once, then every `retryIntervalMs`, until a 200 or the probe stops; a 410 lists again. */
  async #reopen(reopen: WatchReopen): Promise<ShootStream | undefined> {
    while (!this.#stopping) {
      try {
        if (!this.#resourceVersion) this.#resourceVersion = await this.#list();
        const stream = await this.#open();
        if (stream.status === 200) {
          reopen.reopenedAt = Date.now();
          return stream;
        }
        const body = await readAll(stream);
        stream.close();
        const answer = {
          at: Date.now(),
          code: stream.status,
          reason: body?.reason ?? '',
          message: body?.message ?? '',
        };
        // A 410 loses events; any other refusal (a 503 while the API server starts) only delays
        // the re-open, as it delays a reflector's.
        if (stream.status === 410) {
          this.errors.push(answer);
          this.#expired(answer);
        } else {
          reopen.lastRefusal = `HTTP ${stream.status} ${answer.reason}`.trim();
        }
      } catch (err) {
        // The server is not there (yet): try again.
        reopen.lastRefusal = errorText(err);
      }
      if (reopen.failedAttempts++ > 0) await sleep(this.retryIntervalMs);
    }
    return undefined;
  }

  /** Reads events until the stream ends; returns why it ended. */
  async #consume(stream: ShootStream): Promise<string> {
    this.#stream = stream;
    // Decoded as a stream: a character split across two chunks stays whole.
    stream.response.setEncoding('utf8');
    let buffered = '';
    try {
      for await (const chunk of stream.response) {
        buffered += chunk as string;
        let newline = buffered.indexOf('\n');
        while (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (!line.trim()) continue;
          const ended = this.#handle(JSON.parse(line) as { type: string; object: Json });
          if (ended) {
            stream.close();
            return ended;
          }
        }
      }
      return 'stream ended';
    } catch (err) {
      return errorText(err);
    } finally {
      this.#stream = undefined;
    }
  }

  /** Takes one event; returns a reason when it ends the stream (an ERROR event). */
  #handle(event: { type: string; object: Json }): string | undefined {
    const at = Date.now();
    const version = String(event.object?.metadata?.resourceVersion ?? '');
    if (event.type === 'ERROR') {
      const status = event.object ?? {};
      const error = { at, code: Number(status.code ?? 0), reason: status.reason ?? '', message: status.message ?? '' };
      this.errors.push(error);
      if (error.code === 410) this.#expired(error);
      return `ERROR ${error.code} ${error.reason}`;
    }
    if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED')
      this.events.push({ type: event.type, name: String(event.object.metadata.name), resourceVersion: version, at });
    if (version) this.#resourceVersion = version;
    this.#notify?.();
    return undefined;
  }

  /** A 410: the history after our resourceVersion is gone; list again as a reflector would. */
  #expired(error: WatchError) {
    this.gone.push(error);
    this.#resourceVersion = '';
  }
}

async function readAll(stream: ShootStream): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream.response) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** What breaks a live migration's promise to clients, one line each; empty when nothing does. */
export function continuityProblems(report: ContinuityReport): string[] {
  const { watch } = report;
  const problems: string[] = [];
  const some = <T>(list: readonly T[], show: (item: T) => string) =>
    list.slice(0, 3).map(show).join(', ') + (list.length > 3 ? `, … (${list.length})` : '');
  if (watch.missed.length)
    problems.push(
      `acknowledged writes without their watch event: ${some(watch.missed, (w) => `${w.name}@${w.resourceVersion}`)}`,
    );
  if (watch.outOfOrder.length)
    problems.push(`watch events out of order: ${some(watch.outOfOrder, (e) => `${e.name}@${e.resourceVersion}`)}`);
  if (watch.gone.length) problems.push(`410 Gone on the watch: ${some(watch.gone, (e) => e.message)}`);
  if (!watch.openAtStop) problems.push('the watch was not open when the probe stopped');
  const others = watch.errors.filter((e) => e.code !== 410);
  if (others.length) problems.push(`watch errors: ${some(others, (e) => `${e.code} ${e.reason} ${e.message}`)}`);
  return problems;
}

/** The writer's records in shoot-writer's shape, for `checkWrites` against the ConfigMaps stored afterwards. */
export function probeWriterRecords(report: ContinuityReport): WriterRecords {
  return { namespace: report.namespace, acknowledged: report.writes.acknowledged, failed: report.writes.failures };
}

/** One line for logs and assertion messages. */
export function describeContinuity(report: ContinuityReport): string {
  const ms = (pause: Pause | undefined) => (pause ? `${pause.durationMs} ms` : '-');
  const { writes, reads, watch } = report;
  return (
    `writes ${writes.succeeded} acknowledged/${writes.failed} failed, longest write pause ${ms(writes.longestPause)}` +
    `${writes.longestPause?.firstFailure ? ` (${writes.longestPause.firstFailure})` : ''}; ` +
    `reads ${reads.succeeded}/${reads.failed} failed, longest read pause ${ms(reads.longestPause)}; ` +
    `watch ${watch.events.length} events, ${watch.reopens.length} re-opens, longest disconnect ${watch.longestDisconnectMs} ms, ` +
    `${watch.missed.length} missed, ${watch.gone.length} × 410`
  );
}

/** When the longest write and read pauses were (ISO times) and what failed first in them: to set them beside a flow's log. */
export function describePauseTimes(report: ContinuityReport): string {
  const at = (p: Pause | undefined) =>
    p ? `${new Date(p.from).toISOString()} → ${new Date(p.to).toISOString()} (${p.firstFailure ?? 'no failure'})` : '-';
  return `longest write pause ${at(report.writes.longestPause)}; longest read pause ${at(report.reads.longestPause)}`;
}
