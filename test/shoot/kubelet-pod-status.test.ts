/**
 * What a node agent reports for a pod, computed from the pod alone: Running with Kubernetes'
 * conditions and container statuses, Succeeded for a run-to-completion pod, and the same status
 * again when computed from what it wrote (what makes a migration or an agent restart harmless).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/meta.js';
import { machineNetwork } from '../../src/seed/extensions/worker-actuator.js';
import { allocatePodIp, subnetAt } from '../../src/shoot/kubelet/pod-ips.js';
import {
  completedStatus,
  containerId,
  imageId,
  podStage,
  runningStatus,
  statusChanged,
} from '../../src/shoot/kubelet/pod-status.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read nested status fields.
type Doc = any;

const scheduledAt = '2026-01-01T00:00:00Z';

function pod(extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1', ...metadata },
    spec: {
      nodeName: 'node-a',
      restartPolicy: 'Always',
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      containers: [{ name: 'web', image: 'nginx' }],
      ...extra,
    },
    status: {
      phase: 'Pending',
      qosClass: 'BestEffort',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: scheduledAt }],
    },
  };
}

const placement = { hostIP: '10.250.0.10', podIP: '100.96.0.2', now: '2026-01-01T00:00:05Z' };

describe('pod status on a node', () => {
  it('starts a pod Running with the conditions, addresses and container statuses a kubelet reports', () => {
    const p = pod();
    assert.equal(podStage(p, Date.now(), 5000), 'start');
    const status: Doc = runningStatus(p, placement);
    assert.equal(status.phase, 'Running');
    assert.equal(status.qosClass, 'BestEffort');
    assert.deepEqual(
      status.conditions.map((c: Doc) => [c.type, c.status, c.lastTransitionTime]),
      [
        ['PodReadyToStartContainers', 'True', placement.now],
        ['Initialized', 'True', placement.now],
        ['Ready', 'True', placement.now],
        ['ContainersReady', 'True', placement.now],
        ['PodScheduled', 'True', scheduledAt],
      ],
    );
    assert.deepEqual(
      [status.hostIP, status.hostIPs, status.podIP, status.podIPs, status.startTime],
      ['10.250.0.10', [{ ip: '10.250.0.10' }], '100.96.0.2', [{ ip: '100.96.0.2' }], placement.now],
    );
    const [web] = status.containerStatuses;
    assert.deepEqual(web, {
      name: 'web',
      image: 'nginx',
      imageID: imageId('nginx'),
      containerID: containerId(p, 'web'),
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: placement.now } },
      lastState: {},
    });
    assert.match(web.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(web.containerID, /^containerd:\/\/[0-9a-f]{64}$/);
    const [init] = status.initContainerStatuses;
    assert.equal(init.state.terminated.reason, 'Completed');
    assert.equal(init.state.terminated.exitCode, 0);
    assert.equal(init.ready, true);
  });

  it('computes the same status from what it wrote, later and with another address at hand: nothing re-timed or re-addressed', () => {
    const running = { ...pod(), status: runningStatus(pod(), placement) };
    assert.equal(podStage(running, Date.now(), 5000), 'running');
    const later = { hostIP: '10.250.0.10', podIP: '100.96.0.9', now: '2026-01-02T00:00:00Z' };
    assert.equal(statusChanged(running, runningStatus(running, later)), false);
  });

  it('completes a run-to-completion pod after its time: Succeeded, containers exited 0, Ready False (PodCompleted)', () => {
    const job = pod(
      { restartPolicy: 'Never' },
      { ownerReferences: [{ kind: 'Job', name: 'pi', uid: 'j', apiVersion: 'batch/v1' }] },
    );
    const running = { ...job, status: runningStatus(job, placement) };
    const startedMs = Date.parse(placement.now);
    assert.equal(podStage(running, startedMs + 4000, 5000), 'running');
    assert.equal(podStage(running, startedMs + 5000, 5000), 'complete');
    const done: Doc = completedStatus(running, { ...placement, now: '2026-01-01T00:00:10Z' });
    assert.equal(done.phase, 'Succeeded');
    assert.deepEqual(
      done.conditions.map((c: Doc) => [c.type, c.status, c.reason]),
      [
        ['PodReadyToStartContainers', 'False', undefined],
        ['Initialized', 'True', 'PodCompleted'],
        ['Ready', 'False', 'PodCompleted'],
        ['ContainersReady', 'False', 'PodCompleted'],
        ['PodScheduled', 'True', undefined],
      ],
    );
    const terminated = done.containerStatuses[0].state.terminated;
    assert.deepEqual(
      [terminated.exitCode, terminated.reason, terminated.startedAt, terminated.finishedAt],
      [0, 'Completed', placement.now, '2026-01-01T00:00:10Z'],
    );
    assert.equal(done.containerStatuses[0].ready, false);
    assert.equal(podStage({ ...running, status: done }, Date.now(), 5000), 'done');
    assert.equal(
      statusChanged({ ...running, status: done }, completedStatus({ ...running, status: done }, placement)),
      false,
    );
  });

  it("keeps other writers' conditions, and is Ready only once every readiness gate's condition is True", () => {
    const gated = pod({ readinessGates: [{ conditionType: 'example.com/lb-ready' }] });
    const waiting: Doc = runningStatus(gated, placement);
    const ready = waiting.conditions.find((c: Doc) => c.type === 'Ready');
    assert.deepEqual(
      [ready.status, ready.reason, ready.message],
      [
        'False',
        'ReadinessGatesNotReady',
        'corresponding condition of pod readiness gate "example.com/lb-ready" does not exist.',
      ],
    );
    const gate = {
      type: 'example.com/lb-ready',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: placement.now,
    };
    const withGate = { ...gated, status: { ...waiting, conditions: [...waiting.conditions, gate] } };
    const now: Doc = runningStatus(withGate, placement);
    assert.equal(now.conditions.find((c: Doc) => c.type === 'Ready').status, 'True');
    assert.deepEqual(now.conditions.at(-1), gate, 'the gate owner’s condition stays');
  });

  it('stops a pod that is being deleted, whatever stage it is in', () => {
    assert.equal(podStage(pod({}, { deletionTimestamp: placement.now }), Date.now(), 5000), 'terminate');
  });

  it("hands out addresses from the node's pod CIDR: not the network, not the bridge, not one taken", () => {
    assert.equal(allocatePodIp('100.96.3.0/24', new Set()), '100.96.3.2');
    assert.equal(allocatePodIp('100.96.3.0/24', new Set(['100.96.3.2', '100.96.3.3'])), '100.96.3.4');
    assert.equal(allocatePodIp('100.96.3.0/30', new Set(['100.96.3.2'])), undefined);
    assert.equal(allocatePodIp('fd00::/64', new Set()), undefined);
  });

  it("gives each machine an InternalIP and a /24 pod CIDR of the shoot's networks, by pool and index", () => {
    assert.equal(subnetAt('10.11.0.0/16', 24, 3), '10.11.3.0/24');
    assert.equal(subnetAt('10.11.0.0/16', 24, 256), undefined);
    const shoot = { nodesCIDR: '10.10.0.0/16', podsCIDR: '10.11.0.0/16' };
    assert.deepEqual(machineNetwork(shoot, 0, 2), { internalIP: '10.10.0.12', podCIDR: '10.11.2.0/24' });
    assert.deepEqual(machineNetwork(shoot, 1, 0), { internalIP: '10.10.1.10', podCIDR: '10.11.32.0/24' });
    assert.deepEqual(machineNetwork({}, 0, 0), { internalIP: '10.250.0.10', podCIDR: '100.96.0.0/24' });
  });
});
