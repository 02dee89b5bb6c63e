/**
 * kube-apiserver's request metrics (k8s.io/apiserver `pkg/endpoints/metrics`), recorded for every
 * request the generic server answers: `apiserver_request_total` (a counter by verb, dry run,
 * group, version, resource, subresource, scope, component and code) and
 * `apiserver_request_duration_seconds` (a histogram by the same labels but the code, with
 * Kubernetes' buckets). Labels follow Kubernetes' cleaning: `LIST`/`WATCH`/`APPLY` as verbs,
 * the scope `resource`, `namespace`, `cluster` or empty for a non-resource path.
 *
 * A watch is recorded once, when it is established (Kubernetes records its establishment, not
 * its lifetime). A path that names no served resource is recorded without its resource labels,
 * so that requests for made-up resources cannot grow the number of series without bound.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RequestInfo } from '../request-info.js';

/** kube-apiserver's buckets for `apiserver_request_duration_seconds`. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60,
]);

/** The value of the `component` label: the requests the API server itself handles. */
const COMPONENT = 'apiserver';

const DURATION_LABELS = [
  'verb',
  'dry_run',
  'group',
  'version',
  'resource',
  'subresource',
  'scope',
  'component',
] as const;
const TOTAL_LABELS = [...DURATION_LABELS, 'code'] as const;

type DurationLabel = (typeof DURATION_LABELS)[number];
type TotalLabel = (typeof TOTAL_LABELS)[number];

/** What one answered request is recorded as. */
export interface RecordedRequest {
  /** The HTTP method. */
  method: string;
  /** The parsed request; undefined when it was refused before (401). */
  info: RequestInfo | undefined;
  /** Whether the path names a resource (and subresource) the server serves: its labels are kept. */
  served: boolean;
  /** A server-side apply (`application/apply-patch+yaml`): Kubernetes' verb `APPLY`. */
  apply: boolean;
  /** `dryRun=All` was asked for. */
  dryRun: boolean;
  code: number;
  seconds: number;
}

/** Subresources that stream (Kubernetes serves them as CONNECT). */
const connectSubresources = new Set(['proxy', 'exec', 'attach', 'portforward']);

/** One label set's handles: prom-client's child metrics, looked up once and kept. */
interface Series {
  labels: Record<DurationLabel, string>;
  duration: { observe(value: number): void };
  /** By status code. */
  totals: Map<number, { inc(): void }>;
}

export class RequestMetrics {
  readonly #duration: Histogram<DurationLabel>;
  readonly #total: Counter<TotalLabel>;
  /**
   * The series by a key of their labels: a request looks its series up with one string and one
   * map lookup, instead of prom-client hashing and checking a labels object per call (a third of
   * the cost, measured).
   */
  readonly #series = new Map<string, Series>();

  constructor(registry: Registry) {
    this.#duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: DURATION_LABELS,
      buckets: [...REQUEST_DURATION_BUCKETS],
      registers: [registry],
    });
    this.#total = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: TOTAL_LABELS,
      registers: [registry],
    });
  }

  /** Records one answered request (or one established watch). */
  record(request: RecordedRequest): void {
    const info = request.served ? request.info : undefined;
    const key = info
      ? `${requestVerb(request)} ${request.dryRun} ${info.apiGroup} ${info.apiVersion} ${info.resource} ${info.subresource} ${requestScope(info)}`
      : `${requestVerb(request)} ${request.dryRun}`;
    let series = this.#series.get(key);
    if (!series) {
      const labels = requestLabels(request);
      series = { labels, duration: this.#duration.labels(labels), totals: new Map() };
      this.#series.set(key, series);
    }
    series.duration.observe(request.seconds);
    let total = series.totals.get(request.code);
    if (!total) {
      total = this.#total.labels({ ...series.labels, code: String(request.code) });
      series.totals.set(request.code, total);
    }
    total.inc();
  }
}

/** The histogram's labels of `request`, after Kubernetes' cleaning (the counter's add `code`). */
export function requestLabels(request: Omit<RecordedRequest, 'code' | 'seconds'>): Record<DurationLabel, string> {
  const info = request.served ? request.info : undefined;
  return {
    verb: requestVerb(request),
    dry_run: request.dryRun ? 'All' : '',
    group: info?.apiGroup ?? '',
    version: info?.apiVersion ?? '',
    resource: info?.resource ?? '',
    subresource: info?.subresource ?? '',
    scope: info ? requestScope(info) : '',
    component: COMPONENT,
  };
}

/** Kubernetes' reported verb: the method, LIST and WATCH for reads of collections, APPLY, CONNECT. */
export function requestVerb(request: Pick<RecordedRequest, 'method' | 'info' | 'served' | 'apply'>): string {
  const info = request.served ? request.info : undefined;
  if (!info?.resourceRequest) return request.method === 'HEAD' ? 'GET' : request.method;
  if (connectSubresources.has(info.subresource)) return 'CONNECT';
  switch (info.verb) {
    case 'list':
      return 'LIST';
    case 'watch':
      return 'WATCH';
    case 'get':
      return 'GET';
    case 'patch':
      return request.apply ? 'APPLY' : 'PATCH';
    case 'deletecollection':
      return 'DELETE';
    default:
      return request.method;
  }
}

/** Kubernetes' `CleanScope`: `resource` for a named object or a create, else `namespace`, `cluster`, or empty. */
export function requestScope(info: RequestInfo): string {
  if (info.name !== '' || info.verb === 'create') return 'resource';
  if (info.namespace !== '') return 'namespace';
  return info.resourceRequest ? 'cluster' : '';
}
