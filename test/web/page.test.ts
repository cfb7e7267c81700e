/**
 * The page (web/) in headless Chromium: an archive is picked, inspected and converted in the page's
 * worker, and the model it offers for download is byte for byte what the command line writes for the
 * same options. Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH); skipped without it.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileSource } from '../../src/archive/file-source.js';
import { openZip } from '../../src/archive/zip.js';
import { buildWeb } from '../../web/build.mjs';
import { serveWeb } from '../../web/serve.mjs';
import { zipBytes } from '../archive/helpers.js';
import { fixturesRoot, projectRoot } from '../helpers/cases.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/web/page.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

const cli = join(projectRoot, 'dist', 'cli.js');

/** The page's form, field by field; unset fields keep what the page put there. */
interface Form {
  inputs?: string[];
  opset?: number;
  inputNames?: string;
  outputNames?: string;
  dynamicAxes?: string;
  training?: string;
  operatorExportType?: string;
  liftState?: boolean;
  quantizedEngine?: string;
}

interface Case {
  name: string;
  archive: string;
  form: Form;
  /** The same options on the command line. */
  args: string[];
  /** What the page prefills from the archive. */
  prefilled: string;
}

const CASES: Case[] = [
  {
    name: 'a CNN (PyTorch 1.13 trace, inputs given)',
    archive: join(fixturesRoot, 'models', 'small_cnn', 'torch113', 'model.pt'),
    form: { inputs: ['float32[1,3,32,32]'], opset: 13, inputNames: 'image', outputNames: 'logits' },
    args: ['--input', 'float32[1,3,32,32]', '--opset', '13', '--input-names', 'image', '--output-names', 'logits'],
    prefilled: '',
  },
  {
    name: 'a scripted while loop on tensor data, with a dynamic axis',
    archive: join(fixturesRoot, 'control', 'while_data_long', 'torch26', 'model.pt'),
    form: { inputs: ['float32[2,3]'], opset: 13, dynamicAxes: '{"x": {"0": "n"}}' },
    args: ['--input', 'float32[2,3]', '--opset', '13', '--dynamic-axes', '{"x": {"0": "n"}}'],
    prefilled: '',
  },
  {
    name: 'a PyTorch 2.6 trace with its stored example inputs',
    archive: join(fixturesRoot, 'models', 'tiny_resnet', 'torch26', 'model.pt'),
    form: { operatorExportType: 'onnx_aten_fallback', training: 'preserve' },
    args: ['--operator-export-type', 'onnx_aten_fallback', '--training', 'preserve'],
    prefilled: 'float32[1,3,32,32]',
  },
  {
    name: 'a scripted model with state, lifted',
    archive: join(fixturesRoot, 'state', 'streaming_conv', 'torch26', 'model.pt'),
    form: { inputs: ['float32[1,3,4]'], liftState: true },
    args: ['--input', 'float32[1,3,4]', '--lift-state'],
    prefilled: '',
  },
  {
    name: 'a model quantized with the onednn engine of PyTorch 2.6',
    archive: join(fixturesRoot, 'ops', 'q_engine_onednn', 'torch26', 'model.pt'),
    form: { quantizedEngine: 'onednn' },
    args: ['--quantized-engine', 'onednn'],
    prefilled: 'float32[4,8,12,12]',
  },
];

/** `archive` zipped again with every entry deflated, as a zip tool would (torch stores them). */
async function deflatedCopy(archive: string, folder: string): Promise<string> {
  const zip = await openZip(openFileSource(archive));
  try {
    const items = [...zip.entries.values()].map((entry) => ({ name: `${zip.root}/${entry.name}`, data: entry.read(), deflate: true }));
    const copy = join(folder, 'deflated.pt');
    writeFileSync(copy, zipBytes(items));
    return copy;
  } finally {
    zip.close();
  }
}

function runCli(args: string[], cwd = projectRoot) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr };
}

describe.skipIf(!hasChromium)('the page in Chromium', () => {
  const work = mkdtempSync(join(tmpdir(), 'tsonnx-web-'));
  let browser: Browser;
  let page: Page;
  let url: string;
  let close: () => void;

  beforeAll(async () => {
    const { server, url: served } = await serveWeb(await buildWeb(join(work, 'dist-web')), 0);
    url = served;
    close = () => server.close();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ acceptDownloads: true });
  });

  afterAll(async () => {
    await browser?.close();
    close?.();
  });

  /** Loads the page and picks `archive`; resolves once it is inspected or failed. */
  async function pick(archive: string): Promise<string> {
    await page.goto(url);
    await page.setInputFiles('#file', archive);
    await page.waitForSelector('body[data-state="inspected"], body[data-state="failed"]');
    return (await page.getAttribute('body', 'data-state'))!;
  }

  async function fill(form: Form): Promise<void> {
    if (form.inputs) await page.fill('#inputs', form.inputs.join('\n'));
    if (form.opset !== undefined) await page.fill('#opset', String(form.opset));
    if (form.inputNames) await page.fill('#input-names', form.inputNames);
    if (form.outputNames) await page.fill('#output-names', form.outputNames);
    if (form.dynamicAxes) await page.fill('#dynamic-axes', form.dynamicAxes);
    if (form.training) await page.selectOption('#training', form.training);
    if (form.operatorExportType) await page.selectOption('#operator-export-type', form.operatorExportType);
    if (form.liftState) await page.check('#lift-state');
    if (form.quantizedEngine) await page.selectOption('#quantized-engine', form.quantizedEngine);
  }

  async function convertInPage(): Promise<string> {
    await page.click('#convert');
    await page.waitForSelector('body[data-state="converted"], body[data-state="failed"]');
    return (await page.getAttribute('body', 'data-state'))!;
  }

  it.each(CASES)('converts $name to the bytes the command line writes', async ({ archive, form, args, prefilled }) => {
    expect(await pick(archive)).toBe('inspected');
    expect(await page.inputValue('#inputs')).toBe(prefilled);
    await fill(form);
    expect(await convertInPage()).toBe('converted');
    const stages = await page.$$eval('#stages li', (items) => items.map((item) => [item.className, item.textContent]));
    expect(stages.map(([state]) => state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-model')]);
    const name = download.suggestedFilename();
    expect(name).toBe(basename(archive).replace(/\.pt$/, '.onnx'));
    const fromPage = readFileSync((await download.path())!);

    const out = join(mkdtempSync(join(work, 'cli-')), name);
    const r = runCli([archive, out, ...args]);
    expect(r.stderr).toMatch(/^wrote /);
    expect(r.status).toBe(0);
    const fromCli = readFileSync(out);
    expect(fromPage.length).toBe(fromCli.length);
    expect(fromPage.equals(fromCli)).toBe(true);
    expect(await page.isHidden('#download-data')).toBe(true);
    // Written to the origin-private file system, not kept in the page's memory.
    expect(await page.getAttribute('body', 'data-storage')).toBe('disk');
  });

  it('converts a re-zipped archive whose entries are deflated, as the command line does', async () => {
    const folder = mkdtempSync(join(work, 'deflated-'));
    const archive = await deflatedCopy(join(fixturesRoot, 'models', 'small_cnn', 'torch113', 'model.pt'), folder);
    expect(await pick(archive)).toBe('inspected');
    await fill({ inputs: ['float32[2,3,32,32]'] });
    expect(await convertInPage()).toBe('converted');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-model')]);
    const fromPage = readFileSync((await download.path())!);
    const r = runCli([archive, join(folder, 'deflated.onnx'), '--input', 'float32[2,3,32,32]']);
    expect(r.status).toBe(0);
    expect(fromPage.equals(readFileSync(join(folder, 'deflated.onnx')))).toBe(true);
  });

  it('shows what inspect shows: signature, stored inputs, modules and ops', async () => {
    const archive = join(fixturesRoot, 'models', 'tiny_resnet', 'torch26', 'model.pt');
    expect(await pick(archive)).toBe('inspected');
    const text = await page.textContent('#inspect');
    const copy = join(mkdtempSync(join(work, 'inspect-')), 'model.pt');
    copyFileSync(archive, copy);
    const r = spawnSync(process.execPath, [cli, 'inspect', 'model.pt'], { cwd: dirname(copy), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status).toBe(0);
    expect(text).toBe(r.stdout);
    const summary = await page.textContent('#summary');
    expect(summary).toContain('forward(x: Tensor) -> Tensor');
    expect(summary).toContain('float32[1,3,32,32]');
    expect(summary).toContain('unsupported opsnone');
  });

  it('shows a damaged archive\'s error as the command line prints it', async () => {
    const folder = mkdtempSync(join(work, 'broken-'));
    const bytes = readFileSync(join(projectRoot, 'samples', 'small_cnn.pt'));
    writeFileSync(join(folder, 'broken.pt'), bytes.subarray(0, bytes.length - 100));
    expect(await pick(join(folder, 'broken.pt'))).toBe('failed');
    const line = await page.textContent('#error');
    const r = runCli(['broken.pt', 'out.onnx', '--input', 'float32[1,3,32,32]'], folder);
    expect(r.status).toBe(1);
    expect(line).toMatch(/^tsonnx: ARCHIVE_CORRUPT: broken\.pt: zip end-of-central-directory record not found/);
    expect(`${line}\n`).toBe(r.stderr);
    expect(await page.getAttribute('body', 'data-error-code')).toBe('ARCHIVE_CORRUPT');
  });

  it('shows a conversion error with its TorchScript and Python location', async () => {
    const archive = join(fixturesRoot, 'state', 'streaming_conv', 'torch26', 'model.pt');
    expect(await pick(archive)).toBe('inspected');
    await fill({ inputs: ['float32[1,4,8]'], liftState: true });
    expect(await convertInPage()).toBe('failed');
    const line = await page.textContent('#error');
    const r = runCli([archive, join(work, 'never.onnx'), '--input', 'float32[1,4,8]', '--lift-state']);
    expect(r.status).toBe(1);
    expect(line).toMatch(/^tsonnx: code\/__torch__\.py:\d+ \(state_cases\.py:\d+\): TRACE_TYPE: /);
    expect(`${line}\n`).toBe(r.stderr);
  });
});
