/**
 * Field sets, the unit of ownership in server-side apply (structured-merge-diff's `fieldpath.Set`),
 * kept in the very shape Kubernetes stores them in `metadata.managedFields[].fieldsV1`: a tree
 * keyed by path elements (`f:<field>`, `k:{…}` for a list-map item, `v:<value>` for a set item,
 * `i:<index>`), where `{}` is a member with nothing below it and `.` marks a member that also has
 * children. Working on the stored form means decoding managedFields costs nothing and a manager
 * whose fields did not change is written back as it was read.
 *
 * Sets are never mutated once built: every operation returns a new tree that shares the subtrees
 * it did not change, and returns its first operand itself when nothing changed. The root of a set
 * is never a member of it (`{}` at the root is the empty set).
 */
import { comparePathElements, pathElementString } from './path-element.js';

export type FieldSet = { readonly [element: string]: FieldSet };

/** The key marking a node with children as a member itself. */
export const SELF = '.';

/** A member with no children. */
export const LEAF: FieldSet = Object.freeze({});

export const emptySet: FieldSet = LEAF;

function hasKeys(obj: object): boolean {
  for (const _ in obj) return true;
  return false;
}

/** Whether a (non-root) node is itself a member of the set. */
export function isMember(node: FieldSet): boolean {
  return SELF in node || !hasKeys(node);
}

export function isEmpty(set: FieldSet): boolean {
  return !hasKeys(set);
}

/** A node from its membership and children; undefined when it would be neither. */
export function makeNode(member: boolean, children: Record<string, FieldSet>): FieldSet | undefined {
  if (!hasKeys(children)) return member ? LEAF : undefined;
  return member ? { [SELF]: LEAF, ...children } : children;
}

/** Members of `a` or `b`. */
export function union(a: FieldSet, b: FieldSet): FieldSet {
  return unionNodes(a, b, true);
}

function unionNodes(a: FieldSet, b: FieldSet, root: boolean): FieldSet {
  if (a === b || (root && isEmpty(b))) return a;
  if (root && isEmpty(a)) return b;
  const member = !root && (isMember(a) || isMember(b));
  const children: Record<string, FieldSet> = {};
  let changed = !root && member !== isMember(a);
  for (const key in a) {
    if (key === SELF) continue;
    const other = b[key];
    const merged = other === undefined ? a[key]! : unionNodes(a[key]!, other, false);
    if (merged !== a[key]) changed = true;
    children[key] = merged;
  }
  for (const key in b) {
    if (key === SELF || key in a) continue;
    children[key] = b[key]!;
    changed = true;
  }
  if (!changed) return a;
  return root ? children : makeNode(member, children)!;
}

/** Members of `a` that are not members of `b`. */
export function difference(a: FieldSet, b: FieldSet): FieldSet {
  return differenceNodes(a, b, true) ?? emptySet;
}

function differenceNodes(a: FieldSet, b: FieldSet, root: boolean): FieldSet | undefined {
  if (a === b) return root ? emptySet : undefined;
  if (root && isEmpty(b)) return a;
  const member = !root && isMember(a) && !isMember(b);
  const children: Record<string, FieldSet> = {};
  let changed = !root && member !== isMember(a);
  for (const key in a) {
    if (key === SELF) continue;
    const other = b[key];
    const rest = other === undefined ? a[key] : differenceNodes(a[key]!, other, false);
    if (rest !== a[key]) changed = true;
    if (rest !== undefined) children[key] = rest;
  }
  if (!changed) return a;
  return root ? children : makeNode(member, children);
}

/** Members of both `a` and `b`. */
export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  return intersectionNodes(a, b, true) ?? emptySet;
}

function intersectionNodes(a: FieldSet, b: FieldSet, root: boolean): FieldSet | undefined {
  if (a === b) return a;
  const member = !root && isMember(a) && isMember(b);
  const children: Record<string, FieldSet> = {};
  for (const key in a) {
    if (key === SELF) continue;
    const other = b[key];
    if (other === undefined) continue;
    const both = intersectionNodes(a[key]!, other, false);
    if (both !== undefined) children[key] = both;
  }
  return root ? children : makeNode(member, children);
}

/** `set` without the subtrees of the top-level fields named (whole subtrees, members or not). */
export function withoutFields(set: FieldSet, fields: readonly string[]): FieldSet {
  if (!fields.some((field) => `f:${field}` in set)) return set;
  const out: Record<string, FieldSet> = { ...set };
  for (const field of fields) delete out[`f:${field}`];
  return out;
}

/** Only the subtree of the top-level field named. */
export function onlyField(set: FieldSet, field: string): FieldSet {
  const node = set[`f:${field}`];
  if (node === undefined) return emptySet;
  if (Object.keys(set).length === 1) return set;
  return { [`f:${field}`]: node };
}

/** A set of the paths given, each a list of path elements (`['f:spec', 'f:replicas']`). */
export function setOf(...paths: readonly (readonly string[])[]): FieldSet {
  let set = emptySet;
  for (const path of paths) {
    let node: FieldSet = LEAF;
    for (let i = path.length - 1; i >= 0; i--) node = { [path[i]!]: node };
    set = union(set, node);
  }
  return set;
}

/**
 * Every member path, in structured-merge-diff's order (a level's members by element order, then
 * the levels below), each as its path elements.
 */
export function memberPaths(set: FieldSet): string[][] {
  const out: string[][] = [];
  const walk = (node: FieldSet, prefix: string[]) => {
    const keys = Object.keys(node)
      .filter((key) => key !== SELF)
      .sort(comparePathElements);
    for (const key of keys) if (isMember(node[key]!)) out.push([...prefix, key]);
    for (const key of keys) walk(node[key]!, [...prefix, key]);
  };
  walk(set, []);
  return out;
}

/** A path as structured-merge-diff prints it: `.spec.containers[name="app"].image`. */
export function pathString(path: readonly string[]): string {
  return path.map(pathElementString).join('');
}

/**
 * The same set with every level's keys in structured-merge-diff's order (`.` first), as
 * Kubernetes serialises fieldsV1. Returns `set` itself when it already is in that order.
 */
export function canonical(set: FieldSet): FieldSet {
  const keys = Object.keys(set);
  let sorted = true;
  const children: [string, FieldSet][] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const child = set[key]!;
    const canon = key === SELF ? LEAF : canonical(child);
    if (canon !== child) sorted = false;
    if (i > 0 && compareKeys(keys[i - 1]!, key) > 0) sorted = false;
    children.push([key, canon]);
  }
  if (sorted) return set;
  children.sort(([a], [b]) => compareKeys(a, b));
  return Object.fromEntries(children);
}

function compareKeys(a: string, b: string): number {
  if (a === SELF) return b === SELF ? 0 : -1;
  if (b === SELF) return 1;
  return comparePathElements(a, b);
}
