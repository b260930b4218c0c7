// GET /dashboard/...: the web dashboard's page and assets (HTML, one ES module, CSS and
// uPlot from node_modules), read from the package once at start and served from memory.
//
// These files are public static code: they hold no data about this host. Everything the
// page shows it fetches from the JSON API (/v1/*, /metrics) with the caller's own
// credential, so serving them reveals nothing. They still go through the server's
// onRequest hook like every route (read role): on the Unix socket that is the peer's
// credential; on the TCP listener a bearer token is required for them too, so a browser
// reaches the page through `virtzone dashboard`, the loopback proxy that holds the
// credential (the page itself sends the proxy's session token, from the URL fragment, as
// a bearer on its fetch() calls).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { RouterContext } from '../context.js';

export interface DashboardAsset {
  url: string;
  /** absolute path of the file served */
  file: string;
  contentType: string;
}

/** The folder holding dashboard/index.html: the package root, from source or from dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'dashboard', 'index.html'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`dashboard/index.html not found above ${dirname(fileURLToPath(import.meta.url))}`);
    dir = parent;
  }
}

/** Every file the dashboard serves, by URL. uPlot is resolved as node resolves the package. */
export function dashboardAssets(): DashboardAsset[] {
  const root = packageRoot();
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
  const page = (name: string) => join(root, 'dashboard', name);
  return [
    { url: '/dashboard/', file: page('index.html'), contentType: 'text/html; charset=utf-8' },
    { url: '/dashboard/app.js', file: page('app.js'), contentType: 'text/javascript; charset=utf-8' },
    { url: '/dashboard/style.css', file: page('style.css'), contentType: 'text/css; charset=utf-8' },
    { url: '/dashboard/uplot.js', file: join(uplotDist, 'uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
    { url: '/dashboard/uplot.css', file: join(uplotDist, 'uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
  ];
}

// The page loads only its own files and talks only to its own origin; uPlot styles its
// elements through the CSSOM (element.style), which style-src does not govern.
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function dashboardRoutes(app: FastifyInstance, _ctx: RouterContext) {
  for (const asset of dashboardAssets()) {
    const body = readFileSync(asset.file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    app.get(
      asset.url,
      { schema: { summary: `The web dashboard: ${asset.url === '/dashboard/' ? 'its page' : asset.url.slice('/dashboard/'.length)} (static, no data)`, tags: ['dashboard'] } },
      async (request, reply) => {
        reply
          .header('content-type', asset.contentType)
          .header('etag', etag)
          // revalidated on each load (a daemon upgrade changes them), answered 304 when unchanged
          .header('cache-control', 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .header('content-security-policy', CONTENT_SECURITY_POLICY);
        if (request.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply.send(body);
      },
    );
  }
}
