/**
 * The shoots' kube-apiservers' metrics, served by the seed's own API server (they run in its
 * process): a scraper reaches every shoot of the seed with the seed's CA and its metrics-reader
 * token, instead of one CA and one credential per shoot, which Prometheus cannot set per target.
 *
 * - `/metrics/shoots`: Prometheus' HTTP service discovery document, one target per shoot whose
 *   API server runs here — the seed's own address, `__metrics_path__` `/metrics/shoots/<technical
 *   id>`, labels `seed` and `technical_id`. Shoots come and go with their migrations; the
 *   scraper's next discovery refresh follows.
 * - `/metrics/shoots/<technical id>`: that API server's `/metrics`.
 */
import type { MetricsAnswer, MetricsPathHandler } from '../../apiserver/server.js';
import type { ApiServerRuntime } from './apiserver-runtime.js';

/** The `/metrics/shoots` handler of seed `seed`, reached at `address` (`host:port`, as the scraper dials it). */
export function shootApiServerMetrics(apiServers: ApiServerRuntime, seed: string, address: string): MetricsPathHandler {
  return async (subpath): Promise<MetricsAnswer | undefined> => {
    if (subpath === '') {
      const targets = apiServers.names().map((technicalId) => ({
        targets: [address],
        labels: { __metrics_path__: `/metrics/shoots/${technicalId}`, seed, technical_id: technicalId },
      }));
      return { contentType: 'application/json', body: JSON.stringify(targets) };
    }
    const technicalId = subpath.slice(1);
    if (technicalId.includes('/')) return undefined;
    const body = await apiServers.metrics(technicalId);
    return body === undefined ? undefined : { contentType: 'text/plain; version=0.0.4; charset=utf-8', body };
  };
}
