/**
 * `make test` runs one variant of a scenario that exists in several modes (a backup provider, a
 * kill point, a failure made by a real network cut or on loopback) where the variants exercise the same code paths end to end and differ below them,
 * where unit tests cover each mode: the suite stays within its time on two cores. `make
 * test-matrix` sets TRANSPLANT_TEST_MATRIX=full and runs every variant; it is run before an issue
 * that touches them is resolved (as `make test-crash-matrix` for the crash points).
 */
import { hostsLandscapeUnavailable } from './netns.js';

export const TEST_MATRIX_ENV = 'TRANSPLANT_TEST_MATRIX';

export const fullTestMatrix = (): boolean => process.env[TEST_MATRIX_ENV] === 'full';

/**
 * The `skip` option of a variant that runs in `make test-matrix` only: `inSuite` names the
 * variant `make test` runs instead, shown as the reason it is skipped.
 */
export function testMatrixOnly(inSuite: string): string | false {
  return fullTestMatrix() ? false : `make test-matrix only (${TEST_MATRIX_ENV}=full); make test runs ${inSuite}`;
}

/**
 * The `skip` option of a loopback twin of a multi-host test (the same failure made by a firewall
 * rule there, by the process's own deny list here): `make test` runs the multi-host test
 * (`hostsFile`) where this machine can make network namespaces, and the twin only where it
 * cannot; `make test-matrix` runs both.
 */
export function loopbackTwinOf(hostsFile: string): string | false {
  if (hostsLandscapeUnavailable()) return false;
  return testMatrixOnly(`${hostsFile}, the same failure as a real network cut`);
}
