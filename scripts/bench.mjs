#!/usr/bin/env node
/**
 * `npm run bench`: tsonnx against torch.onnx.export and against copying the file, side by side in one run,
 * on resnet50 and vgg11_bn archives traced with PyTorch 1.13 (zoo-work/torch113, made on demand by
 * scripts/zoo_models.py). Each measurement is a whole process, best of 3 runs: wall time is the fastest
 * run, peak resident memory the largest.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isCompleteCase } from './lib/cases.mjs';
import { cliPath, ensureBuilt, errorLine, hasTorch, makeZooCases, projectRoot, TORCH_VERSIONS, zooRoot } from './lib/env.mjs';

const MODELS = ['resnet50', 'vgg11_bn'];
const RUNS = 3;
const OPSET = 17; // the highest torch 1.13's exporter knows, so both tools write the same opset
const GNU_TIME = '/usr/bin/time';
const TARGET_TIME_RATIO = 0.2;
const TARGET_PEAK_MB = 600;
const TARGET_PEAK_MODEL = 'vgg11_bn';

const torch = TORCH_VERSIONS['1.13'];
const workDir = join(projectRoot, 'bench-work');
const log = (line) => process.stderr.write(`${line}\n`);
const firstLine = (text) => text.split('\n').map((l) => l.trim()).find(Boolean) ?? '';
const megabytes = (bytes) => bytes / 1e6;

// Fallback when GNU time is missing: converts in-process and reports this process's own peak RSS.
const CONVERT_WRAPPER = `
import { convert } from ${JSON.stringify(pathToFileURL(join(projectRoot, 'dist', 'index.js')).href)};
const [model, output, opset, ...inputs] = process.argv.slice(1);
try {
  await convert(model, output, { inputs, opsetVersion: Number(opset) });
} catch (e) {
  process.stderr.write(\`tsonnx: \${e.message}\\n\`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ peak_rss_kb: process.resourceUsage().maxRSS }));
`;

function hasGnuTime() {
  if (!existsSync(GNU_TIME)) return false;
  const result = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return result.status === 0 && /^\d+\s*$/.test(result.stderr);
}

/**
 * Runs a command once: { seconds, peakMB, stdout } or { error }. Wall time is measured here; peak RSS comes
 * from GNU time when present, else from peak_rss_kb in the JSON line the command prints last.
 */
function runMeasured(command, args, gnuTime) {
  const timeFile = join(workDir, 'time.txt');
  const [file, argv] = gnuTime ? [GNU_TIME, ['-f', '%M', '-o', timeFile, command, ...args]] : [command, args];
  const start = process.hrtime.bigint();
  const result = spawnSync(file, argv, { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.error) return { error: result.error.message };
  if (result.status !== 0) return { error: errorLine(result.stderr) || `exited with status ${result.status}` };
  const peakKb = gnuTime
    ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1))
    : JSON.parse(result.stdout.trim().split('\n').at(-1)).peak_rss_kb;
  return { seconds, peakMB: (peakKb * 1024) / 1e6, stdout: result.stdout };
}

/** Best of RUNS: the fastest run's time, the largest peak; the first error stops the series. */
function bestOf(run) {
  let best;
  for (let i = 0; i < RUNS; i++) {
    const m = run();
    if (m.error) return m;
    best = best ? { ...(m.seconds < best.seconds ? m : best), peakMB: Math.max(best.peakMB, m.peakMB) } : m;
  }
  return best;
}

function fastest(run) {
  let seconds = Infinity;
  for (let i = 0; i < RUNS; i++) seconds = Math.min(seconds, run());
  return seconds;
}

function timeCopies(archive) {
  const copy = join(workDir, 'copy.pt');
  const copyFile = fastest(() => {
    const start = process.hrtime.bigint();
    copyFileSync(archive, copy);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rmSync(copy);
    return seconds;
  });
  const cpProcess = fastest(() => {
    const start = process.hrtime.bigint();
    const result = spawnSync('cp', [archive, copy]);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.status !== 0) throw new Error(`cp failed: ${firstLine(String(result.stderr))}`);
    rmSync(copy);
    return seconds;
  });
  return { copyFile, cpProcess };
}

function benchTsonnx(archive, inputs, gnuTime) {
  const output = join(workDir, 'tsonnx.onnx');
  const inputArgs = inputs.flatMap((spec) => ['--input', spec]);
  const run = gnuTime
    ? () => runMeasured(process.execPath, [cliPath, archive, output, ...inputArgs, '--opset', String(OPSET)], true)
    : () => runMeasured(process.execPath, ['--input-type=module', '-e', CONVERT_WRAPPER, archive, output, String(OPSET), ...inputs], false);
  const result = bestOf(run);
  if (!result.error) result.outputBytes = statSync(output).size;
  rmSync(output, { force: true });
  rmSync(`${output}.data`, { force: true });
  return result;
}

function benchTorch(archive, inputs, gnuTime) {
  const output = join(workDir, 'torch.onnx');
  const shape = inputs[0].match(/\[([\d,]*)\]/)[1];
  const result = bestOf(() => runMeasured(torch.python, [join('scripts', 'bench_torch.py'), archive, output, shape, String(OPSET)], gnuTime));
  if (!result.error) {
    result.phases = JSON.parse(result.stdout.trim().split('\n').at(-1));
    result.outputBytes = statSync(output).size;
  }
  rmSync(output, { force: true });
  return result;
}

const fixed = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');

function printTable(rows) {
  const lines = [
    '| model | archive MB | copy s (copyFileSync / cp) | tsonnx s | tsonnx peak MB | torch.onnx.export s | torch peak MB | tsonnx/torch time | tsonnx/copy time |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const t = r.tsonnx;
    const p = r.torch;
    const tsonnxSeconds = t.error ? `failed: ${t.error.replaceAll('|', '\\|')}` : fixed(t.seconds);
    const torchSeconds = p ? (p.error ? `failed: ${p.error.replaceAll('|', '\\|')}` : fixed(p.seconds)) : 'skipped';
    lines.push(
      `| ${r.model} | ${fixed(r.archiveMB, 1)} | ${fixed(r.copies.copyFile)} / ${fixed(r.copies.cpProcess)} | ${tsonnxSeconds} | ` +
        `${fixed(t.peakMB, 0)} | ${torchSeconds} | ${fixed(p?.peakMB, 0)} | ${ratio(t.seconds, p?.seconds)} | ` +
        `${ratio(t.seconds, r.copies.cpProcess)} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

function printChecks(rows) {
  const lines = [];
  for (const r of rows) {
    const t = r.tsonnx;
    if (!t.error) {
      const valid = t.outputBytes > r.archiveBytes * 0.9;
      lines.push(`${r.model}: tsonnx wrote ${fixed(megabytes(t.outputBytes), 1)} MB for a ${fixed(r.archiveMB, 1)} MB archive: ` +
        (valid ? 'plausible (over 0.9× the archive)' : 'TOO SMALL (under 0.9× the archive): weights are missing'));
    }
    if (r.torch?.phases) {
      const ph = r.torch.phases;
      lines.push(`${r.model}: torch ${ph.torch} process: import ${fixed(ph.import_s)} s, jit.load ${fixed(ph.load_s)} s, export ${fixed(ph.export_s)} s`);
    }
  }
  lines.push('');
  lines.push(`Targets: tsonnx time ≤ ${TARGET_TIME_RATIO}× torch.onnx.export; peak memory < ${TARGET_PEAK_MB} MB on ${TARGET_PEAK_MODEL}.`);
  for (const r of rows) {
    const timeRatio = r.tsonnx.seconds / r.torch?.seconds;
    const verdict = Number.isFinite(timeRatio) ? `${fixed(timeRatio)}× — ${timeRatio <= TARGET_TIME_RATIO ? 'met' : 'NOT met'}` : 'not measured';
    lines.push(`  ${r.model}: time ratio ${verdict}`);
    if (r.model === TARGET_PEAK_MODEL) {
      const peak = r.tsonnx.peakMB;
      lines.push(`  ${r.model}: tsonnx peak ${Number.isFinite(peak) ? `${fixed(peak, 0)} MB — ${peak < TARGET_PEAK_MB ? 'met' : 'NOT met'}` : 'not measured'}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function ensureArchives(torchAvailable) {
  const missing = MODELS.filter((m) => !isCompleteCase(join(zooRoot, torch.tag, m)));
  if (missing.length === 0) return;
  if (!torchAvailable) throw new Error(`no archives for ${missing.join(', ')} in zoo-work/${torch.tag}, and ${torch.python} has no torch to make them`);
  log(`making ${missing.join(', ')} with ${torch.python}`);
  makeZooCases(torch.python, missing);
}

function main() {
  ensureBuilt(log);
  mkdirSync(workDir, { recursive: true });
  const torchAvailable = hasTorch(torch.python);
  ensureArchives(torchAvailable);
  const gnuTime = hasGnuTime();
  const cpu = cpus();
  process.stdout.write(
    `tsonnx benchmark, ${new Date().toISOString()}: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; opset ${OPSET}; best of ${RUNS}; ` +
      `peak RSS from ${gnuTime ? 'GNU time (whole process)' : 'process.resourceUsage() / getrusage in the process'}.\n` +
      `tsonnx/copy compares two whole processes (tsonnx CLI vs cp).\n` +
      (torchAvailable ? '' : `torch.onnx.export skipped: ${torch.python} does not import torch.\n`) +
      '\n',
  );
  const rows = [];
  for (const model of MODELS) {
    const dir = join(zooRoot, torch.tag, model);
    if (!isCompleteCase(dir)) {
      log(`${model}: no archive in zoo-work/${torch.tag} (see zoo_models.py's output above); skipped`);
      continue;
    }
    const archive = join(dir, 'model.pt');
    const inputs = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).args;
    const archiveBytes = statSync(archive).size;
    log(`${model}: copies`);
    const copies = timeCopies(archive);
    log(`${model}: tsonnx`);
    const tsonnx = benchTsonnx(archive, inputs, gnuTime);
    log(`${model}: torch.onnx.export`);
    const torchResult = torchAvailable ? benchTorch(archive, inputs, gnuTime) : undefined;
    rows.push({ model, archiveBytes, archiveMB: megabytes(archiveBytes), copies, tsonnx, torch: torchResult });
  }
  printTable(rows);
  printChecks(rows);
  rmSync(workDir, { recursive: true, force: true });
}

try {
  main();
} catch (e) {
  log(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
