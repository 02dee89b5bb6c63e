/**
 * The shoot's kube-scheduler (Gardener's "Deploying Kubernetes scheduler"), run by this seed in its
 * own process (src/seed/runtime/scheduler-runtime.ts) next to the controller manager, reaching the
 * shoot's API as `system:kube-scheduler`. A Migrate stops it first, before the final snapshot: no
 * binding can be lost in the move, and the destination's starts only once its API server serves.
 */
import { SCHEDULER_USER } from '../../../shoot/scheduler/kube-scheduler.js';
import type { SchedulerRuntime } from '../../runtime/scheduler-runtime.js';
import type { ComponentContext } from './context.js';
import type { SecretsManager } from './secrets.js';
import { ShootApiClientComponent } from './shoot-api-client-component.js';

/** "Deploying Kubernetes scheduler", "Waiting until kube-scheduler reports readiness", "Deleting Kubernetes scheduler". */
export class KubeScheduler extends ShootApiClientComponent {
  constructor(c: ComponentContext, runtime: SchedulerRuntime, secrets: SecretsManager) {
    super(c, secrets, { name: 'kube-scheduler', user: SCHEDULER_USER, runtime });
  }
}
