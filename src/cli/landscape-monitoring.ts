/**
 * `transplant up --monitoring`: a real Prometheus (Debian's `/usr/bin/prometheus`) as one more
 * supervised process of the landscape, on loopback on a free port, its files under
 * `DIR/monitoring/` (owner-only): the generated `prometheus.yml` and `rules.yml`
 * (prometheus-config.ts) and the TSDB in `data/`. It reads the garden's and the seeds'
 * metrics-reader credentials where those servers write them; `transplant down` stops it with the
 * rest.
 */
import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { SupervisedSpec } from '../process/supervisor.js';
import { alertRules, type MonitoringTargets, prometheusConfig } from './prometheus-config.js';

/** Debian's package `prometheus` (make packages). */
export const PROMETHEUS_BINARY = '/usr/bin/prometheus';

/** The supervisor's name of the process. */
export const PROMETHEUS_PROCESS = 'prometheus';

export interface MonitoringFiles {
  dir: string;
  config: string;
  rules: string;
  data: string;
}

export function monitoringFiles(landscapeDir: string): MonitoringFiles {
  const dir = join(landscapeDir, 'monitoring');
  return { dir, config: join(dir, 'prometheus.yml'), rules: join(dir, 'rules.yml'), data: join(dir, 'data') };
}

/** Fails early, with what to do, when Debian's Prometheus is not installed. */
export async function checkPrometheusInstalled(binary = PROMETHEUS_BINARY): Promise<void> {
  await access(binary, constants.X_OK).catch(() => {
    throw new Error(
      `--monitoring needs Prometheus at ${binary}: install Debian's package (apt-get install prometheus, or make packages)`,
    );
  });
}

/** Writes the configuration and the rules (again at every start: the landscape's addresses may have changed). */
export async function writeMonitoringFiles(
  files: MonitoringFiles,
  targets: Omit<MonitoringTargets, 'rulesFile'>,
): Promise<void> {
  await mkdir(files.data, { recursive: true, mode: 0o700 });
  await writeFile(files.rules, alertRules(), { mode: 0o600 });
  await writeFile(files.config, prometheusConfig({ ...targets, rulesFile: files.rules }), { mode: 0o600 });
}

/** The supervised Prometheus listening on `127.0.0.1:<port>`. */
export function prometheusProcess(files: MonitoringFiles, port: number, logFile: string): SupervisedSpec {
  return {
    name: PROMETHEUS_PROCESS,
    args: [],
    argv: [
      PROMETHEUS_BINARY,
      `--config.file=${files.config}`,
      `--storage.tsdb.path=${files.data}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=7d',
      '--log.level=warn',
    ],
    logFile,
  };
}

/** A port free on loopback now (the kernel's pick; Prometheus binds it a moment later). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until Prometheus at `url` answers `/-/ready`. */
export async function waitUntilPrometheusReady(url: string, deadline: number): Promise<void> {
  for (;;) {
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2_000) })
      .then((res) => res.ok)
      .catch(() => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`Prometheus at ${url} was not ready in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
