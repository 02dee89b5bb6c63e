/**
 * Load on a shoot's API while its control plane moves, and the evidence to judge the move by:
 *
 * - `startShootWriter`: one write at a time, every few ms, through the shoot API — a new ConfigMap
 *   each round and, optionally, an update of one ConfigMap — recording every write the server
 *   acknowledged with a 2xx (name, resourceVersion, content) and every write that failed (HTTP
 *   status or connection error, when). `checkWrites` then compares the records with what the
 *   shoot holds afterwards: an acknowledged write that is missing or changed is a lost write.
 * - `measureDowntime`: a GET every 50 ms; the longest run of failed GETs is the API's downtime.
 *
 * Writes are sequential on purpose: each outcome is known before the next write is sent, so a
 * record never depends on the order in which concurrent requests happened to land.
 */
import type { Json } from './api-client.js';
import type { ShootResponse } from './shoot-client.js';

/** The part of `ShootClient` the writer and the poller use. */
export interface ShootRequester {
  request(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<ShootResponse>;
}

export type WriteKind = 'create' | 'update';

/** A write the server answered with a 2xx: it must survive anything that happens afterwards. */
export interface AcknowledgedWrite {
  kind: WriteKind;
  name: string;
  resourceVersion: string;
  data: Record<string, string>;
  sentAt: number;
  acknowledgedAt: number;
}

/**
 * A write without a 2xx. Its effect is unknown when the connection broke after the request was
 * sent (`error` set) or the server answered 500 (a write its store may have applied); any other
 * answer says it was not applied.
 */
export interface FailedWrite {
  kind: WriteKind;
  name: string;
  data: Record<string, string>;
  sentAt: number;
  failedAt: number;
  /** The HTTP status of a non-2xx answer. */
  status?: number;
  /** The Status reason of a non-2xx answer, or the connection error. */
  reason?: string;
  error?: string;
}

export interface WriterRecords {
  namespace: string;
  /** The ConfigMap updated every round, if any. */
  update?: string;
  acknowledged: AcknowledgedWrite[];
  failed: FailedWrite[];
}

export interface WriterOptions {
  namespace: string;
  /** ConfigMaps are named `<prefix>-<n>`; default `w`. */
  prefix?: string;
  /** Pause between two rounds; default 5 ms. */
  intervalMs?: number;
  /** Also update this ConfigMap every round (created with the first round that gets through). */
  update?: string;
  /** How long one request may take before it counts as failed; default 5 s. */
  requestTimeoutMs?: number;
}

export interface ShootWriter {
  /** Acknowledged writes so far (to wait until the writer got some through). */
  readonly acknowledgedCount: number;
  /** When the latest acknowledged write was sent (0 before any): a write sent after a moment went through. */
  readonly lastAcknowledgedSentAt: number;
  readonly failedCount: number;
  /** Stops after the write under way and returns every record. */
  stop(): Promise<WriterRecords>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startShootWriter(client: ShootRequester, options: WriterOptions): ShootWriter {
  const { namespace, update } = options;
  const prefix = options.prefix ?? 'w';
  const intervalMs = options.intervalMs ?? 5;
  const timeoutMs = options.requestTimeoutMs ?? 5_000;
  const records: WriterRecords = { namespace, update, acknowledged: [], failed: [] };
  const collection = `/api/v1/namespaces/${namespace}/configmaps`;
  let stopping = false;
  let updateExists = false;

  /** Sends one write and records its outcome; returns the HTTP status, 0 for a connection error. */
  const write = async (kind: WriteKind, name: string, data: Record<string, string>): Promise<number> => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
    const sentAt = Date.now();
    try {
      const res =
        kind === 'create'
          ? await client.request('POST', collection, body, timeoutMs)
          : await client.request('PUT', `${collection}/${name}`, body, timeoutMs);
      if (res.status >= 200 && res.status < 300) {
        const resourceVersion = String(res.body?.metadata?.resourceVersion ?? '');
        records.acknowledged.push({ kind, name, resourceVersion, data, sentAt, acknowledgedAt: Date.now() });
      } else {
        const reason = typeof res.body === 'object' ? res.body?.reason : String(res.body).slice(0, 200);
        records.failed.push({ kind, name, data, sentAt, failedAt: Date.now(), status: res.status, reason });
      }
      return res.status;
    } catch (err) {
      const error = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      records.failed.push({ kind, name, data, sentAt, failedAt: Date.now(), error });
      return 0;
    }
  };

  const loop = (async () => {
    for (let round = 0; !stopping; round++) {
      const name = `${prefix}-${round}`;
      await write('create', name, { round: String(round), payload: `written by the writer in round ${round}` });
      if (update !== undefined && !stopping) {
        // An update of a ConfigMap that does not exist yet would be a 404 for a reason unrelated
        // to the control plane, so the first update that gets through is a create (a 409 means
        // an earlier create whose answer was lost did get through).
        const data = { round: String(round) };
        const status = await write(updateExists ? 'update' : 'create', update, data);
        if ((status >= 200 && status < 300) || status === 409) updateExists = true;
      }
      if (intervalMs > 0) await sleep(intervalMs);
    }
  })();

  return {
    get acknowledgedCount() {
      return records.acknowledged.length;
    },
    get lastAcknowledgedSentAt() {
      return Math.max(0, ...records.acknowledged.slice(-20).map((w) => w.sentAt));
    },
    get failedCount() {
      return records.failed.length;
    },
    async stop() {
      stopping = true;
      await loop;
      return records;
    },
  };
}

export interface WriteCheck {
  /** Acknowledged creates whose ConfigMap is not there. */
  missing: AcknowledgedWrite[];
  /** Acknowledged creates whose ConfigMap is there with another resourceVersion or content. */
  changed: { write: AcknowledgedWrite; found: Json }[];
  /** The updated ConfigMap is older than its last acknowledged update (an update was lost). */
  updateLost?: { last: AcknowledgedWrite; found: Json | undefined };
  /** ConfigMaps of the writer that are there though their create failed (the connection broke mid-request). */
  presentThoughFailed: FailedWrite[];
  /** Failed creates that had a 2xx-less answer and yet are there: an answer that lied. */
  presentThoughRefused: FailedWrite[];
}

/**
 * Compares the records with the namespace's ConfigMaps as they are now (`items`, e.g. from
 * `ShootClient.listConfigMaps`). No write is lost when `missing`, `changed`, `updateLost` and
 * `presentThoughRefused` are all empty; `presentThoughFailed` is allowed (its outcome was unknown).
 */
export function checkWrites(records: WriterRecords, items: readonly Json[]): WriteCheck {
  const byName = new Map<string, Json>(items.map((item) => [item.metadata.name, item]));
  const check: WriteCheck = { missing: [], changed: [], presentThoughFailed: [], presentThoughRefused: [] };
  let lastUpdate: AcknowledgedWrite | undefined;
  for (const write of records.acknowledged) {
    if (write.name === records.update) {
      lastUpdate = write;
      continue;
    }
    const found = byName.get(write.name);
    if (!found) check.missing.push(write);
    else if (found.metadata.resourceVersion !== write.resourceVersion || !sameData(found.data, write.data))
      check.changed.push({ write, found });
  }
  if (lastUpdate) {
    const found = byName.get(lastUpdate.name);
    // Later failed updates may have been applied, so the ConfigMap may be newer, never older.
    const older = !found || Number(found.metadata.resourceVersion) < Number(lastUpdate.resourceVersion);
    const same = found?.metadata.resourceVersion === lastUpdate.resourceVersion;
    if (older || (same && !sameData(found.data, lastUpdate.data))) check.updateLost = { last: lastUpdate, found };
  }
  for (const failure of records.failed) {
    if (failure.name === records.update || !byName.has(failure.name)) continue;
    // A 500 is the server's "unknown": a write etcd may have applied (src/storage/etcd/etcd-errors.ts).
    if (failure.status === undefined || failure.status === 500) check.presentThoughFailed.push(failure);
    else check.presentThoughRefused.push(failure);
  }
  return check;
}

function sameData(a: Json, b: Record<string, string>): boolean {
  const keys = Object.keys(a ?? {});
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** A run of failed probes: from the first failed probe's start to the next successful probe's start. */
export interface Gap {
  start: number;
  end: number;
  durationMs: number;
  failedProbes: number;
  /** The API still failed when the poller stopped (`end` is then the stop time). */
  open: boolean;
  /** The first failure's status or error, e.g. `ECONNREFUSED` or `HTTP 503`. */
  firstFailure: string;
}

export interface DowntimeReport {
  probes: number;
  failures: number;
  gaps: Gap[];
  /** The longest gap; undefined when every probe succeeded. */
  longest?: Gap;
}

export interface DowntimePoller {
  stop(): Promise<DowntimeReport>;
}

export interface DowntimeOptions {
  /** Default `/api/v1/namespaces/default`: a GET that needs the API server and its etcd. */
  path?: string;
  /** Default 50 ms, counted from one probe's start to the next. */
  intervalMs?: number;
  /** A probe without an answer for this long fails; default 1 s. */
  probeTimeoutMs?: number;
}

/**
 * Polls the API with a GET every `intervalMs` (the next probe starts `intervalMs` after the
 * previous one started, or at once when that one took longer). A probe succeeds on HTTP 200.
 * The gaps it reports are accurate to one interval plus one probe's latency.
 */
export function measureDowntime(client: ShootRequester, options: DowntimeOptions = {}): DowntimePoller {
  const path = options.path ?? '/api/v1/namespaces/default';
  const intervalMs = options.intervalMs ?? 50;
  const probeTimeoutMs = options.probeTimeoutMs ?? 1_000;
  const report: DowntimeReport = { probes: 0, failures: 0, gaps: [] };
  let open: Omit<Gap, 'end' | 'durationMs' | 'open'> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;

  const close = (end: number, stillFailing: boolean) => {
    if (!open) return;
    const gap: Gap = { ...open, end, durationMs: end - open.start, open: stillFailing };
    report.gaps.push(gap);
    if (!report.longest || gap.durationMs > report.longest.durationMs) report.longest = gap;
    open = undefined;
  };

  const loop = (async () => {
    while (!stopping) {
      const startedAt = Date.now();
      let failure: string | undefined;
      try {
        const res = await client.request('GET', path, undefined, probeTimeoutMs);
        if (res.status !== 200) failure = `HTTP ${res.status}`;
      } catch (err) {
        failure = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      }
      report.probes++;
      if (failure !== undefined) {
        report.failures++;
        if (open) open.failedProbes++;
        else open = { start: startedAt, failedProbes: 1, firstFailure: failure };
      } else {
        close(startedAt, false);
      }
      const pause = intervalMs - (Date.now() - startedAt);
      if (pause > 0 && !stopping) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, pause);
        });
      }
    }
  })();

  return {
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      close(Date.now(), true);
      return report;
    },
  };
}
