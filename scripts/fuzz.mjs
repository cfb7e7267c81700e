#!/usr/bin/env node
/**
 * `npm run fuzz -- --count N [--seed S] [--jobs J] [--keep DIR] [--case K] [--json]`: structure-aware
 * mutations of the sample and fixture archives (zip records, pickles, tensor rebuild calls, code text,
 * command-line arguments), each run through the real CLI and judged: exit 0, 1 or 2; a model that loads
 * in onnxruntime on 0; a one-line `CODE: message` error on 1/2; no stack trace; at most 20 s and 1 GiB;
 * nothing left in the output folder; the input unchanged. Case K of seed S is the same case on every
 * run, so `--seed S --case K` replays it. Failing cases are saved under --keep (default
 * /tmp/tsonnx-fuzz-repro) with a command.sh; the run exits 1 when any case failed.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { cliPath, ensureBuilt, projectRoot } from './lib/env.mjs';
import { FAMILIES } from './fuzz/mutations.mjs';
import { Random, caseSeed } from './fuzz/random.mjs';
import { ModelChecker, RSS_LIMIT_BYTES, TIME_LIMIT_MS, canFakeDev, errorCodes, runCase } from './fuzz/runner.mjs';
import { readZip } from './fuzz/zip.mjs';

const FAILURE_KINDS = ['crash', 'hang', 'memory', 'unclean-error', 'invalid-model', 'leftover', 'modified-input'];
const EXAMPLES_PER_KIND = 3;
const MAX_PICKS = 20;

const log = (line) => process.stderr.write(`${line}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100' },
      seed: { type: 'string' },
      jobs: { type: 'string', default: '2' },
      keep: { type: 'string', default: '/tmp/tsonnx-fuzz-repro' },
      case: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const whole = (name, value) => {
    if (!/^\d+$/.test(value)) throw new Error(`--${name} takes a whole number, not ${JSON.stringify(value)}`);
    return Number(value);
  };
  return {
    count: whole('count', values.count),
    seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : whole('seed', values.seed),
    jobs: Math.max(1, whole('jobs', values.jobs)),
    keep: values.keep,
    only: values.case === undefined ? undefined : whole('case', values.case),
    json: values.json,
  };
}

/** `--input` arguments from case.json next to the archive (its `args`), or `<name>.json` beside it. */
function baseArgs(file) {
  for (const meta of [join(dirname(file), 'case.json'), file.replace(/\.pth?$/, '.json')]) {
    if (!existsSync(meta)) continue;
    const args = JSON.parse(readFileSync(meta, 'utf8')).args;
    if (Array.isArray(args)) return args.flatMap((spec) => ['--input', typeof spec === 'string' ? spec : JSON.stringify(spec)]);
  }
  return [];
}

/** The samples (inputs from the table in samples/README.md) and every fixture archive that is a readable zip. */
function loadCorpus() {
  const readme = readFileSync(join(projectRoot, 'samples', 'README.md'), 'utf8');
  const sampleSpecs = Object.fromEntries([...readme.matchAll(/^\| `([\w.]+\.pt)` \|.*\| `([^`]+)` \|$/gm)].map((m) => [m[1], m[2]]));
  const files = [
    ...Object.keys(sampleSpecs).map((name) => ({ file: join(projectRoot, 'samples', name), args: ['--input', sampleSpecs[name]] })),
    ...walk(join(projectRoot, 'test', 'fixtures')).filter((f) => /\.pth?$/.test(f)).map((file) => ({ file, args: baseArgs(file) })),
  ];
  return files.flatMap(({ file, args }) => {
    try {
      const entries = readZip(readFileSync(file));
      return [{ file, args, entries, root: entries[0].name.split('/')[0] + '/' }];
    } catch {
      return []; // legacy (non-zip) checkpoints: the zip mutations need a zip to start from
    }
  });
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Case `index` of the run: a base archive, a family, a mutation, and what it made. Pure in (seed, index). */
async function makeCase(corpus, seed, index, devAvailable) {
  const rng = new Random(caseSeed(seed, index));
  for (let pick = 0; pick < MAX_PICKS; pick++) {
    const base = rng.pick(corpus);
    const mutation = rng.pick(rng.weighted(FAMILIES));
    const made = await mutation.apply(base, rng);
    if (!made || (made.output === 'devnull' && !devAvailable)) continue;
    return { index, seed, base: relative(projectRoot, base.file), mutation: mutation.name, output: 'file', args: base.args, ...made };
  }
  throw new Error(`case ${index}: no mutation applied after ${MAX_PICKS} picks`);
}

const replayCommand = (seed, index) => `npm run fuzz -- --seed ${seed} --case ${index}`;

const shellQuote = (arg) => (/^[\w./=,:@+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);

/** Saves a failing case's input folder with a command.sh that reruns the CLI on it, and the verdict. */
function saveReproducer(keep, caseDir, made, verdict) {
  const target = join(keep, `seed${made.seed}-case${made.index}`);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(join(target, 'out'), { recursive: true });
  cpSync(join(caseDir, 'in'), join(target, 'in'), { recursive: true });
  const argv = verdict.argv.map((a) => a.replaceAll(caseDir, target));
  const command = made.output === 'file'
    ? `node ${shellQuote(cliPath)} ${argv.map(shellQuote).join(' ')}`
    : `# output mode ${made.output}: replay with the fuzzer for the same setup\n(cd ${shellQuote(projectRoot)} && ${replayCommand(made.seed, made.index)})`;
  writeFileSync(join(target, 'command.sh'), `#!/bin/sh\n# ${made.mutation}: ${made.detail}\n${command}\n`, { mode: 0o755 });
  writeFileSync(join(target, 'verdict.json'), `${JSON.stringify({ ...describe(made), ...verdict }, null, 2)}\n`);
  return target;
}

const describe = (made) => ({ case: made.index, seed: made.seed, base: made.base, mutation: made.mutation, detail: made.detail, output: made.output });

async function runOne(made, context) {
  const caseDir = mkdtempSync(join(tmpdir(), 'tsonnx-fuzz-'));
  try {
    mkdirSync(join(caseDir, 'in'));
    writeFileSync(join(caseDir, 'in', 'model.pt'), made.archive);
    for (const [name, content] of Object.entries(made.files ?? {})) writeFileSync(join(caseDir, 'in', name), content);
    const verdict = await runCase({ dir: caseDir, cliPath, args: made.args, output: made.output, checker: context.checker, codes: context.codes });
    const failed = FAILURE_KINDS.includes(verdict.outcome);
    const repro = failed ? saveReproducer(context.keep, caseDir, made, verdict) : undefined;
    return { ...describe(made), ...verdict, repro, replay: replayCommand(made.seed, made.index) };
  } finally {
    rmSync(caseDir, { recursive: true, force: true });
  }
}

/** A failure's symptom for grouping: its kind and the start of its first problem, with quoted text, paths and numbers blurred. */
const symptom = (result) =>
  `${result.outcome}: ${result.problems[0][1].replace(/'[^']*'|"[^"]*"/g, '<q>').replace(/\/[\w./-]+/g, '<path>').replace(/\d+/g, 'N').slice(0, 80)}`;

function summarise(results, seed) {
  const outcomes = {};
  const codes = {};
  for (const r of results) {
    outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    if (r.code) codes[r.code] = (codes[r.code] ?? 0) + 1;
  }
  const rss = results.map((r) => r.peakRss).sort((a, b) => a - b);
  const failures = results.filter((r) => FAILURE_KINDS.includes(r.outcome));
  const symptoms = {};
  for (const f of failures) (symptoms[symptom(f)] ??= []).push(f);
  return {
    seed,
    cases: results.length,
    outcomes,
    errorCodes: codes,
    peakRssMiB: { max: Math.round((rss.at(-1) ?? 0) / 2 ** 20), median: Math.round((rss[Math.floor(rss.length / 2)] ?? 0) / 2 ** 20) },
    failures: failures.length,
    symptoms: Object.entries(symptoms).map(([text, cases]) => ({
      symptom: text,
      count: cases.length,
      examples: cases.slice(0, EXAMPLES_PER_KIND).map((c) => ({ case: c.case, base: c.base, mutation: c.mutation, detail: c.detail, output: c.output, problems: c.problems, stderr: c.stderr.split('\n')[0].slice(0, 300), replay: c.replay, repro: c.repro })),
    })),
  };
}

function printSummary(summary) {
  const counts = (object) => Object.entries(object).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  log(`\n${summary.cases} cases, seed ${summary.seed}`);
  log(`outcomes: ${counts(summary.outcomes)}`);
  log(`error codes: ${counts(summary.errorCodes)}`);
  log(`peak RSS: max ${summary.peakRssMiB.max} MiB, median ${summary.peakRssMiB.median} MiB (limit ${RSS_LIMIT_BYTES / 2 ** 20} MiB; time limit ${TIME_LIMIT_MS / 1000} s)`);
  if (!summary.failures) return log('no failures');
  log(`${summary.failures} failures in ${summary.symptoms.length} symptoms:`);
  for (const kind of FAILURE_KINDS) {
    const groups = summary.symptoms.filter((s) => s.symptom.startsWith(`${kind}:`));
    for (const group of groups) {
      log(`\n  [${group.count}] ${group.symptom}`);
      for (const e of group.examples) log(`    case ${e.case} ${e.mutation} on ${e.base}: ${e.detail.slice(0, 160)}\n      ${e.replay}   (saved: ${e.repro})`);
    }
  }
}

async function main() {
  const opts = options();
  ensureBuilt(log);
  const corpus = loadCorpus();
  const context = { checker: new ModelChecker(join(projectRoot, 'scripts', 'fuzz', 'check-model.mjs')), codes: errorCodes(projectRoot), keep: opts.keep };
  const devAvailable = canFakeDev();
  const indices = opts.only === undefined ? Array.from({ length: opts.count }, (_, i) => i) : [opts.only];
  log(`fuzzing ${indices.length} case(s) from ${corpus.length} archives, seed ${opts.seed}, ${opts.jobs} job(s)${devAvailable ? '' : ' (no private /dev: the /dev/null output case is skipped)'}`);

  const results = [];
  let next = 0;
  const progress = () => {
    const failed = results.filter((r) => FAILURE_KINDS.includes(r.outcome)).length;
    const line = `[${results.length}/${indices.length}] ok ${results.filter((r) => r.outcome === 'ok').length}, clean errors ${results.filter((r) => r.outcome === 'error').length}, failures ${failed}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else if (results.length % 25 === 0 || results.length === indices.length) log(line);
  };
  async function worker() {
    while (next < indices.length) {
      const index = indices[next++];
      const made = await makeCase(corpus, opts.seed, index, devAvailable);
      const result = await runOne(made, context);
      results.push(result);
      if (opts.only !== undefined) log(JSON.stringify(result, null, 2));
      progress();
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(opts.jobs, indices.length) }, worker));
  } finally {
    context.checker.stop();
  }
  results.sort((a, b) => a.case - b.case);
  const summary = summarise(results, opts.seed);
  printSummary(summary);
  if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  return summary.failures ? 1 : 0;
}

process.exitCode = await main();
