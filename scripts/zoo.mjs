#!/usr/bin/env node
/**
 * `npm run zoo`: converts the zoo's models (torchvision and torchaudio models, torchaudio transforms and
 * sequence/attention modules, traced or scripted with PyTorch 1.13 and 2.6) at each opset, runs them in
 * onnxruntime, compares with PyTorch's outputs, and prints a markdown table (also written to docs/zoo.md).
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
  const args = [cliPath, join(c.dir, 'model.pt'), output, ...c.args.flatMap((a) => ['--input', a]), ...method, '--opset', String(opset), '--json', ...extraArgs];
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

function markdownTable(rows, fp16) {
  const cell = (text) => String(text).replaceAll('|', '\\|');
  const lines = [
    `| model | mode | torch | opset | result | conversion s | nodes |${fp16 ? ' size vs float32 |' : ''}`,
    `|---|---|---|---|---|--:|--:|${fp16 ? '--:|' : ''}`,
  ];
  for (const r of rows) {
    const seconds = r.seconds === undefined ? '' : r.seconds.toFixed(2);
    const size = fp16 ? ` ${r.sizeRatio === undefined ? '' : r.sizeRatio.toFixed(3)} |` : '';
    lines.push(`| ${cell(r.model)} | ${r.mode} | ${cell(r.torch)} | ${r.opset} | ${cell(r.result)} | ${seconds} | ${r.nodes ?? ''} |${size}`);
  }
  return lines.join('\n');
}

function ortVersion() {
  const pkg = join(projectRoot, 'node_modules', 'onnxruntime-node', 'package.json');
  return JSON.parse(readFileSync(pkg, 'utf8')).version;
}

function docName(fp16) {
  return fp16 ? 'zoo-fp16.md' : 'zoo.md';
}

function writeDoc(table, summary, notes, fp16) {
  const cpu = cpus();
  const command = `npm run zoo${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const doc = [
    fp16 ? '# Model zoo with --fp16' : '# Model zoo',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)}; machine: ${cpu.length} cores ` +
      `(${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
      `onnxruntime-node ${ortVersion()}.`,
    '',
    'Each model (untrained: weights drawn after `torch.manual_seed(0)`, random norm affine weights, ' +
      'BatchNorm statistics calibrated on a random batch so outputs stay near unit scale, all-zero weight tensors ' +
      'such as ViT\'s head redrawn) is traced or scripted (`mode`) and saved by `scripts/zoo_models.py`, converted by ' +
      '`dist/cli.js` at each opset with one `--input` per forward() argument, run in onnxruntime ' +
      'on seeded random inputs and compared with the outputs of the reloaded archive in PyTorch: ok when ' +
      '|got − want| ≤ 1e-4 + 1e-3·max|want| everywhere. Conversion seconds are the sum of tsonnx\'s stage times ' +
      '(its `--json` report), without Node\'s start-up; nodes count the ONNX graph\'s nodes.',
    '',
    'Besides torchvision (classifiers traced; resnet18, mobilenet_v3_small, efficientnet_b0, vit_b_16 and ' +
      'lraspp_mobilenet_v3_large, whose output is the dict `{\'out\': ...}`, on 1x3x128x128, scripted), the zoo has ' +
      'small sequence and attention modules, each traced and scripted: `lstm` (nn.LSTM, 2 layers, called with ' +
      'its initial state: inputs x, h0, c0; outputs y, h, c), `gru` (nn.GRU, bidirectional, batch_first, no ' +
      'initial state), `transformer_encoder` (nn.TransformerEncoder, 2 layers, batch_first, eval mode; its traces ' +
      'record PyTorch\'s fused `aten::_transformer_encoder_layer_fwd`) and `decoder_transformer` (a decoder-only ' +
      'language model: token embedding, learned positions, causal mask, 2 pre-norm nn.TransformerEncoderLayer ' +
      'layers; int64 tokens in, logits out; its 2.6 trace records the fused op with the mask, 1.13 falls back to ' +
      'the unfused path). The `quantized_*` rows are torchvision\'s quantizable models statically quantized with ' +
      'the qnnpack engine (fused, calibrated on seeded random batches, converted) by `scripts/zoo_models.py`; they ' +
      'pass when within one quantization step of the output (the case\'s `tolerance`) everywhere; the `quantized_x86_*` ' +
      'rows are the same models quantized with the x86 engine the PyTorch build offers (x86, fbgemm or onednn) and its ' +
      'default qconfig, whose references hold for CPUs with VNNI (without it onednn adds pairs of uint8 x int8 products ' +
      'in int16 with saturation). The `audio_*` rows are torchaudio\'s transforms on one second of 16 kHz noise, traced and ' +
      'scripted; the torchaudio model rows (wav2vec2_base, hubert_base, wavlm_base, conformer, emformer, emformer_rnnt, ' +
      'conv_tasnet, wavernn, tacotron2, tacotron2_infer with `--method infer`, deepspeech, wav2letter, hdemucs) are untrained ' +
      'small configs, scripted and traced where PyTorch can, with references computed with oneDNN off (PyTorch 2.6\'s oneDNN ' +
      'conv1d is wrong on AVX-512 CPUs for some channel counts) and Tacotron2\'s always-on prenet dropout removed.',
    ...(fp16
      ? [
          '',
          'This run converts with `--fp16` (weights and compute in float16, inputs and outputs float32) and compares ' +
            'with the float32 outputs of PyTorch within a float16 tolerance: ok when |got − want| ≤ ' +
            `${FP16_TOLERANCE.absolute} + ${FP16_TOLERANCE.relative}·max|want| everywhere. \`size vs float32\` is the ` +
            'written model\'s size (external data included) over the size of the same conversion without `--fp16`.',
        ]
      : []),
    ...notes.map((n) => `\n${n}`),
    '',
    `**${summary}**`,
    '',
    table,
    '',
  ].join('\n');
  writeFileSync(join(projectRoot, 'docs', docName(fp16)), doc);
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
  // Grouped by model and mode, so one case's results under both PyTorch versions sit together.
  const modeOrder = (r) => ['trace', ...MODE_SUFFIXES].indexOf(r.mode);
  rows.sort((a, b) => a.model.localeCompare(b.model) || modeOrder(a) - modeOrder(b));
  const table = markdownTable(rows, options.fp16);
  const summary = `${rows.filter((r) => r.ok).length} ok of ${rows.length}`;
  process.stdout.write(`${table}\n\n${summary}\n`);
  writeDoc(table, summary, notes, options.fp16);
  log(`wrote docs/${docName(options.fp16)}`);
}

try {
  await main();
} catch (e) {
  log(`zoo: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
