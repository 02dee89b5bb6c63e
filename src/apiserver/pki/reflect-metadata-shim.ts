/**
 * The three `Reflect` metadata functions tsyringe (a dependency of @peculiar/x509) insists on at
 * load time. Nothing here uses decorator metadata, so a WeakMap-backed minimum is enough and
 * spares the `reflect-metadata` package. Must be imported before `@peculiar/x509`; only
 * `x509.ts` in this folder does that.
 */

type MetadataMap = Map<unknown, unknown>;

const store = new WeakMap<object, MetadataMap>();
const reflect = Reflect as unknown as Record<string, unknown>;

function own(target: object): MetadataMap | undefined {
  return store.get(target);
}

if (typeof reflect.getMetadata !== 'function') {
  reflect.defineMetadata = (key: unknown, value: unknown, target: object): void => {
    let map = own(target);
    if (!map) {
      map = new Map();
      store.set(target, map);
    }
    map.set(key, value);
  };
  reflect.getOwnMetadata = (key: unknown, target: object): unknown => own(target)?.get(key);
  reflect.getMetadata = (key: unknown, target: object): unknown => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const map = own(t);
      if (map?.has(key)) return map.get(key);
    }
    return undefined;
  };
}
