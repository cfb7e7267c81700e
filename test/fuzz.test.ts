/**
 * A bounded fuzz run (scripts/fuzz.mjs) with a fixed seed: mutated archives and command lines through
 * the real CLI must never crash, hang, pass 1 GiB, print an unclean error, write a model onnxruntime
 * cannot load, leave files behind or touch the input. The summary is printed when a case fails; each
 * failure names its `npm run fuzz -- --seed S --case K` replay, and its input is saved under
 * /tmp/tsonnx-fuzz-repro.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { projectRoot } from './helpers/cases.js';

const SEED = 20250101;
const COUNT = 150;
const JOBS = 2;
const FAILURE_KINDS = ['crash', 'hang', 'memory', 'unclean-error', 'invalid-model', 'leftover', 'modified-input'];

interface FuzzSummary {
  cases: number;
  outcomes: Record<string, number>;
  failures: number;
  symptoms: Array<{ symptom: string; count: number; examples: Array<{ replay: string; detail: string }> }>;
}

it(`survives ${COUNT} fuzz cases (seed ${SEED})`, { timeout: 600_000 }, () => {
  const run = spawnSync(
    process.execPath,
    [join(projectRoot, 'scripts', 'fuzz.mjs'), '--count', String(COUNT), '--seed', String(SEED), '--jobs', String(JOBS), '--json'],
    { cwd: projectRoot, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  expect(run.stdout, run.stderr).not.toBe('');
  const summary = JSON.parse(run.stdout) as FuzzSummary;
  expect(summary.cases).toBe(COUNT);
  const failed = Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, summary.outcomes[kind] ?? 0]));
  // The printed summary (stderr) groups the failures by symptom with a replay command for each.
  expect(failed, run.stderr).toEqual(Object.fromEntries(FAILURE_KINDS.map((kind) => [kind, 0])));
  expect(run.status, run.stderr).toBe(0);
});
