/**
 * The objects the benchmark creates, taken from examples/ so they have the shapes the project
 * documents: the Project `dev`, the backup and DNS secrets, seeds seed-a and seed-b, and shoots
 * cloned from examples/30-shoot.yaml. A shoot status as a gardenlet reports it after a
 * successful reconcile makes list responses as large as they are in a real garden.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

/** dist/bench/lib/fixtures.js → examples/ */
const examplesDir = new URL('../../../examples/', import.meta.url);

function loadDocs(file: string): Obj[] {
  const text = readFileSync(fileURLToPath(new URL(file, examplesDir)), 'utf8');
  return parseAllDocuments(text)
    .map((doc) => doc.toJSON() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

function loadKind(file: string, kind: string): Obj {
  const found = loadDocs(file).find((o) => o.kind === kind);
  if (!found) throw new Error(`examples/${file} has no ${kind}`);
  return found;
}

export function projectDev(): Obj {
  return loadKind('10-project.yaml', 'Project');
}

/**
 * What the examples' shoots name besides the project: the CloudProfile `local` (which
 * `transplant up` registers; a bare garden has none) and the Secret and SecretBinding `local` of
 * examples/10-project.yaml, each with the path to POST it to (409 when it exists: fine).
 */
export function localSetup(): { path: string; body: Obj }[] {
  const profile = loadKind('gardener-local/00-cloudprofile.yaml', 'CloudProfile');
  const secret = loadKind('10-project.yaml', 'Secret');
  const binding = loadKind('10-project.yaml', 'SecretBinding');
  return [
    { path: '/apis/core.gardener.cloud/v1beta1/cloudprofiles', body: profile },
    { path: `/api/v1/namespaces/${secret.metadata.namespace}/secrets`, body: secret },
    {
      path: `/apis/core.gardener.cloud/v1beta1/namespaces/${binding.metadata.namespace}/secretbindings`,
      body: binding,
    },
  ];
}

export function secrets(): Obj[] {
  return ['01-secret-backup-seed-a.yaml', '01-secret-backup-seed-b.yaml', '01-secret-internal-domain.yaml'].map((f) =>
    loadKind(f, 'Secret'),
  );
}

export function seeds(): Obj[] {
  return [loadKind('20-seed-a.yaml', 'Seed'), loadKind('21-seed-b.yaml', 'Seed')];
}

/** A factory of shoots like examples/30-shoot.yaml, with the given name and seed. */
export function shootFactory(): (name: string, seedName: string) => Obj {
  const template = loadKind('30-shoot.yaml', 'Shoot');
  return (name, seedName) => {
    const shoot = structuredClone(template);
    shoot.metadata.name = name;
    (shoot.spec as Record<string, unknown>).seedName = seedName;
    return shoot;
  };
}

function timestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

/** Seed conditions as a healthy gardenlet reports them, stamped `at` (the heartbeat). */
export function healthySeedConditions(at: Date = new Date()): object[] {
  const time = timestamp(at);
  return ['GardenletReady', 'BackupBucketsReady', 'ExtensionsReady', 'SeedSystemComponentsHealthy'].map((type) => ({
    type,
    status: 'True',
    reason: type,
    message: 'reported by the benchmark',
    lastTransitionTime: time,
    lastUpdateTime: time,
  }));
}

/** The status of a shoot that a gardenlet reconciled successfully on `seedName`. */
export function reconciledShootStatus(shoot: { name: string; uid: string; seedName: string }, at = new Date()): object {
  const time = timestamp(at);
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: time,
    lastUpdateTime: time,
    reason,
    message,
  });
  return {
    advertisedAddresses: [
      { name: 'external', url: `https://api.${shoot.name}.dev.external.local.gardener.cloud` },
      { name: 'internal', url: `https://api.${shoot.name}.dev.internal.local.gardener.cloud` },
    ],
    clusterIdentity: `shoot--dev--${shoot.name}-${shoot.uid}-transplant`,
    conditions: [
      condition(
        'APIServerAvailable',
        'HealthzRequestSucceeded',
        'API server /healthz endpoint responded with success status code.',
      ),
      condition('ControlPlaneHealthy', 'ControlPlaneRunning', 'All control plane components are healthy.'),
      condition(
        'ObservabilityComponentsHealthy',
        'ObservabilityComponentsRunning',
        'All observability components are healthy.',
      ),
      condition('EveryNodeReady', 'EveryNodeReady', 'All nodes are ready.'),
      condition('SystemComponentsHealthy', 'SystemComponentsRunning', 'All system components are healthy.'),
    ],
    constraints: [
      condition('HibernationPossible', 'NoProblematicWebhooks', 'All webhooks are properly configured.'),
      condition('MaintenancePreconditionsSatisfied', 'NoProblematicWebhooks', 'All webhooks are properly configured.'),
    ],
    gardener: { id: 'transplant-bench', name: 'gardenlet', version: '1.110.0' },
    hibernated: false,
    lastOperation: {
      description: 'Shoot cluster has been successfully reconciled.',
      lastUpdateTime: time,
      progress: 100,
      state: 'Succeeded',
      type: 'Reconcile',
    },
    observedGeneration: 1,
    seedName: shoot.seedName,
    technicalID: `shoot--dev--${shoot.name}`,
    uid: shoot.uid,
  };
}
