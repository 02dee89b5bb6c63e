/// <reference lib="dom" />
/**
 * The garden dashboard's way to the garden's API, in the browser (served as
 * /dashboard/dashboard-api.js): requests with the user's bearer token, and collections kept
 * current by a list and a watch — the watch's JSON lines read from the fetch body's stream, as
 * client-go's reflector reads them. It imports nothing: the browser loads it as it is.
 */

/** The objects the dashboard reads; each view checks the fields it uses. */
export interface ApiObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    ownerReferences?: { uid: string; controller?: boolean }[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** A refusal or failure, with the garden's Status (`code`, `reason`, `message`) when it sent one. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;

  constructor(code: number, reason: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
  }

  /** `403 Forbidden: <the garden's message>`. */
  describe(): string {
    return `${this.code} ${this.reason}: ${this.message}`;
  }
}

export class GardenApi {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  /** A JSON request; throws `ApiError` for anything but a 2xx. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(path, {
      method,
      headers: this.#headers(body !== undefined),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      cache: 'no-store',
    });
    const text = await res.text();
    const parsed = text ? safeJson(text) : undefined;
    if (!res.ok) throw errorOf(res, parsed);
    return parsed as T;
  }

  /** Whether the user may do `attributes` (a SelfSubjectAccessReview's resourceAttributes). */
  async can(attributes: Record<string, string>): Promise<boolean> {
    const review = await this.request<{ status?: { allowed?: boolean } }>(
      'POST',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: attributes },
      },
    );
    return review.status?.allowed === true;
  }

  /**
   * Streams the watch `path` (with `?watch=1…`) to `onEvent` until the stream ends, `signal`
   * aborts, or the garden sends an ERROR event (thrown as an ApiError).
   */
  async watch(path: string, onEvent: (type: string, object: ApiObject) => void, signal: AbortSignal): Promise<void> {
    const res = await fetch(path, { headers: this.#headers(false), signal, cache: 'no-store' });
    if (!res.ok || !res.body) throw errorOf(res, safeJson(await res.text()));
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffered += value;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (!line) continue;
        const event = safeJson(line) as { type?: string; object?: ApiObject } | undefined;
        if (!event?.type || !event.object) continue;
        if (event.type === 'ERROR') throw errorOf({ status: 500, statusText: 'watch error' }, event.object);
        onEvent(event.type, event.object);
      }
    }
  }

  #headers(json: boolean): Record<string, string> {
    return {
      Authorization: `Bearer ${this.#token}`,
      Accept: 'application/json',
      ...(json ? { 'Content-Type': 'application/json' } : {}),
    };
  }
}

/** How long to wait before listing again after a watch ended or failed. */
const RELIST_DELAY_MS = 1000;

/**
 * The objects of one list path (`/apis/…/shoots`, or one namespace's), current: listed, then
 * watched from the list's resourceVersion; when the watch ends or fails (a 410 Gone after a long
 * disconnection, the garden restarting) it lists and watches again. `onChange` runs after every
 * change; `onProblem` gets a failure to show (undefined once it works again).
 */
export class Collection {
  readonly items = new Map<string, ApiObject>();
  readonly #api: GardenApi;
  readonly #path: string;
  readonly #onChange: () => void;
  readonly #onProblem: (problem: ApiError | Error | undefined) => void;
  readonly #abort = new AbortController();

  constructor(
    api: GardenApi,
    path: string,
    onChange: () => void,
    onProblem: (problem: ApiError | Error | undefined) => void,
  ) {
    this.#api = api;
    this.#path = path;
    this.#onChange = onChange;
    this.#onProblem = onProblem;
    void this.#run();
  }

  stop(): void {
    this.#abort.abort();
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        const list = await this.#api.request<{ metadata?: { resourceVersion?: string }; items?: ApiObject[] }>(
          'GET',
          this.#path,
        );
        this.items.clear();
        for (const item of list.items ?? []) this.items.set(keyOf(item), item);
        this.#onProblem(undefined);
        this.#onChange();
        const from = encodeURIComponent(list.metadata?.resourceVersion ?? '');
        await this.#api.watch(
          `${this.#path}?watch=1&allowWatchBookmarks=true&resourceVersion=${from}`,
          (type, object) => {
            if (type === 'BOOKMARK') return;
            if (type === 'DELETED') this.items.delete(keyOf(object));
            else this.items.set(keyOf(object), object);
            this.#onChange();
          },
          signal,
        );
      } catch (err) {
        if (signal.aborted) return;
        this.#onProblem(err as Error);
      }
      await sleep(RELIST_DELAY_MS, signal);
    }
  }
}

/** `namespace/name`, or the name of a cluster-scoped object. */
export function keyOf(object: ApiObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

function errorOf(res: { status: number; statusText: string }, body: unknown): ApiError {
  const status = body as { code?: number; reason?: string; message?: string } | undefined;
  return new ApiError(
    status?.code ?? res.status,
    status?.reason || res.statusText || 'Error',
    status?.message || `the garden answered ${res.status}`,
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
