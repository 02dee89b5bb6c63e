/**
 * Which build of the program main.ts runs. `make build` compiles (tsc) and then bundles, so a
 * bundle at least as new as the compiled program is the same code; a compile after it (`tsc`
 * alone, while developing) leaves the bundle behind, and then the compiled modules run.
 * Only `node:fs`: this is loaded before anything else, by every process.
 */
import { statSync } from 'node:fs';

/** Set to `1` to run the compiled modules whatever the bundle (stack traces name the .js files). */
export const UNBUNDLED_ENV = 'TRANSPLANT_UNBUNDLED';

export function bundleIsCurrent(bundled: URL, compiled: URL, env: NodeJS.ProcessEnv): boolean {
  if (env[UNBUNDLED_ENV] === '1') return false;
  const bundle = statSync(bundled, { throwIfNoEntry: false });
  const program = statSync(compiled, { throwIfNoEntry: false });
  return bundle !== undefined && program !== undefined && bundle.mtimeMs >= program.mtimeMs;
}
