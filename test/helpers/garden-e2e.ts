/**
 * Building blocks for the garden end-to-end tests: the real kubectl with its HTTP log parsed
 * (status code and the Status body the server answered), manifests of seeds and shoots, and
 * kubectl's table output as records.
 */
import assert from 'node:assert/strict';
import type { Json } from './api-client.js';
import { bash, type CommandResult, kubectl } from './kubectl.js';

export type { Json };

export const GARDENER_API = '/apis/core.gardener.cloud/v1beta1';

export function shootsPath(namespace?: string): string {
  return namespace ? `${GARDENER_API}/namespaces/${namespace}/shoots` : `${GARDENER_API}/shoots`;
}

export function shootPath(namespace: string, name: string): string {
  return `${shootsPath(namespace)}/${name}`;
}

export function seedPath(name: string): string {
  return `${GARDENER_API}/seeds/${name}`;
}

/** A Kubernetes Status as the server sends it. */
export interface ApiStatus {
  kind: 'Status';
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { type?: string; message?: string; field?: string }[];
  };
}

export interface VerboseResult extends CommandResult {
  /** stderr without kubectl's log lines: what a person sees. */
  message: string;
  /** The HTTP status of the last response kubectl logged. */
  httpStatus: number | undefined;
  /** The last response body kubectl logged, when it is a Status. */
  status: ApiStatus | undefined;
}

const klogLine = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ [^\]]+\] ?(.*)$/;

/**
 * Splits the stderr of a kubectl run with `-v=9` into its log (HTTP status and response bodies,
 * up to 10 KiB each at this level) and the message kubectl prints for a person.
 */
export function parseVerbose(result: CommandResult): VerboseResult {
  const messageLines: string[] = [];
  let httpStatus: number | undefined;
  let status: ApiStatus | undefined;
  for (const line of result.stderr.split('\n')) {
    const log = klogLine.exec(line);
    if (!log) {
      if (line.trim() !== '') messageLines.push(line);
      continue;
    }
    const text = log[1] ?? '';
    const code = /Response Status: (\d{3})/.exec(text) ?? /^(?:GET|PUT|POST|PATCH|DELETE) \S+ (\d{3}) /.exec(text);
    if (code) {
      httpStatus = Number(code[1]);
      status = undefined;
    }
    const body = /^Response Body: (.*)$/.exec(text);
    if (body) {
      try {
        const parsed = JSON.parse(body[1]!) as { kind?: string };
        status = parsed.kind === 'Status' ? (parsed as ApiStatus) : undefined;
      } catch {
        status = undefined;
      }
    }
  }
  return { ...result, message: messageLines.join('\n'), httpStatus, status };
}

/** kubectl with `-v=9`, its HTTP log parsed; never throws on a non-zero exit. */
export async function kubectlVerbose(
  kubeconfig: string,
  args: readonly string[],
  input?: string,
): Promise<VerboseResult> {
  return parseVerbose(await kubectl(kubeconfig, ['-v=9', ...args], input));
}

/**
 * The seed document's pipeline with a jq filter of the test's choice and the replace at `-v=9`:
 * `kubectl get --raw <shoot> | jq -c <filter> | kubectl replace --raw <shoot>/binding -f -`.
 * `getKubeconfig` reads the shoot (default: the same kubeconfig).
 */
export async function bindingWithJq(
  kubeconfig: string,
  namespace: string,
  name: string,
  filter: string,
  getKubeconfig: string = kubeconfig,
): Promise<VerboseResult> {
  const result = await bash(
    'kubectl --kubeconfig "$GET_KUBECONFIG" get --raw "$SHOOT" | jq -c "$FILTER" | kubectl --kubeconfig "$KUBECONFIG" -v=9 replace --raw "$SHOOT/binding" -f -',
    { KUBECONFIG: kubeconfig, GET_KUBECONFIG: getKubeconfig, SHOOT: shootPath(namespace, name), FILTER: filter },
  );
  return parseVerbose(result);
}

/** Asserts a rejected kubectl call: exit code, HTTP status, Status reason and message, and field. */
export function assertRejected(
  result: VerboseResult,
  expected: { code: number; reason: string; message: string | RegExp; field?: string },
): void {
  const context = `stdout:\n${result.stdout}\nmessage:\n${result.message}`;
  assert.notEqual(result.code, 0, `kubectl should fail; ${context}`);
  assert.equal(result.httpStatus, expected.code, context);
  assert.ok(result.status, `the server should answer with a Status; ${context}`);
  assert.equal(result.status.kind, 'Status');
  assert.equal(result.status.status, 'Failure');
  assert.equal(result.status.code, expected.code);
  assert.equal(result.status.reason, expected.reason);
  if (typeof expected.message === 'string') {
    assert.ok(result.status.message.includes(expected.message), `Status message: ${result.status.message}`);
    assert.ok(result.message.includes(expected.message), `kubectl should show the rejection text; ${context}`);
  } else {
    assert.match(result.status.message, expected.message);
    assert.match(result.message, expected.message);
  }
  if (expected.field !== undefined) {
    const fields = (result.status.details?.causes ?? []).map((c) => c.field);
    assert.ok(
      fields.includes(expected.field),
      `causes should name ${expected.field}: ${JSON.stringify(result.status.details)}`,
    );
  }
}

/** `kubectl get --raw <path>` parsed as JSON; throws when kubectl fails. */
export async function getRaw<T = Json>(kubeconfig: string, path: string): Promise<T> {
  const result = await kubectl(kubeconfig, ['get', '--raw', path]);
  if (result.code !== 0) throw new Error(`kubectl get --raw ${path} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

/** Runs kubectl and throws with its output unless it succeeds. */
export async function kubectlOk(kubeconfig: string, args: readonly string[], input?: string): Promise<string> {
  const result = await kubectl(kubeconfig, args, input);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} failed (${result.code}):\n${result.stderr}\n${result.stdout}`);
  }
  return result.stdout;
}

/** `kubectl create -f -` of a manifest given as an object. */
export async function createObject(kubeconfig: string, manifest: object): Promise<void> {
  await kubectlOk(kubeconfig, ['create', '-f', '-'], JSON.stringify(manifest));
}

/** `kubectl patch <resource> <name> [-n ns] --subresource status --type merge -p {status}`. */
export async function patchStatus(
  kubeconfig: string,
  resource: string,
  name: string,
  status: object,
  namespace?: string,
): Promise<void> {
  await kubectlOk(kubeconfig, [
    'patch',
    resource,
    name,
    ...(namespace ? ['-n', namespace] : []),
    '--subresource',
    'status',
    '--type',
    'merge',
    '-p',
    JSON.stringify({ status }),
  ]);
}

export interface SeedOptions {
  backup?: boolean;
  finalizers?: string[];
  labels?: Record<string, string>;
}

/** A Seed as Gardener's examples write it, with `spec.backup` unless `backup: false`. */
export function seedManifest(name: string, options: SeedOptions = {}): Json {
  const spec: Record<string, unknown> = {
    provider: { type: 'local', region: 'local', zones: ['0'] },
    dns: { provider: { type: 'local', secretRef: { name: 'internal-domain-local', namespace: 'garden' } } },
    ingress: { domain: `ingress.${name}.local.gardener.cloud`, controller: { kind: 'nginx' } },
    networks: { nodes: '172.18.0.0/16', pods: '10.1.0.0/16', services: '10.2.0.0/16' },
  };
  if (options.backup !== false) {
    spec.backup = {
      provider: 'local',
      region: 'local',
      credentialsRef: { apiVersion: 'v1', kind: 'Secret', name: `backup-${name}`, namespace: 'garden' },
    };
  }
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Seed',
    metadata: {
      name,
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.finalizers ? { finalizers: options.finalizers } : {}),
    },
    spec,
  };
}

export interface ShootOptions {
  seedName?: string;
  labels?: Record<string, string>;
  /** Merged over the default spec. */
  spec?: Record<string, unknown>;
}

/** A Shoot shaped like examples/30-shoot.yaml. */
export function shootManifest(namespace: string, name: string, options: ShootOptions = {}): Json {
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name, namespace, ...(options.labels ? { labels: options.labels } : {}) },
    spec: {
      cloudProfileName: 'local',
      region: 'local',
      secretBindingName: 'local',
      ...(options.seedName ? { seedName: options.seedName } : {}),
      purpose: 'development',
      provider: {
        type: 'local',
        workers: [
          {
            name: 'local',
            machine: { type: 'local', image: { name: 'local', version: '1.0.0' } },
            cri: { name: 'containerd' },
            minimum: 1,
            maximum: 1,
          },
        ],
      },
      kubernetes: { version: '1.31.1' },
      networking: { type: 'calico', nodes: '10.10.0.0/16', pods: '10.11.0.0/16', services: '10.12.0.0/16' },
      hibernation: { enabled: false },
      ...options.spec,
    },
  };
}

/** A timestamp as Kubernetes writes it (seconds, UTC). */
export function timestamp(at: Date = new Date()): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/**
 * kubectl's table output as records keyed by the header cells (columns are separated by at
 * least two spaces; cells like "Reconcile Succeeded (100%)" keep their single spaces).
 */
export function parseTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0]!;
  // Column starts: where each header cell begins.
  const starts: number[] = [];
  const names: string[] = [];
  for (const match of header.matchAll(/\S+(?: \S+)*/g)) {
    starts.push(match.index ?? 0);
    names.push(match[0]);
  }
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    names.forEach((name, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : undefined;
      row[name] = line.slice(starts[i], end).trim();
    });
    return row;
  });
}

/** Sleeps. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
