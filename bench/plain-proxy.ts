/**
 * The plainest Node reverse proxy: node:http in, node:http out over a keep-alive Agent, bodies piped.
 * No framework, no queue, no store. It is the yardstick for what any Node hop costs, so foreman's
 * overhead is judged against it rather than against an ideal no Node program could meet.
 *
 * `tsx bench/plain-proxy.ts --listen 127.0.0.1:0 --upstream http://127.0.0.1:11434`
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { listen: { type: 'string', default: '127.0.0.1:0' }, upstream: { type: 'string' } } });
if (!values.upstream) throw new Error('--upstream URL is required');
const upstream = new URL(values.upstream);
const [host = '127.0.0.1', port = '0'] = values.listen.split(':');

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
// Connection-level headers belong to each hop; forwarding them would break keep-alive on the other side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
const endToEnd = (headers: http.IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

const server = http.createServer((req, res) => {
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent },
    (up) => {
      res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
      up.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});

server.listen(Number(port), host, () => {
  const { address, port: bound } = server.address() as AddressInfo;
  process.stdout.write(`plain-proxy listening on http://${address}:${bound}\n`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
