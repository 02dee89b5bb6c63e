/**
 * Files a server hands to anyone under a path prefix, before authentication: a page shell such as
 * the garden's dashboard (src/garden/dashboard/), which a browser loads by navigating to it and so
 * cannot send a bearer token for. A site serves no data: everything it shows comes from the API,
 * with the user's own token, authenticated and authorized like any other client's request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface PublicSite {
  /** The path it serves and everything below it, e.g. `/dashboard` (also `/dashboard/…`). */
  prefix: string;
  /** Answers a request for `path` (`prefix` or below it); the site sets its own headers. */
  serve(path: string, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** The site serving `path`, if one does. */
export function findPublicSite(sites: readonly PublicSite[], path: string): PublicSite | undefined {
  return sites.find((site) => path === site.prefix || path.startsWith(`${site.prefix}/`));
}
