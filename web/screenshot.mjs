/**
 * `node web/screenshot.mjs [archive] [out.png]`: docs/web-screenshot.png, the page after converting
 * a fixture (default: the PyTorch 2.6 trace of tiny_resnet, with its stored inputs), in Debian's
 * Chromium (CHROMIUM_PATH, default /usr/bin/chromium) driven by playwright-core.
 */
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { buildWeb } from './build.mjs';
import { serveWeb } from './serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const archive = process.argv[2] ?? join(root, 'test', 'fixtures', 'models', 'tiny_resnet', 'torch26', 'model.pt');
const out = process.argv[3] ?? join(root, 'docs', 'web-screenshot.png');

const work = mkdtempSync(join(tmpdir(), 'tsonnx-screenshot-'));
const { server, url } = await serveWeb(await buildWeb(join(work, 'dist-web')), 0);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(url);
  await page.setInputFiles('#file', archive);
  await page.waitForSelector('body[data-state="inspected"]');
  await page.fill('#dynamic-axes', '{"x": {"0": "batch"}}');
  await page.click('#convert');
  await page.waitForSelector('body[data-state="converted"], body[data-state="failed"]');
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.close();
  rmSync(work, { recursive: true, force: true });
}
