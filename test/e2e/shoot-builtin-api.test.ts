/**
 * A shoot is a Kubernetes 1.31 cluster to kubectl (issue 13, item 1): on a real landscape, the
 * example shoot's API server lists every built-in resource in `kubectl api-resources`, stores a
 * defaulted Deployment from `kubectl create deployment`, allocates a cluster IP to
 * `kubectl create service`, shows both in `kubectl get all -A`, scales through the scale
 * subresource, answers `kubectl auth whoami`, refuses a malformed manifest with the field's path
 * (storing nothing), and deletes. kubectl's discovery cache is a directory of this test's own, so
 * what it lists is what this server serves.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { preferredResources } from '../../src/api/builtin/index.js';
import { apiVersionOf } from '../../src/api/resource-ref.js';
import type { CommandResult } from '../helpers/kubectl.js';
import { type KubectlShoot, startKubectlShoot } from '../helpers/kubectl-shoot.js';

describe('the built-in API of a shoot, through kubectl', () => {
  let kubectlShoot: KubectlShoot;
  const k = (args: string[], input?: string): Promise<CommandResult> => kubectlShoot.k(args, input);
  const ok = (args: string[], input?: string): Promise<string> => kubectlShoot.ok(args, input);

  before(async () => {
    kubectlShoot = await startKubectlShoot({ seeds: ['seed-a'] });
  });

  after(async () => {
    await kubectlShoot?.stop();
  });

  it('kubectl api-resources lists every built-in resource of Kubernetes 1.31 with its version and scope', async () => {
    const listed = new Set(
      (await ok(['api-resources', '--no-headers', '-o', 'wide']))
        .trim()
        .split('\n')
        .map((line) => {
          const cells = line.trim().split(/\s+/);
          // NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS [CATEGORIES]: find APIVERSION by NAMESPACED after it.
          const at = cells.findIndex((_cell, i) => i > 0 && (cells[i + 1] === 'true' || cells[i + 1] === 'false'));
          return `${cells[0]} ${cells[at]} ${cells[at + 1]}`;
        }),
    );
    const missing = preferredResources()
      .map((r) => `${r.plural} ${apiVersionOf(r)} ${r.namespaced}`)
      .filter((line) => !listed.has(line));
    assert.deepEqual(missing, []);
  });

  it('kubectl create deployment stores a Deployment with the API server defaults', async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    const web = JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json']));
    assert.equal(web.spec.replicas, 3);
    assert.deepEqual(web.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    assert.equal(web.spec.revisionHistoryLimit, 10);
    assert.equal(web.spec.progressDeadlineSeconds, 600);
    const pod = web.spec.template.spec;
    assert.deepEqual(
      [pod.restartPolicy, pod.dnsPolicy, pod.terminationGracePeriodSeconds, pod.schedulerName],
      ['Always', 'ClusterFirst', 30, 'default-scheduler'],
    );
    assert.equal(pod.containers[0].imagePullPolicy, 'Always');
    assert.equal(pod.containers[0].terminationMessagePath, '/dev/termination-log');
  });

  it('kubectl create service gets a cluster IP of the service range; the kubernetes Service is there', async () => {
    await ok(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    const web = JSON.parse(await ok(['get', 'service', 'web', '-o', 'json']));
    assert.match(web.spec.clusterIP, /^10\.0\.\d+\.\d+$/);
    assert.notEqual(web.spec.clusterIP, '10.0.0.1');
    assert.deepEqual(web.spec.ports, [{ name: '80-8080', port: 80, protocol: 'TCP', targetPort: 8080 }]);
    const kubernetes = JSON.parse(await ok(['get', 'service', 'kubernetes', '-o', 'json']));
    assert.equal(kubernetes.spec.clusterIP, '10.0.0.1');
  });

  it('kubectl get all -A shows the Deployment and the Services with their columns', async () => {
    const all = await ok(['get', 'all', '-A']);
    assert.match(all, /default\s+service\/kubernetes\s+ClusterIP\s+10\.0\.0\.1\s+<none>\s+443\/TCP/);
    assert.match(all, /default\s+service\/web\s+ClusterIP\s+10\.0\.\d+\.\d+\s+<none>\s+80\/TCP/);
    assert.match(all, /NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    // How many of its pods are ready yet depends on the nodes (test/e2e/shoot-first-deployment.test.ts).
    assert.match(all, /default\s+deployment\.apps\/web\s+\d\/3\s+\d+\s+\d\s/);
  });

  it('kubectl scale changes the replicas through the scale subresource', async () => {
    await ok(['scale', 'deployment', 'web', '--replicas=5']);
    assert.equal(await ok(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}']), '5');
  });

  it('kubectl auth whoami answers who the admin kubeconfig is', async () => {
    const review = JSON.parse(await ok(['auth', 'whoami', '-o', 'json']));
    assert.equal(review.kind, 'SelfSubjectReview');
    assert.ok(review.status.userInfo.groups.includes('system:authenticated'), JSON.stringify(review));
  });

  it('refuses a malformed manifest with the field path and stores nothing', async () => {
    const manifest = join(kubectlShoot.dir, 'bad.yaml');
    await writeFile(
      manifest,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: bad}',
        'spec:',
        '  replicas: three',
        '  selector: {matchLabels: {app: bad}}',
        '  template:',
        '    metadata: {labels: {app: other}}',
        '    spec: {containers: [{name: c, image: nginx}]}',
      ].join('\n'),
    );
    const typed = await k(['apply', '-f', manifest]);
    assert.notEqual(typed.code, 0);
    assert.match(
      typed.stderr,
      /spec\.replicas: Invalid value: "string": spec\.replicas in body must be of type integer/,
    );
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace('replicas: three', 'replicas: 1'));
    const mismatched = await k(['apply', '-f', manifest]);
    assert.notEqual(mismatched.code, 0);
    assert.match(
      mismatched.stderr,
      /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/,
    );
    const got = await k(['get', 'deployment', 'bad']);
    assert.match(got.stderr, /NotFound/);
  });

  it('refuses an unknown field by name under kubectl apply (Strict), drops it with a warning under --validate=warn', async () => {
    const manifest = join(kubectlShoot.dir, 'typo.yaml');
    await writeFile(
      manifest,
      ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: typo}', 'data: {a: b}', 'dat: {c: d}'].join('\n'),
    );
    const strict = await k(['apply', '-f', manifest]);
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /strict decoding error: unknown field "dat"/);
    const warned = await k(['apply', '-f', manifest, '--validate=warn']);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /Warning: unknown field "dat"/);
    assert.equal('dat' in JSON.parse(await ok(['get', 'configmap', 'typo', '-o', 'json'])), false);
  });

  it('kubectl explain describes the built-in kinds field by field', async () => {
    const explained = await ok(['explain', 'deployment.spec.replicas']);
    assert.match(explained, /FIELD: replicas <integer>/);
    assert.match(explained, /Number of desired pods/);
  });

  it('kubectl delete removes the Deployment and the Service', async () => {
    await ok(['delete', 'deployment', 'web']);
    await ok(['delete', 'service', 'web']);
    assert.match((await k(['get', 'deployment', 'web'])).stderr, /NotFound/);
    assert.match((await k(['get', 'service', 'web'])).stderr, /NotFound/);
  });
});
