#!/usr/bin/env node
/**
 * `npm run bench`: tsonnx against `cp` of the archive and against torch.onnx.export (PyTorch 1.13, when
 * it imports), side by side in one run, on
 *   - resnet50 and vgg11_bn, traced (zoo-work/torch113, made on demand by scripts/zoo_models.py);
 *   - mlp_2g, a 2.15 GB traced MLP whose model needs external data, and deep_mlp_10k/deep_mlp_100k,
 *     scripted MLPs of 10,000 and 100,000 ONNX nodes (made on demand by scripts/bench_models.py);
 * and tsonnx's start-up (`--version`, `--help`) against `node -e 0`.
 *
 * Every measurement is a whole process under GNU time (wall time measured here; user+system CPU and
 * peak RSS from GNU time). The tools take turns within each round, so a change in the machine's load
 * falls on all of them; a table cell is the fastest round's wall and CPU time and the largest peak RSS.
 * Outputs are removed before each run, outside the timing, so no run pays for unlinking the last one's.
 * For the node-count models tsonnx runs with --json, whose stage times give trace+passes+lower.
 *
 *   npm run bench [-- --models resnet50,deep_mlp_10k] [--runs 3] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isCompleteCase } from './lib/cases.mjs';
import { cliPath, ensureBuilt, errorLine, hasTorch, makeZooCases, projectRoot, TORCH_VERSIONS, zooRoot } from './lib/env.mjs';

/**
 * Where each archive comes from, and the rounds torch.onnx.export gets: its export of the scripted deep
 * MLPs grows faster than their size (deep_mlp_10k: 501 s on this project's 2-core machine), so the
 * 100,000-node one is not attempted.
 */
const MODELS = [
  { name: 'resnet50', maker: 'zoo', torchRuns: Infinity },
  { name: 'vgg11_bn', maker: 'zoo', torchRuns: Infinity },
  { name: 'mlp_2g', maker: 'bench', torchRuns: 1 },
  { name: 'deep_mlp_10k', maker: 'bench', torchRuns: 1, stages: true },
  { name: 'deep_mlp_100k', maker: 'bench', torchRuns: 0, torchSkipped: 'not attempted (the 10k export takes minutes)', stages: true },
];
/** A torch.onnx.export run longer than this is stopped and shown as such. */
const TORCH_LIMIT_SECONDS = 900;
const OPSET = 17; // the highest torch 1.13's exporter knows, so both tools write the same opset
const GNU_TIME = '/usr/bin/time';
const STARTUP_RUNS = 10;

const TARGETS = {
  versionSeconds: 0.12,
  torchRatio: { model: 'resnet50', at_most: 0.1 },
  copyRatio: { models: ['vgg11_bn', 'mlp_2g'], at_most: 1.5 },
  peakMB: { models: ['vgg11_bn', 'mlp_2g'], at_most: 150 },
  scaling: { small: 'deep_mlp_10k', large: 'deep_mlp_100k', at_most: 10 },
};

const torch = TORCH_VERSIONS['1.13'];
const workDir = join(projectRoot, 'bench-work');
const log = (line) => process.stderr.write(`${line}\n`);
const megabytes = (bytes) => bytes / 1e6;

function requireGnuTime() {
  const result = existsSync(GNU_TIME) ? spawnSync(GNU_TIME, ['-f', '%M %U %S', 'true'], { encoding: 'utf8' }) : undefined;
  if (result?.status !== 0 || !/^\d+ [\d.]+ [\d.]+\s*$/.test(result.stderr)) {
    throw new Error(`${GNU_TIME} (GNU time) is needed to measure each process's CPU time and peak memory`);
  }
}

/** One process: { seconds, cpu, peakMB, stdout } or { error }. */
function runMeasured(command, args) {
  const timeFile = join(workDir, 'time.txt');
  const start = process.hrtime.bigint();
  const result = spawnSync(GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args], { cwd: projectRoot, encoding: 'utf8', maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.error) return { error: result.error.message };
  if (result.status !== 0) return { error: errorLine(result.stderr) || `exited with status ${result.status}` };
  const [peakKb, user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { seconds, cpu: user + system, peakMB: (peakKb * 1024) / 1e6, stdout: result.stdout };
}

/** Folds one round into the best so far: fastest wall and CPU, largest peak; an error sticks. */
function keepBest(best, m) {
  if (best?.error || m.error) return best?.error ? best : m;
  if (!best) return m;
  return { ...(m.seconds < best.seconds ? m : best), cpu: Math.min(best.cpu, m.cpu), peakMB: Math.max(best.peakMB, m.peakMB) };
}

function removeOutputs(file) {
  rmSync(file, { force: true });
  rmSync(`${file}.data`, { force: true });
}

const TOOLS = {
  cp(archive) {
    const copy = join(workDir, 'copy.pt');
    removeOutputs(copy);
    return { run: () => runMeasured('cp', [archive, copy]), output: copy };
  },
  tsonnx(archive, inputs, model) {
    const output = join(workDir, 'tsonnx.onnx');
    removeOutputs(output);
    const args = [cliPath, archive, output, ...inputs.flatMap((spec) => ['--input', spec]), '--opset', String(OPSET), model.stages ? '--json' : '-q'];
    return { run: () => runMeasured(process.execPath, args), output };
  },
  torch(archive, inputs) {
    const output = join(workDir, 'torch.onnx');
    removeOutputs(output);
    const shape = inputs[0].match(/\[([\d,]*)\]/)[1];
    const run = () => {
      const m = runMeasured('timeout', [String(TORCH_LIMIT_SECONDS), torch.python, join('scripts', 'bench_torch.py'), archive, output, shape, String(OPSET)]);
      return m.error && /status 124$/.test(m.error) ? { error: `stopped after ${TORCH_LIMIT_SECONDS} s` } : m;
    };
    return { run, output };
  },
};

function outputBytes(file) {
  return (existsSync(file) ? statSync(file).size : 0) + (existsSync(`${file}.data`) ? statSync(`${file}.data`).size : 0);
}

function benchModel(model, archive, inputs, runs, withTorch) {
  const results = {};
  const tools = ['cp', 'tsonnx', ...(withTorch ? ['torch'] : [])];
  for (let round = 0; round < runs; round++) {
    for (const tool of tools) {
      if (tool === 'torch' && round >= model.torchRuns) continue;
      if (results[tool]?.error) continue;
      log(`${model.name}: ${tool} (round ${round + 1} of ${runs})`);
      const { run, output } = TOOLS[tool](archive, inputs, model);
      const m = run();
      if (!m.error) {
        m.outputBytes = outputBytes(output);
        if (tool === 'tsonnx' && model.stages) {
          const report = JSON.parse(m.stdout);
          m.graphSeconds = report.seconds.trace + report.seconds.passes + report.seconds.lower;
          m.nodes = Object.values(report.nodes).reduce((a, b) => a + b, 0);
        }
        if (tool === 'torch') m.phases = JSON.parse(m.stdout.trim().split('\n').at(-1));
      }
      removeOutputs(output);
      const best = keepBest(results[tool], m);
      if (!best.error && m.graphSeconds !== undefined) {
        best.graphSeconds = Math.min(results[tool]?.graphSeconds ?? Infinity, m.graphSeconds);
        best.nodes = m.nodes;
      }
      results[tool] = best;
    }
  }
  return results;
}

function benchStartup(runs) {
  const rows = [
    ['node -e 0', process.execPath, ['-e', '0']],
    ['tsonnx --version', process.execPath, [cliPath, '--version']],
    ['tsonnx --help', process.execPath, [cliPath, '--help']],
  ];
  const best = new Map();
  for (let round = 0; round < runs; round++) {
    for (const [name, command, args] of rows) best.set(name, keepBest(best.get(name), runMeasured(command, args)));
  }
  return best;
}

const fixed = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');
const cell = (m, skipped = 'skipped') => (!m ? [skipped, '', ''] : m.error ? [`failed: ${m.error.replaceAll('|', '\\|')}`, '', ''] : [fixed(m.seconds), fixed(m.cpu), fixed(m.peakMB, 0)]);

function modelTable(rows) {
  const lines = [
    '| model | archive MB | tsonnx s | CPU s | peak MB | cp s | CPU s | peak MB | torch.onnx.export s | CPU s | peak MB | tsonnx/cp | tsonnx/torch |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const { tsonnx, cp, torch: p } = r.results;
    lines.push(`| ${r.name} | ${fixed(r.archiveMB, 1)} | ${[...cell(tsonnx), ...cell(cp), ...cell(p, r.torchSkipped)].join(' | ')} | ${ratio(tsonnx.seconds, cp?.seconds)} | ${ratio(tsonnx.seconds, p?.seconds)} |`);
  }
  return lines.join('\n');
}

function startupTable(startup) {
  const lines = ['| command | wall s | CPU s | peak MB |', '|---|--:|--:|--:|'];
  for (const [name, m] of startup) lines.push(`| ${name} | ${cell(m).join(' | ')} |`);
  return lines.join('\n');
}

function notes(rows) {
  const lines = [];
  for (const r of rows) {
    const t = r.results.tsonnx;
    if (!t.error) {
      const plausible = t.outputBytes > r.archiveBytes * 0.9 || r.name.startsWith('deep_mlp');
      lines.push(`${r.name}: tsonnx wrote ${fixed(megabytes(t.outputBytes), 1)} MB (model and external data) for a ${fixed(r.archiveMB, 1)} MB archive` +
        (plausible ? '' : ': TOO SMALL, weights are missing'));
    }
    if (t.graphSeconds !== undefined) lines.push(`${r.name}: ${t.nodes} ONNX nodes; trace+passes+lower ${fixed(t.graphSeconds)} s (best round, from --json)`);
    const ph = r.results.torch?.phases;
    if (ph) lines.push(`${r.name}: torch ${ph.torch} process: import ${fixed(ph.import_s)} s, jit.load ${fixed(ph.load_s)} s, export ${fixed(ph.export_s)} s`);
  }
  return lines.join('\n');
}

function verdicts(rows, startup) {
  const byName = new Map(rows.map((r) => [r.name, r.results]));
  const verdict = (value, limit, unit = '') => (Number.isFinite(value) ? `${fixed(value)}${unit} (target ≤ ${limit}${unit}): ${value <= limit ? 'met' : 'NOT met'}` : 'not measured');
  const lines = ['Acceptance targets:'];
  lines.push(`  tsonnx --version: ${verdict(startup.get('tsonnx --version')?.seconds, TARGETS.versionSeconds, ' s')}`);
  const { model, at_most } = TARGETS.torchRatio;
  lines.push(`  ${model} tsonnx/torch.onnx.export: ${verdict(byName.get(model)?.tsonnx.seconds / byName.get(model)?.torch?.seconds, at_most, '×')}`);
  for (const name of TARGETS.copyRatio.models) {
    lines.push(`  ${name} tsonnx/cp: ${verdict(byName.get(name)?.tsonnx.seconds / byName.get(name)?.cp?.seconds, TARGETS.copyRatio.at_most, '×')}`);
  }
  for (const name of TARGETS.peakMB.models) lines.push(`  ${name} tsonnx peak RSS: ${verdict(byName.get(name)?.tsonnx.peakMB, TARGETS.peakMB.at_most, ' MB')}`);
  const { small, large } = TARGETS.scaling;
  const scale = byName.get(large)?.tsonnx.graphSeconds / byName.get(small)?.tsonnx.graphSeconds;
  lines.push(`  ${large}/${small} trace+passes+lower: ${verdict(scale, TARGETS.scaling.at_most, '×')}`);
  return lines.join('\n');
}

function ensureArchives(models, torchAvailable) {
  for (const maker of ['zoo', 'bench']) {
    const missing = models.filter((m) => m.maker === maker && !isCompleteCase(join(zooRoot, torch.tag, m.name))).map((m) => m.name);
    if (missing.length === 0) continue;
    if (!torchAvailable) throw new Error(`no archives for ${missing.join(', ')} in zoo-work/${torch.tag}, and ${torch.python} has no torch to make them`);
    log(`making ${missing.join(', ')} with ${torch.python}`);
    if (maker === 'zoo') {
      makeZooCases(torch.python, missing);
    } else {
      const result = spawnSync(torch.python, [join('scripts', 'bench_models.py'), '--models', missing.join(',')], { cwd: projectRoot, stdio: ['ignore', 2, 2] });
      if (result.status !== 0) throw new Error(`scripts/bench_models.py failed (status ${result.status})`);
    }
  }
}

function main() {
  const { values } = parseArgs({ options: { models: { type: 'string' }, runs: { type: 'string', default: '3' }, 'no-torch': { type: 'boolean' } } });
  const names = values.models?.split(',');
  const models = MODELS.filter((m) => !names || names.includes(m.name));
  const runs = Number(values.runs);
  requireGnuTime();
  ensureBuilt(log);
  mkdirSync(workDir, { recursive: true });
  const torchAvailable = !values['no-torch'] && hasTorch(torch.python);
  ensureArchives(models, hasTorch(torch.python));
  const cpu = cpus();
  process.stdout.write(
    `tsonnx benchmark, ${new Date().toISOString()}: ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load average at the start ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ` +
      `opset ${OPSET}; best of ${runs} rounds (torch.onnx.export: one round for the bench_models.py models, at most ${TORCH_LIMIT_SECONDS} s); whole processes under GNU time.\n` +
      (torchAvailable ? '' : `torch.onnx.export skipped${values['no-torch'] ? ' (--no-torch)' : `: ${torch.python} does not import torch`}.\n`) +
      '\n',
  );
  log('start-up');
  const startup = benchStartup(STARTUP_RUNS);
  const rows = [];
  for (const model of models) {
    const dir = join(zooRoot, torch.tag, model.name);
    const archive = join(dir, 'model.pt');
    const inputs = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')).args;
    const archiveBytes = statSync(archive).size;
    rows.push({ name: model.name, archiveBytes, archiveMB: megabytes(archiveBytes), torchSkipped: model.torchSkipped, results: benchModel(model, archive, inputs, runs, torchAvailable) });
  }
  process.stdout.write(`${startupTable(startup)}\n\n${modelTable(rows)}\n\n${notes(rows)}\n\n${verdicts(rows, startup)}\n`);
  rmSync(workDir, { recursive: true, force: true });
}

try {
  main();
} catch (e) {
  log(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
