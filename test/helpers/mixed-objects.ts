/**
 * A shoot holding what clusters hold, for benchmarks and migration tests: Pods, Deployments,
 * Services, ConfigMaps, Secrets and custom resources of a CRD, spread over a few namespaces,
 * created through the shoot's API with many requests in flight; and a read-back that compares
 * every object with what its create answered (uid and resourceVersion).
 *
 * The bare Pods and the Deployments' pods name a scheduler nobody runs (`schedulerName`), as pods
 * waiting for a custom scheduler do: they stay Pending without scheduling attempts, so a
 * measurement sees the API's work and not a scheduler's retries over pods that fit nowhere.
 */
import type { Json } from './api-client.js';
import type { ShootClient } from './shoot-client.js';

export interface ObjectMix {
  pods: number;
  deployments: number;
  services: number;
  configMaps: number;
  secrets: number;
  customResources: number;
}

/** Roughly `total` objects, in the proportions of a busy application cluster. */
export function mixOf(total: number): ObjectMix {
  const share = (fraction: number) => Math.round(total * fraction);
  return {
    pods: share(0.3),
    deployments: share(0.1),
    services: share(0.1),
    configMaps: share(0.25),
    secrets: share(0.15),
    customResources: share(0.1),
  };
}

export const UNSCHEDULED = 'transplant-bench-no-scheduler';
export const WIDGET_GROUP = 'bench.transplant.dev';
export const WIDGETS = `widgets.${WIDGET_GROUP}`;

/** A CRD with what real ones use: a structural schema, defaults, a status subresource, printer columns. */
export const widgetCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: WIDGETS },
  spec: {
    group: WIDGET_GROUP,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Size', type: 'integer', jsonPath: '.spec.size' },
          { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size'],
                properties: {
                  size: { type: 'integer', minimum: 1 },
                  colour: { type: 'string', default: 'blue' },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                  parts: {
                    type: 'array',
                    'x-kubernetes-list-type': 'map',
                    'x-kubernetes-list-map-keys': ['name'],
                    items: {
                      type: 'object',
                      required: ['name'],
                      properties: { name: { type: 'string' }, count: { type: 'integer' } },
                    },
                  },
                },
              },
              status: { type: 'object', properties: { phase: { type: 'string' } } },
            },
          },
        },
      },
    ],
  },
};

const container = (name: string, image: string) => ({
  name,
  image,
  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
  env: [
    { name: 'LOG_LEVEL', value: 'info' },
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
  ],
  resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '64Mi' } },
  readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 10 },
});

const podSpec = (app: string) => ({
  schedulerName: UNSCHEDULED,
  containers: [container(app, `registry.example/${app}:1.0.0`)],
});

/** The objects to create: collection path and body, in creation order. */
function* objectsOf(mix: ObjectMix, namespaces: readonly string[]): Generator<{ collection: string; body: Json }> {
  const nsOf = (i: number) => namespaces[i % namespaces.length]!;
  const app = (i: number) => `app-${i}`;
  for (let i = 0; i < mix.configMaps; i++) {
    yield {
      collection: `/api/v1/namespaces/${nsOf(i)}/configmaps`,
      body: { metadata: { name: `config-${i}` }, data: { 'app.properties': `name=${app(i)}\nreplicas=1\n`.repeat(8) } },
    };
  }
  for (let i = 0; i < mix.secrets; i++) {
    yield {
      collection: `/api/v1/namespaces/${nsOf(i)}/secrets`,
      body: { metadata: { name: `secret-${i}` }, stringData: { password: `password-${i}`, token: `token-${i}` } },
    };
  }
  for (let i = 0; i < mix.services; i++) {
    yield {
      collection: `/api/v1/namespaces/${nsOf(i)}/services`,
      body: {
        metadata: { name: `svc-${i}`, labels: { app: app(i) } },
        spec: { selector: { app: app(i) }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
      },
    };
  }
  for (let i = 0; i < mix.deployments; i++) {
    const labels = { app: app(i) };
    yield {
      collection: `/apis/apps/v1/namespaces/${nsOf(i)}/deployments`,
      body: {
        metadata: { name: `deploy-${i}`, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: podSpec(app(i)) },
        },
      },
    };
  }
  for (let i = 0; i < mix.pods; i++) {
    yield {
      collection: `/api/v1/namespaces/${nsOf(i)}/pods`,
      body: { metadata: { name: `pod-${i}`, labels: { app: `bare-${i}` } }, spec: podSpec(`bare-${i}`) },
    };
  }
  for (let i = 0; i < mix.customResources; i++) {
    yield {
      collection: `/apis/${WIDGET_GROUP}/v1/namespaces/${nsOf(i)}/widgets`,
      body: {
        apiVersion: `${WIDGET_GROUP}/v1`,
        kind: 'Widget',
        metadata: { name: `widget-${i}` },
        spec: { size: 1 + (i % 10), labels: { app: app(i) }, parts: [{ name: 'a', count: i }] },
      },
    };
  }
}

/** Creates `body` in `collection`, asking again after a broken connection (a create that landed answers 409). */
async function create(client: ShootClient, collection: string, body: Json, attempt = 1): Promise<Json> {
  let res: Awaited<ReturnType<ShootClient['request']>>;
  try {
    res = await client.request('POST', collection, body);
  } catch (err) {
    if (attempt >= 3) throw err;
    return create(client, collection, body, attempt + 1);
  }
  if (res.status === 409 && attempt > 1) {
    const existing = await client.request('GET', `${collection}/${body.metadata.name}`);
    if (existing.status === 200) return existing.body;
  }
  if (res.status !== 201) throw new Error(`POST ${collection}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Installs the Widget CRD and waits until it is Established; false when the API serves no CRDs. */
export async function installWidgetCrd(client: ShootClient, timeoutMs = 30_000): Promise<boolean> {
  const crds = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  const res = await client.request('POST', crds, widgetCrd);
  if (res.status !== 201 && res.status !== 409) return false;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await client.request('GET', `${crds}/${WIDGETS}`);
    const conditions: { type: string; status: string }[] = got.body?.status?.conditions ?? [];
    const served = await client.request('GET', `/apis/${WIDGET_GROUP}/v1`);
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True') && served.status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** An object as its create answered it: where it lives and what identifies this version of it. */
export interface CreatedObject {
  path: string;
  uid: string;
  resourceVersion: string;
}

export interface MixedFillOptions {
  /** Namespaces `<prefix>-0` … (default 10, prefix `mixed`). */
  namespaces?: number;
  namespacePrefix?: string;
  /** Requests in flight (default 16). */
  parallel?: number;
  /** Leave the custom resources out (an API without CRDs). */
  withoutCustomResources?: boolean;
}

/** Creates the namespaces and then `mix`'s objects; returns every object created. */
export async function createMixed(
  client: ShootClient,
  mix: ObjectMix,
  options: MixedFillOptions = {},
): Promise<CreatedObject[]> {
  const prefix = options.namespacePrefix ?? 'mixed';
  const namespaces = Array.from({ length: options.namespaces ?? 10 }, (_, i) => `${prefix}-${i}`);
  for (const name of namespaces) await create(client, '/api/v1/namespaces', { metadata: { name } });
  const created: CreatedObject[] = [];
  const todo = objectsOf(options.withoutCustomResources ? { ...mix, customResources: 0 } : mix, namespaces);
  const worker = async () => {
    for (let next = todo.next(); !next.done; next = todo.next()) {
      const { collection, body } = next.value;
      const object = await create(client, collection, body);
      created.push({
        path: `${collection}/${object.metadata.name}`,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
      });
    }
  };
  await Promise.all(Array.from({ length: options.parallel ?? 16 }, worker));
  return created;
}

/** Every object of `objects` as it is now (absent ones left out), `parallel` GETs at a time. */
export async function readObjects(
  client: ShootClient,
  objects: readonly CreatedObject[],
  parallel = 16,
): Promise<CreatedObject[]> {
  const found: CreatedObject[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < objects.length; i = next++) {
      const { path } = objects[i]!;
      const res = await client.request('GET', path);
      if (res.status === 404) continue;
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
      found.push({ path, uid: res.body.metadata.uid, resourceVersion: res.body.metadata.resourceVersion });
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return found;
}

export interface Comparison {
  /** Objects found with the same uid and resourceVersion. */
  same: number;
  /** Paths of objects found with another uid or resourceVersion, and of those no longer found. */
  changed: string[];
  missing: string[];
}

/** How the objects as they are now compare with `before` (e.g. read before a migration). */
export async function compareWith(client: ShootClient, before: readonly CreatedObject[]): Promise<Comparison> {
  const now = new Map((await readObjects(client, before)).map((o) => [o.path, o]));
  const result: Comparison = { same: 0, changed: [], missing: [] };
  for (const object of before) {
    const found = now.get(object.path);
    if (!found) result.missing.push(object.path);
    else if (found.uid === object.uid && found.resourceVersion === object.resourceVersion) result.same++;
    else result.changed.push(object.path);
  }
  return result;
}

/** How many objects `path` lists (`limit=1` and the remaining count). */
async function countOf(client: ShootClient, path: string): Promise<number> {
  const res = await client.request('GET', `${path}?limit=1`);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.body.items.length + (res.body.metadata.remainingItemCount ?? 0);
}

/** What the shoot holds of the kinds a mix creates and their controllers make, by resource. */
export async function countMixed(client: ShootClient, withCustomResources: boolean): Promise<Record<string, number>> {
  const paths: Record<string, string> = {
    pods: '/api/v1/pods',
    deployments: '/apis/apps/v1/deployments',
    replicasets: '/apis/apps/v1/replicasets',
    services: '/api/v1/services',
    endpoints: '/api/v1/endpoints',
    configmaps: '/api/v1/configmaps',
    secrets: '/api/v1/secrets',
    ...(withCustomResources ? { widgets: `/apis/${WIDGET_GROUP}/v1/widgets` } : {}),
  };
  const counts: Record<string, number> = {};
  for (const [name, path] of Object.entries(paths)) counts[name] = await countOf(client, path);
  return counts;
}

/**
 * Waits until the controller manager has caught up with a mix: a ReplicaSet for every Deployment
 * and no count changing for 3 s. False when that did not happen within `timeoutMs`.
 */
export async function controllersSettled(client: ShootClient, mix: ObjectMix, timeoutMs = 300_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let stableSince: number | undefined;
  let last = '';
  while (Date.now() < deadline) {
    const counts = await countMixed(client, false);
    const now = JSON.stringify(counts);
    if ((counts.replicasets ?? 0) >= mix.deployments && now === last) {
      stableSince ??= Date.now();
      if (Date.now() - stableSince >= 3_000) return true;
    } else stableSince = undefined;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return false;
}
