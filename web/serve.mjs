/**
 * `npm run serve:web [-- --port N]`: serves dist-web/ on http://127.0.0.1:N (default 8080) for trying
 * the page. Static files only; the page converts in the browser and sends nothing back.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

/** Serves `root` on `port` (0: any free one); resolves to the server and its URL. */
export function serveWeb(root, port = 8080, host = '127.0.0.1') {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    const inside = file.startsWith(root.endsWith(sep) ? root : root + sep);
    const stat = inside ? statSync(file, { throwIfNoEntry: false }) : undefined;
    if (!stat?.isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': stat.size });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve({ server, url: `http://${host}:${address.port}/` });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--port');
  const port = at >= 0 ? Number(process.argv[at + 1]) : 8080;
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist-web');
  if (!statSync(join(root, 'index.html'), { throwIfNoEntry: false })) {
    console.error('dist-web/ is not built: run npm run build:web first');
    process.exit(1);
  }
  const { url } = await serveWeb(root, port);
  console.log(`tsonnx page at ${url} (Ctrl-C stops)`);
}
