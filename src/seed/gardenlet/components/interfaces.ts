/**
 * What the shoot flows' steps call (Gardener's `pkg/component/interfaces.go`): every thing a flow
 * deploys or waits for is a component with a few small methods, and every step of a flow is one
 * call of one of them, so a step's name leads to its code in one hop (docs/flow-steps.md lists
 * them). Each method takes the flow's task context: its abort signal stops a wait at once when
 * the flow is canceled.
 *
 * Every method is idempotent and reads what it needs itself: after a crash the whole flow runs
 * again from the top (src/flow/flow.ts), and a step that already happened succeeds again.
 */
import type { TaskContext } from '../../../flow/task-fn.js';

/** Brings the thing into being, or tears it down (Gardener's `component.Deployer`). */
export interface Deployer {
  deploy(ctx: TaskContext): Promise<void>;
  destroy(ctx: TaskContext): Promise<void>;
}

/** Waits until the thing is ready, or gone (Gardener's `component.Waiter`). */
export interface Waiter {
  wait(ctx: TaskContext): Promise<void>;
  waitCleanup(ctx: TaskContext): Promise<void>;
}

/** Gardener's `component.DeployWaiter`. */
export interface DeployWaiter extends Deployer, Waiter {}

/**
 * A thing whose state moves with the control plane (Gardener's `component.MigrateRestorer`):
 * `migrate` on the source seed saves what cannot be rebuilt and lets go of it, `restore` on the
 * destination brings it back from what was saved.
 */
export interface MigrateRestorer {
  migrate(ctx: TaskContext): Promise<void>;
  waitMigrate(ctx: TaskContext): Promise<void>;
  restore(ctx: TaskContext): Promise<void>;
}

/** Gardener's `component.DeployMigrateWaiter`: the extension resources and the BackupEntry. */
export interface DeployMigrateWaiter extends DeployWaiter, MigrateRestorer {}
