#!/usr/bin/env node
/**
 * `npm run zoo`: converts the zoo's models (torchvision and torchaudio models, torchaudio transforms and
 * sequence/attention modules, traced or scripted with PyTorch 1.13 and 2.6) at each opset, runs them in
 * onnxruntime, compares with PyTorch's outputs, prints a markdown row per case and opset, and puts those rows
 * into docs/zoo.md's table (replacing the rows of the same cases; the others stay).
 *
 *   npm run zoo -- [--models resnet18,lstm-script] [--opsets 17,11] [--torch 1.13|2.6] [--fp16]
 *
 * --fp16 converts with tsonnx's --fp16 (float16 weights and compute, float32 inputs and outputs), compares
 * with PyTorch's float32 outputs within FP16_TOLERANCE, also converts without it to give the size ratio, and
 * writes docs/zoo-fp16.md instead.
 *
 * The cases are made by scripts/zoo_models.py in zoo-work/ (git-ignored): one folder per case, named after
 * the model, with `-script` for scripted cases and `-lite` for optimize_for_mobile archives saved for the lite
 * interpreter. --models takes model names (all their cases) or folder
 * names; the opsets are each case's own (case.json) unless --opsets is given. A case that fails to trace,
 * convert or run is one row with its error's first line; the run goes on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { compareOutputs, DEFAULT_TOLERANCE, formatNumber, isCompleteCase, loadCase, subfolders } from './lib/cases.mjs';
import { cliPath, ensureBuilt, errorLine, hasTorch, makeZooCases, projectRoot, TORCH_VERSIONS, zooRoot } from './lib/env.mjs';

/** Folder suffixes of the modes other than tracing (scripts/zoo_models.py names folders `<model>-<mode>`). */
const MODE_SUFFIXES = ['script', 'lite'];
const CONVERT_TIMEOUT_MS = 15 * 60 * 1000;
/**
 * float16 keeps 11 significant bits (relative rounding 2^-11 ≈ 4.9e-4 per value); across a deep network's
 * rounded weights and activations errors add up to about 1% of the output's scale.
 */
const FP16_TOLERANCE = { absolute: 1e-3, relative: 2e-2 };

const log = (line) => process.stderr.write(`${line}\n`);
const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const firstLine = (text) => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';

function parseOptions() {
  const { values } = parseArgs({
    options: { models: { type: 'string' }, opsets: { type: 'string' }, torch: { type: 'string' }, fp16: { type: 'boolean' } },
  });
  const torch = values.torch ? list(values.torch) : Object.keys(TORCH_VERSIONS);
  const unknown = torch.filter((v) => !(v in TORCH_VERSIONS));
  if (unknown.length) throw new Error(`--torch ${unknown.join(',')}: choose from ${Object.keys(TORCH_VERSIONS).join(', ')}`);
  const opsets = values.opsets ? list(values.opsets).map(Number) : undefined;
  if (opsets?.some((o) => !Number.isInteger(o))) throw new Error(`--opsets ${values.opsets}: expected whole numbers`);
  return { models: values.models ? list(values.models) : undefined, opsets, torch, fp16: values.fp16 ?? false };
}

/** Runs dist/cli.js as a child process; returns { report } or { error } (the first line tsonnx printed). */
function convertCase(c, opset, output, extraArgs = []) {
  const method = c.method === 'forward' ? [] : ['--method', c.method];
  const options = Object.entries(c.tsonnxOptions).flatMap(([flag, value]) => [`--${flag}`, String(value)]);
  const args = [cliPath, join(c.dir, 'model.pt'), output, ...c.args.flatMap((a) => ['--input', a]), ...method, ...options, '--opset', String(opset), '--json', ...extraArgs];
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

/** A case folder's model name and mode: `lstm-script` is lstm, scripted; `lstm-lite` a lite archive; a bare name is traced. */
function describeFolder(folder) {
  const mode = MODE_SUFFIXES.find((m) => folder.endsWith(`-${m}`));
  return mode ? { model: folder.slice(0, -mode.length - 1), mode } : { model: folder, mode: 'trace' };
}

const ZOO_SOURCE = 'tsonnx scripts/zoo_models.py';

/** Whether a folder holds a zoo case (the bench's models share zoo-work/ but are not zoo rows). */
function isZooFolder(dir) {
  const file = join(dir, 'case.json');
  return !existsSync(file) || JSON.parse(readFileSync(file, 'utf8')).source === ZOO_SOURCE;
}

/** The case folders to check: every zoo case under versionRoot, or those --models names (by model or by folder). */
function selectFolders(versionRoot, models) {
  const present = subfolders(versionRoot).filter((f) => isZooFolder(join(versionRoot, f)));
  if (!models) return present;
  const matching = (name) => present.filter((f) => f === name || describeFolder(f).model === name);
  // A name with no folder still gets a row (its "no case" error).
  return [...new Set(models.flatMap((name) => (matching(name).length ? matching(name) : [name])))];
}

/** The opsets to check a case at, highest first: --opsets, else the case's own list. */
function caseOpsets(dir, requested) {
  const { opsets } = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  return [...(requested ?? opsets)].sort((a, b) => b - a);
}

/** One row: caseRow ({ model, mode, torch }) with this opset's result. */
async function checkCase(c, opset, caseRow, fp16) {
  const output = join(c.dir, `opset${opset}.onnx`);
  const row = { ...caseRow, opset, seconds: undefined, nodes: undefined };
  try {
    const { report, error } = convertCase(c, opset, output, fp16 ? ['--fp16'] : []);
    if (error) return { ...row, ok: false, result: error };
    if (fp16) {
      const float32 = convertCase(c, opset, `${output}.float32.onnx`);
      if (float32.report) row.sizeRatio = modelBytes(report) / modelBytes(float32.report);
    }
    row.seconds = Object.values(report.seconds).reduce((a, b) => a + b, 0);
    row.nodes = Object.values(report.nodes).reduce((a, b) => a + b, 0);
    // Only tensor arguments are graph inputs; tsonnx names them in forward()'s order.
    const tensorInputs = c.inputs.slice().sort((a, b) => a.index - b.index);
    const feedNames = report.inputs.map((i) => i.name);
    if (feedNames.length !== tensorInputs.length) {
      return { ...row, ok: false, result: `the model has ${feedNames.length} inputs, the case ${tensorInputs.length}` };
    }
    const got = await runOnnx(output, feedNames, tensorInputs);
    const { ok, maxAbsDiff, problem } = compareOutputs(got, c.outputs, caseTolerance(c, fp16));
    return { ...row, ok, result: ok ? `ok (max diff ${formatNumber(maxAbsDiff)})` : `mismatch: ${problem}` };
  } catch (e) {
    return { ...row, ok: false, result: `onnxruntime: ${firstLine(e instanceof Error ? e.message : String(e))}` };
  } finally {
    for (const file of [output, `${output}.float32.onnx`]) {
      rmSync(file, { force: true });
      rmSync(`${file}.data`, { force: true });
    }
  }
}

/**
 * What a case's outputs must match within: the float16 bound with --fp16; else the case's own absolute
 * bound where it records one (a quantized model's: one step of its output), else the default.
 */
function caseTolerance(c, fp16) {
  if (fp16) return FP16_TOLERANCE;
  return c.tolerance === undefined ? DEFAULT_TOLERANCE : { absolute: c.tolerance, relative: 0 };
}

/** The written model's bytes, external data included. */
function modelBytes(report) {
  return report.write.bytes + (report.write.externalData?.bytes ?? 0);
}

function tableLine(r, fp16) {
  const cell = (text) => String(text).replaceAll('|', '\\|');
  const seconds = r.seconds === undefined ? '' : r.seconds.toFixed(2);
  const size = fp16 ? ` ${r.sizeRatio === undefined ? '' : r.sizeRatio.toFixed(3)} |` : '';
  return `| ${cell(r.model)} | ${r.mode} | ${cell(r.torch)} | ${r.opset} | ${cell(r.result)} | ${seconds} | ${r.nodes ?? ''} |${size}`;
}

function tableHeader(fp16) {
  return [
    `| model | mode | torch | opset | result | conversion s | nodes |${fp16 ? ' size vs float32 |' : ''}`,
    `|---|---|---|---|---|--:|--:|${fp16 ? '--:|' : ''}`,
  ];
}

/** A table line's cells, with `\|` inside a cell kept as part of it. */
function lineCells(line) {
  return line.slice(2, -2).split(/ (?<!\\)\| /).map((c) => c.trim());
}

const rowKey = (model, mode, torch) => `${model} ${mode} ${torch}`;
const modeOrder = (mode) => ['trace', ...MODE_SUFFIXES].indexOf(mode);

function ortVersion() {
  const pkg = join(projectRoot, 'node_modules', 'onnxruntime-node', 'package.json');
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

function docName(fp16) {
  return fp16 ? 'zoo-fp16.md' : 'zoo.md';
}

/**
 * Updates docs/zoo.md (or zoo-fp16.md): this run's rows replace the table's rows of the same model, mode and
 * PyTorch version (with --opsets, only those of the same opset); the other rows stay, so runs over a few --models
 * or opsets add to the table. The prose above the
 * summary line describes every kind of row and is kept by hand; only its first line (what last updated the
 * table, on which machine) and the summary count are rewritten. Returns the summary.
 */
function updateDoc(rows, fp16, byOpset) {
  const path = join(projectRoot, 'docs', docName(fp16));
  const existing = existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [fp16 ? '# Model zoo with --fp16' : '# Model zoo', ''];
  const summaryAt = existing.findIndex((l) => /^\*\*\d+ ok of \d+\*\*$/.test(l));
  const prose = summaryAt < 0 ? existing.filter((l) => !l.startsWith('|')) : existing.slice(0, summaryAt);
  // A case's row without an opset says it was not made; any new row of that case replaces it.
  const key = (r) => `${rowKey(r.model, r.mode, r.torch)}${byOpset && Number(r.opset) ? ` ${r.opset}` : ''}`;
  const replaced = new Set([...rows.map(key), ...rows.map((r) => rowKey(r.model, r.mode, r.torch))]);
  const kept = existing
    .filter((l) => l.startsWith('| ') && !l.startsWith('| model |'))
    .map((line) => {
      const [model, mode, torch, opset, result] = lineCells(line);
      return { line, model: model.replaceAll('\\|', '|'), mode, torch, opset: Number(opset) || 0, ok: result.startsWith('ok') };
    })
    .filter((r) => !replaced.has(key(r)));
  const all = [...kept, ...rows.map((r) => ({ ...r, opset: Number(r.opset) || 0, line: tableLine(r, fp16) }))];
  // Grouped by model and mode, so one case's results under both PyTorch versions sit together; highest opset first.
  all.sort((a, b) => a.model.localeCompare(b.model) || modeOrder(a.mode) - modeOrder(b.mode) || a.torch.localeCompare(b.torch, undefined, { numeric: true }) || b.opset - a.opset);
  const summary = `${all.filter((r) => r.ok).length} ok of ${all.length}`;
  const cpu = cpus();
  const command = `npm run zoo${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const updated =
    `Last updated by \`${command}\` on ${new Date().toISOString().slice(0, 10)}; machine: ${cpu.length} cores ` +
    `(${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
    `onnxruntime-node ${ortVersion()}.`;
  const updatedAt = prose.findIndex((l) => /^(Produced|Last updated) by /.test(l));
  if (updatedAt >= 0) prose[updatedAt] = updated;
  else prose.splice(2, 0, updated, '');
  while (prose.length && prose[prose.length - 1] === '') prose.pop();
  const doc = [...prose, '', `**${summary}**`, '', ...tableHeader(fp16), ...all.map((r) => r.line), ''];
  writeFileSync(path, doc.join('\n'));
  return summary;
}

async function main() {
  const options = parseOptions();
  ensureBuilt(log);
  const rows = [];
  for (const version of options.torch) {
    const { tag, python } = TORCH_VERSIONS[version];
    if (hasTorch(python)) {
      log(`== torch ${version}: making cases with ${python}`);
      const status = makeZooCases(python, options.models);
      if (status !== 0) log(`zoo_models.py exited with status ${status}; going on with the cases it made`);
    } else {
      log(`torch ${version}: ${python} does not import torch and torchvision; its cases were not (re)made.`);
    }
    const versionRoot = join(zooRoot, tag);
    for (const folder of selectFolders(versionRoot, options.models)) {
      const dir = join(versionRoot, folder);
      const caseRow = { ...describeFolder(folder), torch: version };
      if (!isCompleteCase(dir)) {
        const errorFile = join(dir, 'error.txt');
        const why = existsSync(errorFile) ? `not made: ${firstLine(readFileSync(errorFile, 'utf8'))}` : `no case in ${relative(projectRoot, dir)}`;
        rows.push({ ...caseRow, opset: '', ok: false, result: why });
        continue;
      }
      const c = loadCase(dir);
      for (const opset of caseOpsets(dir, options.opsets)) {
        log(`converting ${tag}/${folder} at opset ${opset}`);
        const row = await checkCase(c, opset, caseRow, options.fp16);
        log(`  ${row.result}`);
        rows.push(row);
      }
    }
  }
  for (const r of rows) process.stdout.write(`${tableLine(r, options.fp16)}\n`);
  const summary = updateDoc(rows, options.fp16, options.opsets !== undefined);
  process.stdout.write(`\n${summary} in docs/${docName(options.fp16)}\n`);
  log(`wrote docs/${docName(options.fp16)}`);
}

try {
  await main();
} catch (e) {
  log(`zoo: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
