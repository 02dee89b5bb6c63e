/**
 * The API fuzzer's property, for any surface: every answer is a well-formed `Status` for a
 * refusal (kind Status, apiVersion v1, code = the HTTP status, a reason) or a valid success;
 * never a 5xx; the server still answers /readyz; and a refused (or dry-run) request leaves the
 * store's revision where it was.
 *
 * Runs `FUZZ_RUNS` cases (default 1,000, make test's; make fuzz runs 100,000) from `FUZZ_SEED` (default fixed, so CI is
 * reproducible); a failure names the seed and fast-check's shrunk request.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { type FuzzTarget, fuzzRequests, type GeneratedRequest, toJsonText } from './fuzz-arbitraries.js';
import type { FuzzResponse, FuzzTransport } from './fuzz-transport.js';

/** One API server under fuzz, reached over HTTPS with real credentials. */
export interface FuzzSurface {
  name: string;
  transport: FuzzTransport;
  targets: readonly FuzzTarget[];
  /** The store's current revision (read in-process, beside the HTTP path). */
  revision(): Promise<number>;
  /**
   * Waits until writers other than the fuzzer that a success may have woken (a CRD's
   * controller) are done, so their writes are not taken for the next request's.
   */
  settle?(target: number): Promise<void>;
}

/** The seed CI runs with: fixed, so a failure reproduces with `FUZZ_SEED` unset. */
const defaultSeed = 20261206;

export interface FuzzRunOptions {
  numRuns?: number;
  seed?: number;
}

export function fuzzRunOptions(): Required<FuzzRunOptions> {
  return {
    numRuns: Number(process.env.FUZZ_RUNS ?? 1_000),
    seed: Number(process.env.FUZZ_SEED ?? defaultSeed),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: the property reads decoded answers freely
type Json = any;

const writeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function decode(res: FuzzResponse): Json {
  if (res.contentType.startsWith('application/json')) return JSON.parse(res.text);
  if (res.contentType.startsWith('application/yaml')) return parseYaml(res.text);
  return undefined;
}

function describe(req: GeneratedRequest, res: FuzzResponse): string {
  const body = req.body === undefined ? '' : ` body ${req.body.length} bytes: ${req.body.slice(0, 300)}`;
  return `${req.method} ${req.path.slice(0, 300)} [${req.headers['Content-Type'] ?? ''}]${body}\n→ ${res.status} ${res.text.slice(0, 600)}`;
}

function isDryRun(req: GeneratedRequest): boolean {
  return /[?&]dryRun=All/.test(req.path);
}

/** A refusal: Kubernetes' `Status` with the HTTP code and a reason. */
function assertStatus(req: GeneratedRequest, res: FuzzResponse): void {
  let status: Json;
  try {
    status = JSON.parse(res.text);
  } catch {
    assert.fail(`not a JSON Status: ${describe(req, res)}`);
  }
  assert.ok(
    status?.kind === 'Status' &&
      status.apiVersion === 'v1' &&
      status.status === 'Failure' &&
      status.code === res.status &&
      typeof status.reason === 'string' &&
      status.reason !== '' &&
      typeof status.message === 'string',
    `not a well-formed Status: ${describe(req, res)}`,
  );
}

function isSurrogate(c: string): boolean {
  return c.length === 1 && c >= '\ud800' && c <= '\udfff';
}

/**
 * Names the API refuses in every kind: `.`/`..`, slashes, `%`, control characters. (No length:
 * RBAC names are path segments only, as in Kubernetes.)
 */
function validStoredName(name: unknown): boolean {
  return (
    typeof name === 'string' &&
    name !== '' &&
    name !== '.' &&
    name !== '..' &&
    ![...name].some((c) => c === '/' || c === '%' || c <= '\u001f' || c === '\u007f' || isSurrogate(c))
  );
}

/** A success: a decodable object of a kind, and a written object with sane server-set metadata. */
function assertSuccess(req: GeneratedRequest, res: FuzzResponse, kind: string | undefined): void {
  let obj: Json;
  try {
    obj = decode(res);
  } catch {
    assert.fail(`success that does not decode: ${describe(req, res)}`);
  }
  if (obj === undefined) return;
  assert.ok(
    typeof obj?.kind === 'string' && typeof obj.apiVersion === 'string',
    `success without kind: ${describe(req, res)}`,
  );
  // Tables, lists and Statuses answer too (as the Accept header asks, or for a delete).
  if (!writeMethods.has(req.method) || obj.kind !== kind) return;
  const meta = obj.metadata ?? {};
  assert.ok(validStoredName(meta.name), `an object stored under an invalid name: ${describe(req, res)}`);
  // A dry-run create stores nothing, so it has no resourceVersion, as in Kubernetes.
  if (!isDryRun(req) || meta.resourceVersion !== undefined) {
    assert.match(
      String(meta.resourceVersion),
      /^[1-9][0-9]*$/,
      `written object's resourceVersion: ${describe(req, res)}`,
    );
  }
  assert.ok(typeof meta.uid === 'string' && meta.uid !== '', `written object without uid: ${describe(req, res)}`);
  assert.ok(
    typeof meta.creationTimestamp === 'string' && !Number.isNaN(Date.parse(meta.creationTimestamp)),
    `written object's creationTimestamp: ${describe(req, res)}`,
  );
}

/**
 * Creates each target's sample unless it exists (after setup, and after a request deleted it);
 * an object still being deleted (finalizers, no garbage collector here) is left as it is.
 */
async function restoreSamples(surface: FuzzSurface, targets: readonly FuzzTarget[]): Promise<void> {
  for (const [index, target] of targets.entries()) {
    const ns = target.namespace ? `/namespaces/${target.namespace}` : '';
    const base = `/${target.groupVersionPath}${ns}/${target.plural}`;
    const get = await surface.transport.send({
      method: 'GET',
      path: `${base}/${target.sample.metadata.name}`,
      headers: { Accept: 'application/json' },
    });
    if (get.status !== 404) continue;
    const created = await surface.transport.send({
      method: 'POST',
      path: base,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: Buffer.from(toJsonText(target.sample)),
    });
    assert.equal(created.status, 201, `restoring ${base}/${target.sample.metadata.name}: ${created.text}`);
    await surface.settle?.(index);
  }
}

async function assertReady(surface: FuzzSurface): Promise<void> {
  const res = await surface.transport.send({ method: 'GET', path: '/readyz', headers: {} });
  assert.equal(res.status, 200, `${surface.name} no longer ready: ${res.status} ${res.text}`);
}

export interface FuzzReport {
  cases: number;
  byStatus: Record<number, number>;
}

/** Runs `fuzzSurface` as a test: all cases ran, the answers' status codes as a diagnostic. */
export async function fuzzSurfaceTest(t: { diagnostic(message: string): void }, surface: FuzzSurface): Promise<void> {
  const report = await fuzzSurface(surface);
  assert.equal(report.cases, fuzzRunOptions().numRuns);
  t.diagnostic(`answers by status: ${JSON.stringify(report.byStatus)}`);
}

/** Runs the property on `surface`; throws fast-check's report (seed, shrunk request) on a failure. */
export async function fuzzSurface(surface: FuzzSurface, options: FuzzRunOptions = {}): Promise<FuzzReport> {
  const { numRuns, seed } = { ...fuzzRunOptions(), ...options };
  await restoreSamples(surface, surface.targets);
  const byStatus: Record<number, number> = {};
  const slowMs = process.env.FUZZ_SLOW_MS ? Number(process.env.FUZZ_SLOW_MS) : undefined;
  let cases = 0;
  const property = fc.asyncProperty(fuzzRequests(surface.targets), async (req) => {
    const t0 = performance.now();
    const before = await surface.revision();
    const res = await surface.transport
      .send({
        method: req.method,
        path: req.path,
        headers: req.headers,
        ...(req.body !== undefined ? { body: Buffer.from(req.body) } : {}),
      })
      .catch((err: Error) =>
        assert.fail(`no answer (${err.message}): ${describe(req, { status: 0, contentType: '', text: '' })}`),
      );
    cases++;
    const ms = performance.now() - t0;
    // FUZZ_SLOW_MS=N names the requests that took longer, to find what makes a run slow.
    if (slowMs !== undefined && ms > slowMs)
      process.stderr.write(`slow (${Math.round(ms)} ms): ${describe(req, res)}\n`);
    byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
    assert.ok(res.status >= 200 && res.status < 500, `server error: ${describe(req, res)}`);
    const refused = res.status >= 400;
    // Node's HTTP parser refuses a request line and headers over 16 KiB before any API code
    // runs, with an empty body, as Go's server does with a line of text.
    if (res.status === 431) assert.equal(res.text, '', describe(req, res));
    else if (refused) assertStatus(req, res);
    else assertSuccess(req, res, surface.targets[req.target]?.sample.kind);
    if (refused || isDryRun(req)) {
      assert.equal(
        await surface.revision(),
        before,
        `the store changed on a refused or dry-run request: ${describe(req, res)}`,
      );
    } else if (writeMethods.has(req.method)) {
      await surface.settle?.(req.target);
      if (req.method === 'DELETE') await restoreSamples(surface, surface.targets);
    }
    if (cases % 500 === 0) await assertReady(surface);
  });
  try {
    await fc.assert(property, { numRuns, seed, endOnFailure: false });
  } catch (err) {
    // fast-check's report (seed, path, the shrunk request) first, cut: a huge string would bury it.
    const report = (err as Error).message.replace(/(.{2000}).*?(Shrunk)/s, '$1… $2');
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : '';
    throw new Error(
      `${surface.name} fuzz failed; reproduce with FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}\n${cause.slice(0, 3000)}\n${report}`,
    );
  }
  await assertReady(surface);
  return { cases, byStatus };
}
