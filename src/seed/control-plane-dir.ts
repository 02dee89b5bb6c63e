import { join } from 'node:path';

/** Where a seed keeps its shoots' control-plane data (etcd data directories). */
export function controlPlaneDir(seedDir: string): string {
  return join(seedDir, 'controlplanes');
}
