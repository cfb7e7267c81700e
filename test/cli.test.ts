/**
 * The command line on bad input: a few lines on stderr naming the problem, a non-zero exit,
 * no output file, no stack trace, and the input left as it was.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pickle, pk, scriptArchive, tempDir, zipBytes } from './archive/helpers.js';
import { fixturesRoot, projectRoot } from './helpers/cases.js';

const cli = join(projectRoot, 'dist', 'cli.js');
const cnn = join(fixturesRoot, 'models', 'small_cnn', 'torch113', 'model.pt');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Runs the CLI on `input` and checks the common promises of a refused conversion. */
function expectRefused(input: string, extra: string[], pattern: RegExp, output?: string) {
  const out = output ?? join(tempDir(), 'out.onnx');
  const before = existsSync(input) ? digest(input) : undefined;
  const r = run([input, out, ...extra]);
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
  if (output === undefined) expect(existsSync(out)).toBe(false);
  if (before) expect(digest(input)).toBe(before);
  return r;
}

describe('cli refuses bad input', () => {
  const dir = tempDir();

  it('a missing file', () => {
    expectRefused(join(dir, 'nope.pt'), [], /INPUT_NOT_FOUND: .*nope\.pt does not exist/);
  });

  it('a file that is not a zip', () => {
    const p = join(dir, 'text.pt');
    writeFileSync(p, 'hello, this is not an archive\n'.repeat(10));
    expectRefused(p, ['--input', 'float32[1]'], /ARCHIVE_NOT_ZIP/);
  });

  it('a truncated archive', () => {
    const p = join(dir, 'truncated.pt');
    const bytes = readFileSync(cnn);
    writeFileSync(p, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    expectRefused(p, ['--input', 'float32[1,3,32,32]'], /ARCHIVE_(CORRUPT|NOT_ZIP)/);
  });

  it('a damaged central directory', () => {
    const p = join(dir, 'damaged.pt');
    const bytes = Buffer.from(readFileSync(cnn));
    const cd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.fill(0xee, cd - 200, cd + 40);
    writeFileSync(p, bytes);
    expectRefused(p, ['--input', 'float32[1,3,32,32]'], /ARCHIVE_CORRUPT/);
  });

  it('a zip that is not a PyTorch archive', () => {
    const p = join(dir, 'plain.zip');
    writeFileSync(p, zipBytes([{ name: 'docs/readme.txt', data: 'hello' }]));
    expectRefused(p, [], /ARCHIVE_NOT_TORCHSCRIPT/);
  });

  it('a torch.save checkpoint, in both formats', () => {
    for (const name of ['checkpoint_zip.pth', 'checkpoint_legacy.pth']) {
      const r = expectRefused(join(fixturesRoot, 'archive', '1.13', name), [], /ARCHIVE_TORCH_SAVE/);
      expect(r.stderr).toMatch(/torch\.save/);
      expect(r.stderr).toMatch(/torch\.jit\.(trace|script)/);
    }
  });

  it('a pickle asking for a global outside what archives use', () => {
    const p = join(dir, 'evil.pt');
    const data = pickle(pk.global('os', 'system'), pk.str('echo owned'), pk.tuple1, pk.reduce);
    writeFileSync(p, scriptArchive('evil', [{ name: 'data.pkl', data }]));
    const r = expectRefused(p, [], /PICKLE_FORBIDDEN_GLOBAL/);
    expect(r.stderr).toMatch(/os\.?\s?system/);
  });

  it('malformed --input specs', () => {
    expectRefused(cnn, ['--input', 'float32[1,3,a-b]'], /INPUT_SPEC/);
    expectRefused(cnn, ['--input', 'complex[1]'], /INPUT_SPEC: .*unknown dtype/);
    expectRefused(cnn, ['--input', '{oops'], /INPUT_SPEC/);
  });

  it('--input that does not match forward()', () => {
    const r = expectRefused(cnn, [], /INPUT_SPEC: forward\(x: Tensor\) needs 1 --input argument/);
    expect(r.stderr).toMatch(/dtype\[d0,d1,\.\.\.\]/);
    expectRefused(cnn, ['--input', 'float32[1,3,32,32]', '--input', 'float32[1]'], /takes 1 argument, but 2/);
    expectRefused(cnn, ['--input', '3'], /INPUT_SPEC|TRACE_TYPE/);
  });

  it('an output path that cannot be written', () => {
    const out = join(dir, 'no', 'such', 'folder', 'out.onnx');
    expectRefused(cnn, ['--input', 'float32[1,3,32,32]'], /OUTPUT_UNWRITABLE/, out);
    expect(existsSync(out)).toBe(false);
  });

  it('an output path equal to the input', () => {
    const p = join(dir, 'same.pt');
    copyFileSync(cnn, p);
    expectRefused(p, ['--input', 'float32[1,3,32,32]'], /OUTPUT_IS_INPUT/, p);
    expect(digest(p)).toBe(digest(cnn));
  });

  it('leaves no temporary files behind', () => {
    const out = join(dir, 'clean');
    mkdirSync(out);
    run([cnn, join(out, 'x.onnx'), '--input', 'float32[1,3,a-b]']);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('cli converts', () => {
  it('writes the model and summarises it', () => {
    const out = join(tempDir(), 'cnn.onnx');
    const r = run([cnn, out, '--input', 'float32[1,3,32,32]']);
    expect(r.stderr).toMatch(/wrote .*cnn\.onnx \(opset 17/);
    expect(r.status).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('prints a JSON report with --json', () => {
    const out = join(tempDir(), 'cnn.onnx');
    const r = run([cnn, out, '--input', 'float32[1,3,32,32]', '--json', '--opset', '11']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.opset).toBe(11);
    expect(report.irVersion).toBe(6);
    expect(report.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [1, 3, 32, 32] }]);
  });
});
