/**
 * `npm run build:web`: bundles the page (web/main.ts) and its worker (web/worker.ts) into dist-web/,
 * beside index.html and style.css. The platform is the browser, so the build fails if anything the
 * page loads reaches a Node module (fs, path, crypto, zlib, worker_threads, os).
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function buildWeb(outdir = join(root, 'dist-web')) {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { main: 'web/main.ts', worker: 'web/worker.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16.4'],
    outdir,
    define: { __TSONNX_VERSION__: JSON.stringify(version) },
    inject: ['web/buffer-global.ts'],
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(root, 'web', file), join(outdir, file));
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outdir = await buildWeb();
  console.log(`built ${outdir}`);
}
