/**
 * Runs one fuzz case through the real CLI and judges it. The child's peak memory is the VmHWM high-water
 * mark in /proc/<pid>/status, polled every 50 ms (the last read is close to the peak); the child is killed
 * only to protect the machine (RSS past KILL_RSS_BYTES) or as a hang (TIME_LIMIT_MS).
 */
import { spawn, fork, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TIME_LIMIT_MS = 20_000;
export const RSS_LIMIT_BYTES = 1024 ** 3;
const KILL_RSS_BYTES = 1.5 * 1024 ** 3;
const POLL_MS = 50;
const OUTPUT_CAPTURE_BYTES = 64 * 2 ** 20;
const CHECK_TIMEOUT_MS = 30_000;
const DEVICES = { null: [1, 3], zero: [1, 5], random: [1, 8], urandom: [1, 9] };

/** Whether this machine can give a child a private /dev (root, unshare and mknod), for the /dev/null output case. */
export function canFakeDev() {
  return spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;
}

/** The ErrorCode names in src/errors.ts, so a clean error can be told from any word in capitals. */
export function errorCodes(projectRoot) {
  const source = readFileSync(join(projectRoot, 'src', 'errors.ts'), 'utf8');
  const union = /export type ErrorCode =([^;]*);/.exec(source)[1];
  return new Set([...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]));
}

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

function readKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Runs the command; resolves to { status, signal, stdout, stderr, seconds, peakRss, killed }. */
function runMeasured(command, args, cwd) {
  return new Promise((resolve) => {
    const started = performance.now();
    let child;
    try {
      child = spawn(command, args, { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      // The OS refuses the command line itself (E2BIG: an argument past 128 KiB): no CLI can be given it.
      resolve({ notRun: `${error.code}: ${error.message}`, seconds: 0, peakRss: 0, stdout: Buffer.alloc(0), stderr: '' });
      return;
    }
    const captured = { stdout: [], stderr: [] };
    for (const stream of ['stdout', 'stderr']) {
      let kept = 0;
      child[stream].on('data', (chunk) => {
        if (kept < OUTPUT_CAPTURE_BYTES) captured[stream].push(chunk);
        kept += chunk.length;
      });
    }
    let peakRss = 0;
    let killed;
    const poll = setInterval(() => {
      peakRss = Math.max(peakRss, readKb(child.pid, 'VmHWM') ?? 0);
      if ((readKb(child.pid, 'VmRSS') ?? 0) > KILL_RSS_BYTES) kill('memory');
    }, POLL_MS);
    const timer = setTimeout(() => kill('hang'), TIME_LIMIT_MS);
    function kill(reason) {
      killed ??= reason;
      child.kill('SIGKILL');
    }
    child.on('close', (status, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        status, signal, killed, peakRss,
        seconds: (performance.now() - started) / 1000,
        stdout: Buffer.concat(captured.stdout),
        stderr: Buffer.concat(captured.stderr).toString('utf8'),
      });
    });
  });
}

/**
 * One onnxruntime child for the whole run, restarted when it dies. Loads from several cases queue in
 * it, so when it dies (or is killed for a load that hangs) the other loads it held are sent once more
 * to a fresh child: only a model that fails twice is reported, not its neighbours in the queue.
 */
export class ModelChecker {
  constructor(script) {
    this.script = script;
    this.pending = new Map();
    this.nextId = 0;
  }

  start() {
    const child = fork(this.script, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child = child;
    child.on('message', ({ id, error }) => this.settle(id, error === undefined ? undefined : error));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      for (const [id, pending] of [...this.pending]) {
        if (pending.child !== child) continue;
        if (pending.retried) this.settle(id, `onnxruntime child died (${signal ?? code}) loading the model`);
        else this.send(id, { ...pending, retried: true });
      }
    });
  }

  settle(id, error) {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(error);
  }

  send(id, pending) {
    if (!this.child) this.start();
    clearTimeout(pending.timer);
    const child = this.child;
    const timer = setTimeout(() => {
      this.settle(id, 'onnxruntime took more than 30 s to load the model');
      child.kill('SIGKILL');
    }, CHECK_TIMEOUT_MS);
    this.pending.set(id, { ...pending, child, timer });
    child.send({ id, path: pending.path });
  }

  /** Resolves to undefined when the model loads, else the error text. */
  load(path) {
    const id = this.nextId++;
    return new Promise((resolve) => this.send(id, { path, resolve, retried: false }));
  }

  stop() {
    this.child?.kill();
  }
}

/**
 * Where the output goes for each output mode, relative to the case folder, and which names the output
 * folder may hold afterwards (on success / on failure) besides the model's own files.
 */
function outputPlan(mode, dir) {
  const out = join(dir, 'out');
  const input = join(dir, 'in', 'model.pt');
  switch (mode) {
    case 'dash': return { path: '-', model: join(out, '-') };
    case 'devnull': return { path: '/dev/null' };
    case 'directory': mkdirSync(join(out, 'existing')); return { path: join(out, 'existing'), allowed: ['existing'] };
    case 'input': return { path: input };
    case 'input-link': symlinkSync(input, join(out, 'link.onnx')); return { path: join(out, 'link.onnx'), allowed: ['link.onnx'] };
    case 'missing-parent': return { path: join(out, 'missing', 'model.onnx'), model: join(out, 'missing', 'model.onnx'), allowed: ['missing'] };
    case 'trailing-slash': return { path: `${join(out, 'model.onnx')}/`, model: join(out, 'model.onnx') };
    default: return { path: join(out, 'model.onnx'), model: join(out, 'model.onnx') };
  }
}

/** A private /dev holding only the usual character devices, bind-mounted over /dev for one child. */
function makeFakeDev(dir) {
  const dev = join(dir, 'dev');
  mkdirSync(dev);
  for (const [name, [major, minor]] of Object.entries(DEVICES)) spawnSync('mknod', ['-m', '666', join(dev, name), 'c', String(major), String(minor)]);
  return dev;
}

function fakeDevDamage(dev) {
  const names = readdirSync(dev).sort();
  const extra = names.filter((n) => !(n in DEVICES));
  const replaced = Object.keys(DEVICES).filter((n) => !names.includes(n) || !lstatSync(join(dev, n)).isCharacterDevice());
  return [...extra.map((n) => `left /dev/${n}`), ...replaced.map((n) => `replaced /dev/${n}`)];
}

/** Files under `dir`, as paths relative to it. */
function listFiles(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const rel = prefix + e.name;
    return e.isDirectory() ? [rel, ...listFiles(join(dir, e.name), `${rel}/`)] : [rel];
  });
}

const CRASH_TEXT = /\n\s+at |RangeError|TypeError|ReferenceError|SyntaxError|internal error|INTERNAL:|Maximum call stack|heap out of memory|FATAL ERROR|Segmentation fault|Aborted|node:internal/;

/**
 * Runs the case in `dir` (in/model.pt already written) and returns the verdict: `outcome` is 'not-run'
 * (the OS refused the command line, so no CLI could be given it), 'ok',
 * 'error' (clean, with `code`) or a failure kind: crash, hang, memory, unclean-error, invalid-model,
 * leftover, modified-input. `problems` lists every failed promise.
 */
export async function runCase({ dir, cliPath, args, output, checker, codes }) {
  const input = join(dir, 'in', 'model.pt');
  mkdirSync(join(dir, 'out'));
  const plan = outputPlan(output, dir);
  const argv = [cliPath, input, plan.path, ...args.map((a) => a.replaceAll('{in}', join(dir, 'in')))];
  const before = sha256(input);
  const dev = output === 'devnull' ? makeFakeDev(dir) : undefined;
  const run = dev
    ? await runMeasured('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `mount --bind "$0" /dev && exec "$@"`, dev, process.execPath, ...argv], join(dir, 'out'))
    : await runMeasured(process.execPath, argv, join(dir, 'out'));

  if (run.notRun) return { outcome: 'not-run', problems: [], seconds: 0, peakRss: 0, stderr: run.notRun, argv: argv.slice(1) };

  const problems = [];
  const stderrLines = run.stderr.split('\n').filter((l) => l.trim());
  let code;
  if (run.killed === 'hang') problems.push(['hang', `killed after ${TIME_LIMIT_MS / 1000} s`]);
  else if (run.killed === 'memory') problems.push(['memory', `killed at RSS > ${KILL_RSS_BYTES / 2 ** 30} GiB`]);
  else if (run.signal || ![0, 1, 2].includes(run.status)) problems.push(['crash', `exit ${run.signal ?? run.status}: ${stderrLines.at(-1) ?? ''}`]);
  else if (CRASH_TEXT.test(run.stderr)) problems.push(['crash', stderrLines.find((l) => CRASH_TEXT.test(`\n${l}`)) ?? stderrLines[0]]);
  else if (run.status !== 0) {
    const m = /^tsonnx: (?:.*?: )?([A-Z][A-Z_]+): \S/.exec(stderrLines[0] ?? '');
    if (m && codes.has(m[1]) && stderrLines.length <= 2) code = m[1];
    else problems.push(['unclean-error', `exit ${run.status}, ${stderrLines.length} lines: ${(stderrLines[0] ?? '(no stderr)').slice(0, 160)}`]);
  }
  if (run.peakRss > RSS_LIMIT_BYTES && run.killed !== 'memory') problems.push(['memory', `peak RSS ${(run.peakRss / 2 ** 20).toFixed(0)} MiB`]);

  const modelFiles = [];
  if (run.status === 0 && !run.killed && plan.model !== undefined) {
    const modelPath = existsSync(plan.model) ? plan.model : undefined;
    if (modelPath) {
      modelFiles.push(modelPath, `${modelPath}.data`);
      const error = await checker.load(modelPath);
      if (error) problems.push(['invalid-model', error]);
    } else if (output === 'dash' && run.stdout.length > 0) {
      writeFileSync(join(dir, 'stdout.onnx'), run.stdout);
      const error = await checker.load(join(dir, 'stdout.onnx'));
      if (error) problems.push(['invalid-model', `model on stdout: ${error}`]);
    } else problems.push(['invalid-model', 'exit 0 but no output file']);
  }

  const expected = new Set([...(plan.allowed ?? []), ...modelFiles.map((p) => p.slice(join(dir, 'out').length + 1))]);
  const left = listFiles(join(dir, 'out')).filter((name) => !expected.has(name));
  if (output === 'directory' && existsSync(join(dir, 'out', 'existing')) && readdirSync(join(dir, 'out', 'existing')).length) left.push('existing/*');
  if (left.length) problems.push(['leftover', `left in the output folder: ${left.slice(0, 5).join(', ')}`]);
  if (dev) {
    const damage = fakeDevDamage(dev);
    if (damage.length) problems.push(['leftover', `writing to /dev/null: ${damage.join(', ')}`]);
  }
  if (!existsSync(input) || sha256(input) !== before) problems.push(['modified-input', 'the input archive changed']);

  return {
    outcome: problems[0]?.[0] ?? (run.status === 0 ? 'ok' : 'error'),
    code,
    problems,
    status: run.signal ?? run.status,
    seconds: run.seconds,
    peakRss: run.peakRss,
    stderr: run.stderr.slice(0, 4000),
    argv: argv.slice(1),
  };
}
