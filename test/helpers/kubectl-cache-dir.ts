/**
 * Loaded into every test process (`node --import` in the Makefile's test targets): gives the
 * kubectl processes a test starts a discovery cache of their own.
 *
 * kubectl caches an API server's discovery under `~/.kube/cache/discovery/<host>_<port>` for
 * hours. Test servers listen on ephemeral ports, so a port a seed's API used earlier is soon a
 * garden's, and kubectl read the seed's answer: it took the garden's namespaced `backupentry` for
 * the seed's cluster-scoped one and asked at the cluster scope (a run failed on that 403). One
 * directory per test process, removed when it exits, leaves only that process's servers in it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cacheDir = mkdtempSync(join(tmpdir(), 'transplant-test-kubectl-cache-'));
// kubectl reads KUBECACHEDIR (1.26 and later) where no --cache-dir is given; children inherit it.
process.env.KUBECACHEDIR = cacheDir;
process.on('exit', () => rmSync(cacheDir, { recursive: true, force: true }));
