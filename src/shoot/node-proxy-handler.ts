/**
 * `nodes/<name>/proxy/<path>` of the shoot's API (Kubernetes' node proxy): the request goes to
 * the node through its VPN tunnel and the node's answer comes back as it is — what lets the API
 * server reach its workers, and what "Waiting until the Kubernetes API server can connect to the
 * Shoot workers" checks. RBAC names it `nodes/proxy`.
 *
 * A node that does not exist is 404; one without a tunnel (or none that answers) is 503 with
 * Kubernetes' "error dialing backend" and the reason, so `kubectl get --raw` says what is wrong.
 */
import { nodeResource } from '../api/core/node.js';
import { notFound, serviceUnavailable } from '../api/errors.js';
import type { CustomHandler } from '../apiserver/server.js';
import type { Client } from '../client/client.js';
import type { NodeTunnels } from './vpn/vpn-seed-server.js';
import { NodeUnreachableError } from './vpn/vpn-seed-server.js';

const nodesRef = { group: '', resource: 'nodes' };

/**
 * `client` is the shoot API server's own (it reads the Node); `tunnels()` is the shoot's
 * vpn-seed-server now, or undefined while none runs.
 */
export function nodeProxyHandler(client: Client, tunnels: () => NodeTunnels | undefined): CustomHandler {
  return {
    group: '',
    version: 'v1',
    resource: 'nodes',
    subresource: 'proxy',
    subpaths: true,
    async handle(req) {
      // `<node>:<port>` addresses a port of the node; the node serves one endpoint.
      const node = req.info.name.replace(/:\d+$/, '');
      if (!(await client.resource(nodeResource).find('', node))) throw notFound(nodesRef, node);
      const vpn = tunnels();
      if (!vpn) throw serviceUnavailable(`error dialing backend: no vpn-seed-server runs for this shoot`);
      const query = req.query.toString();
      try {
        const answer = await vpn.request(node, {
          method: req.method,
          path: `${req.info.subpath || '/'}${query ? `?${query}` : ''}`,
          headers: req.contentType ? { 'content-type': req.contentType } : {},
          ...(req.raw.length > 0 ? { body: req.raw } : {}),
        });
        return {
          code: answer.status,
          raw: answer.body,
          contentType: answer.headers['content-type'] ?? 'application/octet-stream',
        };
      } catch (err) {
        if (err instanceof NodeUnreachableError) throw serviceUnavailable(`error dialing backend: ${err.message}`);
        throw err;
      }
    },
  };
}
