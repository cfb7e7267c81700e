/** Shared by the zoo and bench scripts: paths, an up-to-date dist/ build, and the two PyTorch interpreters. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = join(projectRoot, 'dist', 'cli.js');

function newestSourceTime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceTime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ as `npm run build` does (tsc, then the CLI bundle) when dist/cli.js is missing or older
 * than a file in src/, so measurements use the current code. Type errors do not stop the run (tsc
 * still emits) as long as the bundle is made.
 */
export function ensureBuilt(log = (line) => process.stderr.write(`${line}\n`)) {
  const stale = !existsSync(cliPath) || statSync(cliPath).mtimeMs < newestSourceTime(join(projectRoot, 'src'));
  if (!stale) return;
  log('building dist/ (tsc -p tsconfig.json, then npm run bundle)');
  const tsc = join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: projectRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    const errors = (result.stdout + result.stderr).split('\n').filter((line) => /error TS/.test(line));
    log(`tsc reported ${errors.length} error(s)${errors.length ? `; first: ${errors[0]}` : ''}`);
  }
  const bundle = spawnSync('npm', ['run', 'bundle', '--silent'], { cwd: projectRoot, encoding: 'utf8' });
  if (bundle.status !== 0) throw new Error(`npm run bundle failed: ${errorLine(bundle.stderr)}`);
}

export const zooRoot = join(projectRoot, 'zoo-work');

/**
 * The PyTorch versions the zoo is made with: folder tag and interpreter. PY113 and PY26 override the
 * interpreters, as in scripts/make-fixtures.sh.
 */
export const TORCH_VERSIONS = {
  '1.13': { tag: 'torch113', python: process.env.PY113 ?? '/usr/bin/python3' },
  '2.6': { tag: 'torch26', python: process.env.PY26 ?? resolve(projectRoot, '..', 'shared', 'tools', 'py26') },
};

/** Whether the interpreter runs and imports torch and torchvision. */
export function hasTorch(python) {
  if (!existsSync(python)) return false;
  const result = spawnSync(python, ['-c', 'import torch, torchvision'], { cwd: projectRoot, stdio: 'ignore' });
  return result.status === 0;
}

/**
 * Runs scripts/zoo_models.py with the interpreter (in the project root: py26 needs a folder under /work),
 * its output going to our stderr. Returns its exit status; one model failing is not fatal.
 */
export function makeZooCases(python, models) {
  const args = [join('scripts', 'zoo_models.py'), ...(models ? ['--models', models.join(',')] : [])];
  const result = spawnSync(python, args, { cwd: projectRoot, stdio: ['ignore', 2, 2] });
  if (result.error) throw result.error;
  return result.status;
}

/** The line that says what went wrong: tsonnx's own message, else an uncaught error's (Node prints its location first). */
export function errorLine(stderr) {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith('tsonnx')) ?? lines.find((l) => /^[A-Z]\w*(Error|Exception)\b/.test(l)) ?? lines[0] ?? '';
}
