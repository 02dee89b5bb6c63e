/**
 * Shoot components whose every method only records that it ran (`etcdMain.deploy`), after an
 * optional short delay: for tests of the flows' graphs, which call components and nothing else.
 */
import type { ShootComponents } from '../../src/seed/gardenlet/components/index.js';

export interface RecordingComponents {
  components: ShootComponents;
  /** `<component>.<method>` of every call, in call order. */
  calls: string[];
}

/** `delayMs(n)`: how long the n-th call takes (default: it resolves at once). */
export function recordingComponents(delayMs: (call: number) => number = () => 0): RecordingComponents {
  const calls: string[] = [];
  const component = (name: string) =>
    new Proxy(
      {},
      {
        get: (_target, method) => async () => {
          const delay = delayMs(calls.length);
          calls.push(`${name}.${String(method)}`);
          if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        },
      },
    );
  const components = new Proxy({} as ShootComponents, { get: (_target, name) => component(String(name)) });
  return { components, calls };
}

/**
 * Flows declare their steps without calling anything: compiling a graph with these "components"
 * lists its steps (the crash tests do this).
 */
export const notCalled = undefined as unknown as ShootComponents;
