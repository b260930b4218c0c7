// The optional metrics listener (config metrics.listen): GET /metrics without a token,
// for a Prometheus server elsewhere, and nothing else. It runs apart from the API's
// handler, so no route, credential or rate limit of the API is reachable through it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLimitedServer, listenTcp, type ConnectionLimits } from '../listen.js';

export interface MetricsListener {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export interface MetricsPage {
  contentType: string;
  /** the exposition text, current as of the call */
  render(): Promise<string>;
}

/** Answers one request: GET (or HEAD) /metrics gets the page, other methods 405, any other path 404. */
export async function answerMetricsRequest(page: MetricsPage, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  if (path !== '/metrics') return plain(404, 'not found: this listener serves GET /metrics only\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed\n', { allow: 'GET, HEAD' });
  let text: string;
  try {
    text = await page.render();
  } catch (err) {
    return plain(500, `metrics unavailable: ${(err as Error).message}\n`);
  }
  res.writeHead(200, { 'content-type': page.contentType });
  res.end(req.method === 'HEAD' ? undefined : text);
}

/** Listens on `listen` (HOST:PORT) with the API's connection limits. */
export async function listenMetrics(page: MetricsPage, listen: string, limits: ConnectionLimits): Promise<MetricsListener> {
  const server = createLimitedServer((req: IncomingMessage, res: ServerResponse) => {
    // drain any request body: nothing here reads one
    req.resume();
    void answerMetricsRequest(page, req, res);
  }, limits);
  const address = await listenTcp(server, listen, 'metrics.listen');
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
