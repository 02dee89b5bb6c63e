/**
 * CustomResourceDefinitions for tests: one served and stored version `v1` in group `example.com`
 * unless the test says otherwise, named `<plural>.<group>` as Kubernetes requires.
 */
import type { KubeObject } from '../../src/api/meta.js';

export interface TestCrdOptions {
  group?: string;
  scope?: 'Namespaced' | 'Cluster';
  /** The metadata.name, when a test wants it wrong. */
  name?: string;
  shortNames?: string[];
  /** The openAPIV3Schema of `v1`; an empty object schema by default. */
  schema?: Record<string, unknown>;
  served?: boolean;
}

export function testCrd(plural: string, kind: string, options: TestCrdOptions = {}): KubeObject {
  const group = options.group ?? 'example.com';
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: options.name ?? `${plural}.${group}` },
    spec: {
      group,
      scope: options.scope ?? 'Namespaced',
      names: { plural, kind, ...(options.shortNames ? { shortNames: options.shortNames } : {}) },
      versions: [
        {
          name: 'v1',
          served: options.served ?? true,
          storage: true,
          schema: { openAPIV3Schema: options.schema ?? { type: 'object' } },
        },
      ],
    },
  };
}
