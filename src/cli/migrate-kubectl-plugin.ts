/**
 * `transplant` as a kubectl plugin: kubectl runs an executable named `kubectl-transplant` found on
 * the PATH for `kubectl transplant …`, passing the arguments after the plugin's name and its own
 * environment (KUBECONFIG among it). package.json's "bin" installs main.js under both names; the
 * name it was started under tells which one the help should speak of.
 */
import { basename } from 'node:path';

/** The executable's name kubectl looks for. */
export const KUBECTL_PLUGIN_EXECUTABLE = 'kubectl-transplant';

/** The program name for help and errors: `kubectl transplant` when started as the plugin. */
export function programName(argv1: string | undefined): string {
  const name = basename(argv1 ?? '').replace(/\.[cm]?js$/, '');
  return name === KUBECTL_PLUGIN_EXECUTABLE ? 'kubectl transplant' : 'transplant';
}
