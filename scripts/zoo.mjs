#!/usr/bin/env node
/**
 * `npm run zoo`: converts torchvision models traced with PyTorch 1.13 and 2.6 at each opset, runs them in
 * onnxruntime, compares with PyTorch's outputs, and prints a markdown table (also written to docs/zoo.md).
 *
 *   npm run zoo -- [--models resnet18,vgg11_bn] [--opsets 17,11] [--torch 1.13|2.6]
 *
 * The cases are made by scripts/zoo_models.py in zoo-work/ (git-ignored). A model that fails to trace,
 * convert or run is one row with its error's first line; the run goes on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { compareOutputs, formatNumber, isCompleteCase, loadCase, subfolders } from './lib/cases.mjs';
import { cliPath, ensureBuilt, errorLine, hasTorch, makeZooCases, projectRoot, TORCH_VERSIONS, zooRoot } from './lib/env.mjs';

const DEFAULT_OPSETS = [17, 11];
const CONVERT_TIMEOUT_MS = 15 * 60 * 1000;

const log = (line) => process.stderr.write(`${line}\n`);
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const firstLine = (text) => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

function parseOptions() {
  const { values } = parseArgs({
    options: { models: { type: 'string' }, opsets: { type: 'string' }, torch: { type: 'string' } },
  });
  const torch = values.torch ? list(values.torch) : Object.keys(TORCH_VERSIONS);
  const unknown = torch.filter((v) => !(v in TORCH_VERSIONS));
  if (unknown.length) throw new Error(`--torch ${unknown.join(',')}: choose from ${Object.keys(TORCH_VERSIONS).join(', ')}`);
  const opsets = values.opsets ? list(values.opsets).map(Number) : DEFAULT_OPSETS;
  if (opsets.some((o) => !Number.isInteger(o))) throw new Error(`--opsets ${values.opsets}: expected whole numbers`);
  return { models: values.models ? list(values.models) : undefined, opsets, torch };
}

/** Runs dist/cli.js as a child process; returns { report } or { error } (the first line tsonnx printed). */
function convertCase(c, opset, output) {
  const args = [cliPath, join(c.dir, 'model.pt'), output, ...c.args.flatMap((a) => ['--input', a]), '--opset', String(opset), '--json'];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: CONVERT_TIMEOUT_MS });
  if (result.error) return { error: result.error.code === 'ETIMEDOUT' ? `timed out after ${CONVERT_TIMEOUT_MS / 60000} min` : result.error.message };
  if (result.status !== 0) {
    return { error: errorLine(result.stderr) || `exited with ${result.signal ?? `status ${result.status}`}` };
  }
  return { report: JSON.parse(result.stdout) };
}

async function runOnnx(path, feedNames, inputs) {
  const session = await ort.InferenceSession.create(path, { logSeverityLevel: 3 });
  try {
    const feeds = {};
    feedNames.forEach((name, i) => (feeds[name] = new ort.Tensor(inputs[i].dtype, inputs[i].data, inputs[i].shape)));
    const results = await session.run(feeds);
    return session.outputNames.map((name) => ({ dtype: results[name].type, shape: [...results[name].dims], data: results[name].data }));
  } finally {
    await session.release();
  }
}

async function checkCase(model, c, opset, torch) {
  const output = join(c.dir, `opset${opset}.onnx`);
  const row = { model, torch, opset, seconds: undefined, nodes: undefined };
  try {
    const { report, error } = convertCase(c, opset, output);
    if (error) return { ...row, ok: false, result: error };
    row.seconds = Object.values(report.seconds).reduce((a, b) => a + b, 0);
    row.nodes = Object.values(report.nodes).reduce((a, b) => a + b, 0);
    // Only tensor arguments are graph inputs; tsonnx names them in forward()'s order.
    const tensorInputs = c.inputs.slice().sort((a, b) => a.index - b.index);
    const feedNames = report.inputs.map((i) => i.name);
    if (feedNames.length !== tensorInputs.length) {
      return { ...row, ok: false, result: `the model has ${feedNames.length} inputs, the case ${tensorInputs.length}` };
    }
    const got = await runOnnx(output, feedNames, tensorInputs);
    const { ok, maxAbsDiff, problem } = compareOutputs(got, c.outputs);
    return { ...row, ok, result: ok ? `ok (max diff ${formatNumber(maxAbsDiff)})` : `mismatch: ${problem}` };
  } catch (e) {
    return { ...row, ok: false, result: `onnxruntime: ${firstLine(e instanceof Error ? e.message : String(e))}` };
  } finally {
    rmSync(output, { force: true });
    rmSync(`${output}.data`, { force: true });
  }
}

function markdownTable(rows) {
  const cell = (text) => String(text).replaceAll('|', '\\|');
  const lines = [
    '| model | torch | opset | result | conversion s | nodes |',
    '|---|---|---|---|--:|--:|',
  ];
  for (const r of rows) {
    const seconds = r.seconds === undefined ? '' : r.seconds.toFixed(2);
    lines.push(`| ${cell(r.model)} | ${cell(r.torch)} | ${r.opset} | ${cell(r.result)} | ${seconds} | ${r.nodes ?? ''} |`);
  }
  return lines.join('\n');
}

function ortVersion() {
  const pkg = join(projectRoot, 'node_modules', 'onnxruntime-node', 'package.json');
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

function writeDoc(table, summary, notes) {
  const cpu = cpus();
  const command = `npm run zoo${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const doc = [
    '# Model zoo',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}; machine: ${cpu.length} cores ` +
      `(${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
      `onnxruntime-node ${ortVersion()}.`,
    '',
    'Each torchvision model (untrained: weights drawn after `torch.manual_seed(0)`, random norm affine weights, ' +
      'BatchNorm statistics calibrated on a random batch so outputs stay near unit scale) ' +
      'is traced and saved by `scripts/zoo_models.py`, converted by `dist/cli.js` at each opset, run in onnxruntime ' +
      'on a seeded random input and compared with the output of the reloaded archive in PyTorch: ok when ' +
      '|got − want| ≤ 1e-4 + 1e-3·max|want| everywhere. Conversion seconds are the sum of tsonnx\'s stage times ' +
      '(its `--json` report), without Node\'s start-up; nodes count the ONNX graph\'s nodes.',
    ...notes.map((n) => `\n${n}`),
    '',
    `**${summary}**`,
    '',
    table,
    '',
  ].join('\n');
  writeFileSync(join(projectRoot, 'docs', 'zoo.md'), doc);
}

async function main() {
  const options = parseOptions();
  ensureBuilt(log);
  const notes = [];
  const rows = [];
  for (const version of options.torch) {
    const { tag, python } = TORCH_VERSIONS[version];
    if (hasTorch(python)) {
      log(`== torch ${version}: making cases with ${python}`);
      const status = makeZooCases(python, options.models);
      if (status !== 0) log(`zoo_models.py exited with status ${status}; going on with the cases it made`);
    } else {
      const note = `torch ${version}: ${python} does not import torch and torchvision; its cases were not (re)made.`;
      log(note);
      notes.push(note);
    }
    const versionRoot = join(zooRoot, tag);
    const models = options.models ?? subfolders(versionRoot);
    for (const model of models) {
      const dir = join(versionRoot, model);
      if (!isCompleteCase(dir)) {
        const errorFile = join(dir, 'error.txt');
        const why = existsSync(errorFile) ? `not traced: ${firstLine(readFileSync(errorFile, 'utf8'))}` : `no case in ${relative(projectRoot, dir)}`;
        rows.push({ model, torch: version, opset: '', ok: false, result: why });
        continue;
      }
      const c = loadCase(dir);
      for (const opset of options.opsets) {
        log(`converting ${tag}/${model} at opset ${opset}`);
        const row = await checkCase(model, c, opset, version);
        log(`  ${row.result}`);
        rows.push(row);
      }
    }
  }
  // Grouped by model, so one model's results under both PyTorch versions sit together.
  rows.sort((a, b) => a.model.localeCompare(b.model));
  const table = markdownTable(rows);
  const summary = `${rows.filter((r) => r.ok).length} ok of ${rows.length}`;
  process.stdout.write(`${table}\n\n${summary}\n`);
  writeDoc(table, summary, notes);
  log(`wrote ${relative(projectRoot, join(projectRoot, 'docs', 'zoo.md'))}`);
}

try {
  await main();
} catch (e) {
  log(`zoo: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
