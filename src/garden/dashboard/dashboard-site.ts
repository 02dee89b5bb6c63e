/**
 * The garden's dashboard as a public site (src/apiserver/public-site.ts) under `/dashboard/` on
 * the garden's own HTTPS listener: one HTML page, one style sheet and the page's ES modules, the
 * same bytes for everyone. The page holds no data: it asks the garden's API for everything with
 * the token the user logs in with (docs/moving-control-planes.md, "Dashboard").
 *
 * Where the files come from: `make build` is `rm -rf dist && tsc`, and tsc emits only what it
 * compiles. The browser modules are TypeScript (dashboard.ts, dashboard-api.ts,
 * dashboard-model.ts), so they are compiled next to this file; the page and the style sheet are
 * read from the source tree, found from this file's compiled place (dist mirrors the repository:
 * `rootDir` is `.`).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { methodNotAllowed, pathNotFound } from '../../api/errors.js';
import { sendStatus } from '../../apiserver/http-util.js';
import type { PublicSite } from '../../apiserver/server.js';

export const DASHBOARD_PREFIX = '/dashboard';

/** `dist/src/garden/dashboard/` → `src/garden/dashboard/`. */
const sourceDir = new URL('../../../../src/garden/dashboard/', import.meta.url);
const compiledDir = new URL('./', import.meta.url);

const html = 'text/html; charset=utf-8';
const javascript = 'text/javascript; charset=utf-8';

/** Everything the site serves, by the name below `/dashboard/`: nothing else is ever read. */
const files: ReadonlyMap<string, { url: URL; contentType: string }> = new Map([
  ['', { url: new URL('index.html', sourceDir), contentType: html }],
  ['index.html', { url: new URL('index.html', sourceDir), contentType: html }],
  ['dashboard.css', { url: new URL('dashboard.css', sourceDir), contentType: 'text/css; charset=utf-8' }],
  ['dashboard.js', { url: new URL('dashboard.js', compiledDir), contentType: javascript }],
  ['dashboard-api.js', { url: new URL('dashboard-api.js', compiledDir), contentType: javascript }],
  ['dashboard-model.js', { url: new URL('dashboard-model.js', compiledDir), contentType: javascript }],
]);

/**
 * On every answer of the site. The policy allows scripts, styles and requests from the garden's
 * own origin only: no inline script or style, no plugin, no framing (clickjacking a "Migrate"
 * button), no form posting anywhere (the login form is the script's; without the script it must
 * not send the token in a URL). No caching: a logout leaves nothing behind, and a new garden
 * version is served at once.
 */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy':
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
});

export function dashboardSite(): PublicSite {
  return { prefix: DASHBOARD_PREFIX, serve: serveDashboard };
}

/** Refusals are the server's usual Kubernetes Status, as for any path it does not serve. */
async function serveDashboard(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  for (const [header, value] of Object.entries(DASHBOARD_HEADERS)) res.setHeader(header, value);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendStatus(res, methodNotAllowed(`${req.method} is not allowed on ${path}`));
  }
  // The page's relative URLs (dashboard.js, dashboard.css) resolve below /dashboard/ only.
  if (path === DASHBOARD_PREFIX) {
    res.writeHead(308, { Location: `${DASHBOARD_PREFIX}/`, 'Content-Length': 0 });
    res.end();
    return;
  }
  const file = files.get(path.slice(DASHBOARD_PREFIX.length + 1));
  const body = file ? await readFile(file.url).catch(() => undefined) : undefined;
  if (!file || !body) return sendStatus(res, pathNotFound());
  res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}
