/**
 * What a caller tells the generic store (generic-store.ts) besides the object: who asks and how
 * (`RequestContext`: user, dry run, field manager, field validation), how to delete, and how a
 * store behaves beyond its kind's definition.
 */
import type { Preconditions } from '../../storage/interface.js';
import type { UserInfo } from '../types.js';
import type { PropagationPolicy } from './deletion.js';

export interface RequestContext {
  user: UserInfo;
  dryRun: boolean;
  /**
   * The manager the write's fields are recorded for (`metadata.managedFields`): the request's
   * `fieldManager`, else the prefix of its User-Agent; in-process clients name theirs.
   */
  fieldManager?: string;
  /**
   * What to do with fields the kind does not have (`fieldValidation`): they are dropped, and
   * Strict refuses the request naming them, Warn (the API's default) adds a warning to
   * `warnings`, Ignore (and in-process callers, who give none) says nothing.
   */
  fieldValidation?: FieldValidation;
  /** Warnings for the client (HTTP `Warning` headers), when the caller collects them. */
  warnings?: string[];
}

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export interface DeleteOptions {
  preconditions?: Preconditions;
  /** Honoured by a garbage-collected store only (see the constructor); Background when absent. */
  propagationPolicy?: PropagationPolicy;
  /** For kinds with graceful deletion (pods): how long the object may take to stop; the kind's default when absent. */
  gracePeriodSeconds?: number;
}

/** How a store behaves beyond its kind's definition. */
export interface GenericStoreOptions {
  /**
   * A garbage collector runs for this server (a shoot's kube-controller-manager): a delete with
   * propagationPolicy Orphan or Foreground marks the object with the collector's finalizer, which
   * it removes once the dependents are orphaned or gone. Without one the policy is ignored, as
   * nothing would ever remove that finalizer.
   */
  garbageCollected?: boolean;
}
