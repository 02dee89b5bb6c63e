/**
 * The backup sidecar's HTTPS endpoint, with etcd-backup-restore's paths and bodies (any method):
 *
 * - `/snapshot/full[?final=true]`: an out-of-schedule full snapshot; 400 for a `final` that is
 *   not a boolean, 500 with the error when it fails; the snapshot as JSON.
 * - `/snapshot/delta`: an out-of-schedule delta (`null` when nothing changed).
 * - `/snapshot/latest`: `{"fullSnapshot": …, "deltaSnapshots": […]}`, read from the store.
 * - `/healthz`: 200 or 503 with `{"health": true|false}`.
 *
 * Snapshots use etcd-backup-restore's JSON field names (`kind`, `snapName`, `createdOn` in
 * RFC 3339, …) so that its clients read them unchanged.
 */
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Snapshotter } from './snapshotter/snapshotter.js';
import type { Snapshot } from './snapstore/snapstore.js';

export interface SidecarServerOptions {
  snapshotter: Snapshotter;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** The serving certificate; with `caPem`, clients must present a certificate it signed. */
  tls: { certPem: string; keyPem: string; caPem?: string };
  logger: Logger;
}

export interface SidecarServer {
  /** `https://<host>:<port>`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** A snapshot as etcd-backup-restore's `brtypes.Snapshot` marshals it. */
export interface SnapshotJson {
  kind: Snapshot['kind'];
  startRevision: number;
  lastRevision: number;
  createdOn: string;
  snapDir: string;
  snapName: string;
  isChunk: boolean;
  compressionSuffix: string;
  isFinal: boolean;
}

export function snapshotToJson(snapshot: Snapshot): SnapshotJson {
  return {
    kind: snapshot.kind,
    startRevision: snapshot.startRevision,
    lastRevision: snapshot.lastRevision,
    createdOn: new Date(snapshot.createdOn * 1000).toISOString().replace('.000Z', 'Z'),
    snapDir: '',
    snapName: snapshot.name,
    isChunk: false,
    compressionSuffix: snapshot.compression === 'gzip' ? '.gz' : '',
    isFinal: snapshot.isFinal,
  };
}

/** Go's strconv.ParseBool, which etcd-backup-restore parses `final` with. */
function parseBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, { error: message });
}

export async function startSidecarServer(options: SidecarServerOptions): Promise<SidecarServer> {
  const { snapshotter, logger } = options;
  const host = options.host ?? '127.0.0.1';
  const server = createServer(
    {
      cert: options.tls.certPem,
      key: options.tls.keyPem,
      ...(options.tls.caPem ? { ca: options.tls.caPem, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://sidecar');
      const route = async (): Promise<void> => {
        switch (url.pathname) {
          case '/snapshot/full': {
            const finalParam = url.searchParams.get('final');
            const final = finalParam === null ? false : parseBool(finalParam);
            if (final === undefined) {
              sendError(res, 400, `invalid value for final: ${JSON.stringify(finalParam)} (want true or false)`);
              return;
            }
            send(res, 200, snapshotToJson(await snapshotter.triggerFullSnapshot({ final })));
            return;
          }
          case '/snapshot/delta': {
            const snapshot = await snapshotter.triggerDeltaSnapshot();
            send(res, 200, snapshot ? snapshotToJson(snapshot) : null);
            return;
          }
          case '/snapshot/latest': {
            const latest = await snapshotter.latest();
            send(res, 200, {
              fullSnapshot: latest.fullSnapshot ? snapshotToJson(latest.fullSnapshot) : null,
              deltaSnapshots: latest.deltaSnapshots.map(snapshotToJson),
            });
            return;
          }
          case '/healthz': {
            const healthy = snapshotter.health().healthy;
            send(res, healthy ? 200 : 503, { health: healthy });
            return;
          }
          default:
            sendError(res, 404, `no such path: ${url.pathname}`);
        }
      };
      route().catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        logger.error({ path: url.pathname, err: message }, 'sidecar request failed');
        if (!res.headersSent) sendError(res, 500, message);
        else res.destroy();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err: err.message }, 'sidecar server error'));
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url }, 'backup sidecar serving');
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
