/**
 * The command line on bad input: one line on stderr naming the problem (usage errors add a hint
 * line), exit 1 for a failed conversion and 2 for a usage error, no output file, no stack trace,
 * and the input left as it was. Outputs that are not plain files are written as users expect.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, closeSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, statSync,
  symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BatchResult } from '../src/batch.js';
import { concreteShape, loadRuntime } from '../src/check.js';
import { objectOps, pickle, pk, scriptArchive, tempDir, zipBytes } from './archive/helpers.js';
import { readModel } from './conformance/support.js';
import { compareAll, fixturesRoot, loadCase, projectRoot, runOnnx } from './helpers/cases.js';

const cli = join(projectRoot, 'dist', 'cli.js');
const cnn = join(fixturesRoot, 'models', 'small_cnn', 'torch113', 'model.pt');
const cnnSpec = ['--input', 'float32[1,3,32,32]'];
const hasScript = spawnSync('script', ['--version']).status === 0;

function run(args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', ...options, env: { ...process.env, NO_COLOR: '1', ...options.env } });
  return { status: r.status, stderr: String(r.stderr), stdout: String(r.stdout) };
}

function lines(text: string): string[] {
  return text.trimEnd().split('\n');
}

/** A usage error: exit 2, nothing on stdout, one line on stderr and the hint line. */
function expectUsageError(args: string[], pattern: RegExp, hint = "run 'tsonnx --help' for usage") {
  const r = run(args);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
  const [line, ...rest] = lines(r.stderr);
  expect(line).toMatch(/^tsonnx: USAGE: /);
  expect(line).toMatch(pattern);
  expect(rest).toEqual([hint]);
}

function digest(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Runs the CLI on `input` and checks the common promises of a refused conversion. */
function expectRefused(input: string, extra: string[], pattern: RegExp, output?: string) {
  const out = output ?? join(tempDir(), 'out.onnx');
  const before = existsSync(input) ? digest(input) : undefined;
  const r = run([input, out, ...extra]);
  expect(r.status).toBe(1);
  expect(r.stderr.trimEnd()).toMatch(pattern);
  expect(lines(r.stderr)).toHaveLength(1);
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

  it('malformed --input specs are usage errors', () => {
    const out = join(dir, 'spec.onnx');
    expectUsageError([cnn, out, '--input', 'float32[1,3,a-b]'], /argument 'float32\[1,3,a-b\]' is invalid\. --input float32\[1,3,a-b\]: dimension "a-b" is neither a size nor a name$/);
    expectUsageError([cnn, out, '--input', 'complex[1]'], /--input complex\[1\]: unknown dtype complex/);
    expectUsageError([cnn, out, '--input', '{oops'], /--input \{oops is not valid/);
    expect(existsSync(out)).toBe(false);
  });

  it('--input that does not match forward()', () => {
    const r = expectRefused(cnn, [], /INPUT_SPEC: forward\(x: Tensor\) needs 1 --input argument/);
    expect(r.stderr).toMatch(/dtype\[d0,d1,\.\.\.\]/);
    expectRefused(cnn, ['--input', 'float32[1,3,32,32]', '--input', 'float32[1]'], /takes 1 argument, but 2/);
    expectRefused(cnn, ['--input', '3'], /INPUT_SPEC|TRACE_TYPE/);
    // A shape without its dtype says how to write it.
    expectRefused(cnn, ['--input', '[1,3,32,32]'], /INPUT_SPEC: --input \[1,3,32,32\] for x: Tensor is a list of numbers; a tensor's spec names its dtype, e.g\. float32\[1,3,32,32\]$/);
  });

  it('with --json, a failure is also a JSON object on stdout', () => {
    const missing = run([join(dir, 'nope.pt'), join(dir, 'j.onnx'), '--input', 'float32[1]', '--json']);
    expect(missing.status).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({ ok: false, error: { code: 'INPUT_NOT_FOUND', message: `${join(dir, 'nope.pt')} does not exist`, location: null } });
    expect(lines(missing.stderr)).toEqual([`tsonnx: INPUT_NOT_FOUND: ${join(dir, 'nope.pt')} does not exist`]);
    const traced = run([cnn, join(dir, 'j.onnx'), '--input', 'float32[1,5,32,32]', '--json']);
    expect(traced.status).toBe(1);
    const { ok, error } = JSON.parse(traced.stdout);
    expect(ok).toBe(false);
    expect(error.code).toBe('TRACE_TYPE');
    expect(error.location).toMatchObject({ file: expect.stringMatching(/^code\//), line: expect.any(Number) });
    const inspected = run(['inspect', join(dir, 'nope.pt'), '--json']);
    expect([inspected.status, JSON.parse(inspected.stdout).error.code]).toEqual([1, 'INPUT_NOT_FOUND']);
  });

  it('with --json, five kinds of failure each print {ok: false, error: {code, message, location}}', () => {
    const notZip = join(dir, 'notes.pt');
    writeFileSync(notZip, 'not an archive');
    const nonzero = join(fixturesRoot, 'ops', 'cov_nonzero_one_hot_opset9', 'torch26', 'model.pt');
    const failures: Array<[string[], string, boolean]> = [
      [[join(dir, 'gone.pt'), join(dir, 'f1.onnx'), ...cnnSpec], 'INPUT_NOT_FOUND', false],
      [[notZip, join(dir, 'f2.onnx'), ...cnnSpec], 'ARCHIVE_NOT_ZIP', false],
      [[cnn, join(dir, 'f3.onnx'), '--input', 'float32[1,5,32,32]'], 'TRACE_TYPE', true],
      [[nonzero, join(dir, 'f4.onnx'), '--opset', '8'], 'OP_OPSET', true],
      [[cnn, join(dir, 'f5.onnx'), ...cnnSpec, '--dynamic-axes', '{"image": {"0": "batch"}}', '--strict'], 'STRICT_WARNINGS', false],
    ];
    for (const [args, code, located] of failures) {
      const r = run([...args, '--json']);
      expect([code, r.status]).toEqual([code, 1]);
      const report = JSON.parse(r.stdout);
      expect(Object.keys(report)).toEqual(['ok', 'error']);
      expect(report).toMatchObject({ ok: false, error: { code, message: expect.any(String) } });
      expect(Object.keys(report.error)).toEqual(['code', 'message', 'location']);
      if (located) expect(report.error.location).toMatchObject({ file: expect.stringMatching(/^code\//), line: expect.any(Number) });
      else expect(report.error.location).toBeNull();
      expect(lines(r.stderr)).toEqual([expect.stringContaining(`${code}: ${report.error.message}`)]);
      expect(existsSync(args[1])).toBe(false);
    }
  });

  it('a mistyped command, when no file has its name', () => {
    expectUsageError(['inspekt', cnn], /^tsonnx: USAGE: unknown command 'inspekt' \(and no file of that name\); did you mean 'inspect'\?$/);
    expectUsageError(['hlep'], /did you mean 'help'\?|missing required argument/);
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
    expect(run([cnn, join(out, 'x.onnx'), ...cnnSpec, '--input', 'float32[1]']).status).toBe(1);
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('cli converts', () => {
  it('takes the example inputs a PyTorch 2.x trace stores when --input is not given', async () => {
    const c = loadCase(join(fixturesRoot, 'models', 'small_cnn', 'torch26'));
    const out = join(tempDir(), 'traced-inputs.onnx');
    const r = run([join(c.dir, 'model.pt'), out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/inputs {2}x: float32\[1,3,32,32\]/);
    compareAll(await runOnnx(out, c.inputs), c.outputs);
  });

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

/** A scripted archive of one module `M` without weights, whose class body follows the given lines. */
function handMadeArchive(methodLines: string[]): Buffer {
  const code = ['class M(Module):', '  __parameters__ = []', '  __buffers__ = []', '  training : bool', ...methodLines, ''].join('\n');
  return scriptArchive('m', [
    { name: 'data.pkl', data: pickle(objectOps('__torch__.M', [['training', pk.false]])) },
    { name: 'code/__torch__.py', data: code },
  ]);
}

const conformance = (name: string, file = 'model.pt') => join(fixturesRoot, 'conformance', name, 'torch113', file);
const twoInputs = conformance('two_inputs');
const twoSpecs = ['--input', 'float32[2,4]', '--input', 'float32[2,4]'];

describe('cli help', () => {
  it('groups the flags under Inputs, ONNX model, torch.onnx.export options, Output and reporting', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    const headings = r.stdout.split('\n').filter((l) => /^\S.*:$/.test(l));
    expect(headings).toEqual(['Arguments:', 'Inputs:', 'ONNX model:', 'torch.onnx.export options:', 'Output and reporting:', 'Commands:', 'Examples:']);
    const section = (heading: string) => r.stdout.split(`${heading}\n`)[1].split('\n\n')[0];
    const flags = (heading: string) => [...section(heading).matchAll(/^ {2}(-\w, )?(--[\w-]+)/gm)].map((m) => m[2]);
    expect(flags('Inputs:')).toEqual(['--input', '--method', '--lift-state', '--state-init']);
    expect(flags('ONNX model:')).toEqual([
      '--opset', '--input-names', '--output-names', '--dynamic-axes', '--export-params', '--no-export-params',
      '--keep-initializers-as-inputs', '--no-keep-initializers-as-inputs', '--fp16', '--fp16-io', '--quantized-engine', '--custom-opset',
    ]);
    expect(flags('torch.onnx.export options:')).toEqual(['--config', '--training', '--operator-export-type', '--no-constant-folding', '--verbose']);
    expect(flags('Output and reporting:')).toEqual(['--strict', '--json', '--quiet', '--check', '--version', '--help']);
    expect(section('Commands:')).toMatch(/^ {2}inspect \[options\] <model>/);
  });

  it('tsonnx help [command] prints the help', () => {
    const root = run(['help']);
    expect([root.status, root.stdout]).toEqual([0, run(['--help']).stdout]);
    const inspectHelp = run(['help', 'inspect']);
    expect([inspectHelp.status, inspectHelp.stdout]).toEqual([0, run(['inspect', '--help']).stdout]);
    const convertHelp = run(['help', 'convert']);
    expect([convertHelp.status, convertHelp.stdout]).toEqual([0, run(['convert', '--help']).stdout]);
    expectUsageError(['help', 'export'], /unknown command 'export'; the commands are inspect, convert, help/);
  });

  it('prints the version', () => {
    const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(run(['--version']).stdout).toBe(`${version}\n`);
  });
});

describe('cli flags', () => {
  const out = () => join(tempDir(), 'm.onnx');

  it('names, opset, dynamic axes, export params and initializer inputs reach the model', () => {
    const path = out();
    const r = run([
      twoInputs, path, ...twoSpecs, '--opset', '13', '--input-names', 'a,b', '--output-names', 'p,q',
      '--dynamic-axes', '{"a": {"0": "batch"}, "q": [0]}', '--keep-initializers-as-inputs', '--json',
    ]);
    expect(r.status).toBe(0);
    const model = readModel(path);
    expect(model.opsetImport).toEqual([['', 13]]);
    expect(model.inputs).toEqual([['a', ['batch', 4]], ['b', [2, 4]], ['fc.weight', [3, 4]], ['fc.bias', [3]]]);
    expect(model.outputs).toEqual([['p', ['batch', 3]], ['q', ['q_dynamic_axes_1']]]);
    const report = JSON.parse(r.stdout);
    expect(report.warnings).toEqual([{ code: 'DYNAMIC_AXES_LIST', message: 'dynamic_axes for q is a list; its dims are named q_dynamic_axes_<i>' }]);
    expect(r.stderr).toBe('warning: DYNAMIC_AXES_LIST: dynamic_axes for q is a list; its dims are named q_dynamic_axes_<i>\n');

    const noParams = out();
    expect(run([twoInputs, noParams, ...twoSpecs, '--no-export-params', '-q']).status).toBe(0);
    expect(readModel(noParams).initializers).toEqual([]);
    expect(readModel(noParams).inputs.map(([n]) => n)).toEqual(['x', 'y', 'fc.weight', 'fc.bias']);
  });

  it('--operator-export-type and --custom-opset (repeatable)', () => {
    const path = out();
    const r = run([
      conformance('round_relu'), path, '--input', 'float32[2,5]', '--opset', '9', '--operator-export-type', 'onnx_aten_fallback',
      '--custom-opset', 'org.pytorch.aten=2', '--custom-opset', 'com.unused=4', '--json',
    ]);
    expect(r.status).toBe(0);
    const model = readModel(path);
    expect(model.opsetImport).toEqual([['', 9], ['org.pytorch.aten', 2]]);
    expect(model.nodes.filter((n) => n.opType === 'ATen').map((n) => n.attrs.operator)).toEqual(['round']);
    expect(JSON.parse(r.stdout).warnings).toEqual([{ code: 'CUSTOM_OPSET_UNUSED', message: "custom opset domain 'com.unused' is not used in the model and is not imported" }]);
    const pythonSpelling = run([conformance('round_relu'), out(), '--input', 'float32[2,5]', '--operator-export-type', 'OperatorExportTypes.ONNX_FALLTHROUGH', '--opset', '9', '-q']);
    expect(pythonSpelling.status).toBe(0);
  });

  it('--training and --no-constant-folding', () => {
    const nodes = (args: string[]) => {
      const path = out();
      expect(run([conformance('conv_bn_dropout'), path, '--input', 'float32[2,3,6,6]', '--opset', '14', '-q', ...args]).status).toBe(0);
      return readModel(path).nodes.filter((n) => n.opType !== 'Constant').map((n) => `${n.opType}/${n.outputs.length}`);
    };
    expect(nodes([])).toEqual(['Conv/1', 'Relu/1']);
    expect(nodes(['--no-constant-folding'])).toEqual(['Conv/1', 'BatchNormalization/1', 'Relu/1']);
    expect(nodes(['--training', 'training'])).toEqual(['Conv/1', 'BatchNormalization/3', 'Dropout/2', 'Relu/1']);
    expect(nodes(['--training', 'TrainingMode.PRESERVE'])).toEqual(['Conv/1', 'BatchNormalization/1', 'Relu/1']);
  });

  it('--verbose keeps doc_strings and prints the graph on stderr', () => {
    const path = out();
    const r = run([conformance('conv_bn_dropout'), path, '--input', 'float32[2,3,6,6]', '--verbose']);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'graph main_graph(x: float32[2,3,6,6])',
      '  initializer conv.weight_fused_bn: float32[4,3,3,3]',
      '  initializer conv.bias_fused_bn: float32[4]',
      '  /conv/Conv: /conv/Conv_output_0 = Conv(x, conv.weight_fused_bn, conv.bias_fused_bn) dilations=[1,1] group=1 pads=[1,1,1,1] strides=[1,1] kernel_shape=[3,3]  # code/__torch__/torch/nn/modules/conv.py:29 (conv.py:459)',
      '  /Relu: output = Relu(/conv/Conv_output_0)  # code/__torch__.py:15 (conformance_cases.py:38)',
      '  return output: float32[2,4,6,6]',
    ]);
    expect(lines[6]).toMatch(/^wrote .*m\.onnx \(opset 17, 2 nodes/);
    expect(readModel(path).nodes.map((n) => n.docString)).toEqual(['code/__torch__/torch/nn/modules/conv.py:29 (conv.py:459)', 'code/__torch__.py:15 (conformance_cases.py:38)']);
  });

  it('--quiet prints nothing, --json only the report on stdout', () => {
    const quiet = run([cnn, out(), '--input', 'float32[1,3,32,32]', '-q']);
    expect([quiet.status, quiet.stdout, quiet.stderr]).toEqual([0, '', '']);
    const json = run([cnn, out(), '--input', 'float32[1,3,32,32]', '--json', '--quiet']);
    expect(json.stderr).toBe('');
    const report = JSON.parse(json.stdout);
    expect(Object.keys(report)).toEqual(['ok', 'tsonnxVersion', 'input', 'outputSha256', 'output', 'opset', 'irVersion', 'inputs', 'outputs', 'nodes', 'warnings', 'seconds', 'write']);
    const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(report.input).toEqual({ path: cnn, sha256: sha256(cnn) });
    expect(report.outputSha256).toBe(sha256(report.output));
  });

  it('refuses bad flag values with a usage error (exit 2)', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--training', 'test'], /--training must be one of eval, preserve, training/],
      [['--operator-export-type', 'caffe2'], /--operator-export-type must be one of onnx, onnx_aten, onnx_aten_fallback, onnx_fallthrough/],
      [['--dynamic-axes', '{x: 0}'], /not JSON; use \{"x": \{"0": "batch"\}\} or \{"x": \[0\]\}/],
      [['--dynamic-axes', '{"x": "batch"}'], /--dynamic-axes for x must be \{axis: name\} or a list of axes/],
      [['--custom-opset', 'com.example'], /expected domain=version, e.g. com.example=2/],
      [['--opset', 'seventeen'], /option '--opset <n>' argument 'seventeen' is invalid\. expected a whole number$/],
      [['--opset', '99'], /opset 99 is not supported; choose 7 to 21$/],
      [['--input-names', 'a,,b'], /expected comma-separated names, none empty$/],
    ];
    for (const [flags, message] of cases) expectUsageError([cnn, out(), ...cnnSpec, ...flags], message);
  });
});

describe('cli usage errors: one line, a hint, exit 2', () => {
  const out = () => join(tempDir(), 'm.onnx');

  it("commander's own errors", () => {
    expectUsageError([cnn], /^tsonnx: USAGE: missing required argument 'output'$/);
    expectUsageError([cnn, out(), 'extra'], /^tsonnx: USAGE: too many arguments\. Expected 2 arguments but got 3\.$/);
    expectUsageError([cnn, out(), '--opsett', '13'], /^tsonnx: USAGE: unknown option '--opsett' \(Did you mean --opset\?\)$/);
    expectUsageError([cnn, out(), '--input'], /^tsonnx: USAGE: option '-i, --input <spec>' argument missing$/);
    expectUsageError(['inspect'], /^tsonnx: USAGE: missing required argument 'model'$/, "run 'tsonnx inspect --help' for usage");
    expectUsageError(['inspect', cnn, '--opset', '6'], /opset 6 is not supported; choose 7 to 21$/, "run 'tsonnx inspect --help' for usage");
  });

  it('outputs that cannot go with --json or --check', () => {
    expectUsageError([cnn, '-', ...cnnSpec, '--json'], /^tsonnx: USAGE: --json prints the report on standard output, where output - writes the model; write the model to a file$/);
    expectUsageError([cnn, '-', ...cnnSpec, '--check'], /^tsonnx: USAGE: --check loads the written model again, which it cannot from standard output; write the model to a file$/);
    expectUsageError([cnn, '/dev/null', ...cnnSpec, '--check'], /cannot from \/dev\/null, a character device;/);
  });
});

describe('cli --config', () => {
  const dir = tempDir();
  const config = (value: unknown) => {
    const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it('maps torch.onnx.export keywords; flags given on the command line win', () => {
    const file = config({ opset_version: 11, input_names: ['a', 'b'], output_names: ['p', 'q'], export_params: false, training: 'TrainingMode.EVAL' });
    const path = join(dir, 'c.onnx');
    const r = run([twoInputs, path, ...twoSpecs, '--config', file, '--opset', '13', '--output-names', 'r,s', '--json']);
    expect(r.status).toBe(0);
    const model = readModel(path);
    expect(model.opsetImport).toEqual([['', 13]]);
    expect(model.inputs.map(([n]) => n)).toEqual(['a', 'b', 'fc.weight', 'fc.bias']);
    expect(model.outputs.map(([n]) => n)).toEqual(['r', 's']);
    expect(model.initializers).toEqual([]);
  });

  it('a flag left at its default does not override the config', () => {
    const file = config({ do_constant_folding: false, opset_version: 14 });
    const path = join(dir, 'd.onnx');
    expect(run([conformance('conv_bn_dropout'), path, '--input', 'float32[2,3,6,6]', '--config', file, '-q']).status).toBe(0);
    expect(readModel(path).nodes.map((n) => n.opType)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
  });

  it('unknown keys are an OPTION_INVALID error naming them', () => {
    const file = config({ opset_version: 13, export_modules_as_functions: true });
    const r = run([twoInputs, join(dir, 'e.onnx'), ...twoSpecs, '--config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tsonnx: OPTION_INVALID: .*c\w+\.json: unknown key export_modules_as_functions; expected torch\.onnx\.export keywords: opset_version, /);
  });
});

describe('cli --check', () => {
  it('runs the written model in onnxruntime and reports output shapes', () => {
    const path = join(tempDir(), 'k.onnx');
    const r = run([twoInputs, path, '--input', 'float32[batch,4]', '--input', 'float32[batch,4]', '--check']);
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^checked in onnxruntime \d+\.\d+\.\d+ on random inputs \([\d.]+ s\): output_0: float32\[1,3\], output_1: float32\[1\]$/);
    const json = run([twoInputs, path, ...twoSpecs, '--dynamic-axes', '{"x": [0]}', '--check', '--json', '-q']);
    const { check } = JSON.parse(json.stdout);
    expect(check.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [2, 4] }, { name: 'y', dtype: 'float32', shape: [2, 4] }]);
    expect(check.outputs).toEqual([
      { name: 'output_0', dtype: 'float32', shape: [2, 3], nonFinite: 0 },
      { name: 'output_1', dtype: 'float32', shape: [2], nonFinite: 0 },
    ]);
    expect(check.finite).toBe(true);
  });

  it('fails with a message when onnxruntime cannot run the model', () => {
    const r = run([conformance('round_relu'), join(tempDir(), 'a.onnx'), '--input', 'float32[2,5]', '--operator-export-type', 'onnx_aten', '--check']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tsonnx: CHECK_FAILED: onnxruntime could not load .*a\.onnx: /m);
  });

  it('says how to install onnxruntime-node when it is missing', async () => {
    await expect(loadRuntime('onnxruntime-node-not-installed')).rejects.toMatchObject({
      code: 'CHECK_UNAVAILABLE',
      message: '--check runs the model in onnxruntime, which is not installed: npm install onnxruntime-node',
    });
  });

  it('exits 1 with CHECK_NOT_FINITE naming the output, after the report; the model is kept', async () => {
    const dir = tempDir();
    const model = join(dir, 'nan.pt');
    writeFileSync(model, handMadeArchive([
      '  def forward(self: __torch__.M,',
      '    x: Tensor) -> Tuple[Tensor, Tensor]:',
      '    _0 = torch.relu(x)',
      '    return (_0, torch.log(torch.neg(torch.abs(x))))',
    ]));
    const path = join(dir, 'nan.onnx');
    const quiet = run([model, path, '--input', 'float32[2,3]', '--check', '-q']);
    expect(quiet.status).toBe(1);
    expect(lines(quiet.stderr)).toEqual([
      `tsonnx: CHECK_NOT_FINITE: onnxruntime gave NaN or infinite values on random inputs in output output_1 (6 of 6 values); ${path} is kept`,
    ]);
    const [relu] = await runOnnx(path, [{ dtype: 'float32', shape: [2, 3], data: Float32Array.from([-1, 2, -3, 4, -5, 6]) }]);
    expect([...relu!.data]).toEqual([0, 2, 0, 4, 0, 6]);

    const loud = run([model, path, '--input', 'float32[2,3]', '--check']);
    expect(loud.status).toBe(1);
    expect(lines(loud.stderr).slice(-2)[0]).toMatch(/^checked in onnxruntime .*: output_0: float32\[2,3\], output_1: float32\[2,3\] \(6 not finite\)$/);
    const json = run([model, path, '--input', 'float32[2,3]', '--check', '--json', '-q']);
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout).check).toMatchObject({ finite: false, outputs: [{ name: 'output_0', nonFinite: 0 }, { name: 'output_1', nonFinite: 6 }] });
    // One JSON object: the report, marked failed with the error.
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'CHECK_NOT_FINITE' } });
    expect(lines(json.stderr)).toHaveLength(1);
  });

  it("-q silences onnxruntime's own log lines", () => {
    // Initializers listed as inputs make onnxruntime warn once per initializer at load time.
    const args = [conformance('conv_bn_dropout'), join(tempDir(), 'w.onnx'), '--input', 'float32[2,3,6,6]', '--keep-initializers-as-inputs', '--check'];
    const loud = run(args);
    expect(loud.status).toBe(0);
    expect(loud.stderr.match(/\[W:onnxruntime:.*Initializer \S+ appears in graph inputs/g)).toHaveLength(2);
    expect(run([...args, '-q'])).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('dynamic dims run at the --input size when it is a number, else 1', () => {
    expect(concreteShape(['batch', 3, 'h'], [8, 3, 'h'])).toEqual([8, 3, 1]);
    expect(concreteShape(['n', 4], undefined)).toEqual([1, 4]);
  });
});

describe('cli inspect', () => {
  it('--json prints the documented report', () => {
    const r = run(['inspect', conformance('conv_bn_dropout'), '--json', '--opset', '9']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(Object.keys(report)).toEqual(['path', 'archive', 'modules', 'forward', 'methods', 'totals', 'opset', 'ops', 'staticallyQuantized']);
    expect(report.staticallyQuantized).toBe(false);
    expect(Object.keys(report.archive)).toEqual(['version', 'byteorder', 'records', 'kind', 'producer', 'hints']);
    expect(report.opset).toBe(9);
    expect(report.modules.children.map((m: { path: string }) => m.path)).toEqual(['conv', 'bn', 'drop']);
    expect(report.ops.find((u: { op: string }) => u.op === 'aten::ne')).toEqual({ op: 'aten::ne', calls: 1, status: 'supported', lowestOpset: 9 });
  });

  it('prints a text report, and errors like a conversion', () => {
    const r = run(['inspect', conformance('round_relu'), '--opset', '9']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ops (2 of 3 tensor ops lowered at opset 9)\n');
    expect(r.stdout).toContain('  aten::round     1  needs opset 11\n');
    const missing = run(['inspect', join(tempDir(), 'nope.pt')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^tsonnx: INPUT_NOT_FOUND: .*nope\.pt: no such file\n$/);
  });
});

describe('cli on a terminal', () => {
  /** Runs the CLI with stdout and stderr on a pseudo-terminal (util-linux `script`), returning what it showed. */
  function onTerminal(args: string[], env: Record<string, string | undefined>) {
    const command = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const environment = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete environment[k];
    return spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: environment });
  }
  const convertArgs = () => [cnn, join(tempDir(), 't.onnx'), '--input', 'float32[1,3,32,32]'];

  it.skipIf(!hasScript)('uses colours, and clears any progress line before the summary', () => {
    const r = onTerminal(convertArgs(), { NO_COLOR: undefined, TERM: 'xterm' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('\x1b[32mwrote\x1b[39m');
    const beforeSummary = r.stdout.slice(0, r.stdout.indexOf('\x1b[32mwrote'));
    if (beforeSummary) expect(beforeSummary).toMatch(/^(\r\x1b\[K.*?)*\r\x1b\[K$/s);
  });

  it.skipIf(!hasScript)('never colours with NO_COLOR', () => {
    const r = onTerminal(convertArgs(), { NO_COLOR: '1', TERM: 'xterm' });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[\d+m/);
    expect(r.stdout).toMatch(/wrote .*t\.onnx/);
  });

  it('writes nothing but the summary when stderr is not a terminal', () => {
    const r = spawnSync(process.execPath, [cli, ...convertArgs()], { encoding: 'utf8', env: { ...process.env, NO_COLOR: undefined } });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/[\r\x1b]/);
    expect(r.stderr.split('\n')).toHaveLength(4);
  });
});

describe('cli --input-names and --output-names', () => {
  const refused = (args: string[], message: string) => {
    const out = join(tempDir(), 'n.onnx');
    const r = run([...args.slice(0, 1), out, ...args.slice(1)]);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([`tsonnx: OPTION_INVALID: ${message}`]);
    expect(existsSync(out)).toBe(false);
  };

  it('more names than the graph has inputs or outputs', () => {
    refused([twoInputs, ...twoSpecs, '--input-names', 'a,b,c'], "3 input names given (a, b, c), but the graph's inputs are 2 (x, y)");
    refused([twoInputs, ...twoSpecs, '--output-names', 'p,q,r'], "3 output names given (p, q, r), but the graph's outputs are 2 (output_0, output_1)");
  });

  it('a name given twice, or to an input and an output', () => {
    refused([twoInputs, ...twoSpecs, '--input-names', 'output,output'], 'the name output is given to both input 0 and input 1; graph input and output names must be distinct');
    refused([twoInputs, ...twoSpecs, '--output-names', 'p,p'], 'the name p is given to both output 0 and output 1; graph input and output names must be distinct');
    refused([cnn, ...cnnSpec, '--input-names', 'output'], 'the name output is given to both input 0 and output 0; graph input and output names must be distinct');
    refused([twoInputs, ...twoSpecs, '--input-names', 'y'], 'the name y is given to both input 0 and input 1; graph input and output names must be distinct');
  });

  it('a name the graph already uses for a weight', () => {
    refused([twoInputs, ...twoSpecs, '--output-names', 'fc.weight'], 'the name fc.weight is already used in the graph (a weight or an intermediate value); choose another');
    refused([twoInputs, ...twoSpecs, '--input-names', 'fc.bias'], 'the name fc.bias is already used in the graph (a weight or an intermediate value); choose another');
  });
});

describe('cli output paths', () => {
  const mobilenet = loadCase(join(fixturesRoot, 'models', 'mobilenet_v3_tiny', 'torch113'));
  const mobilenetArgs = [join(mobilenet.dir, 'model.pt'), ...mobilenet.args.flatMap((spec) => ['--input', spec])];
  const cnnCase = loadCase(join(fixturesRoot, 'models', 'small_cnn', 'torch113'));

  /** The model bytes tsonnx writes to a plain new file, for comparing other outputs with. */
  const reference = (args: string[]) => {
    const file = join(tempDir(), 'reference.onnx');
    expect(run([args[0]!, file, ...args.slice(1), '-q'])).toEqual({ status: 0, stdout: '', stderr: '' });
    return readFileSync(file);
  };

  it('a symlink is written through to its target and stays a link', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.onnx'), 'an older model');
    symlinkSync('real.onnx', join(dir, 'link.onnx'));
    const r = run([cnn, join(dir, 'link.onnx'), ...cnnSpec]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^wrote ${join(dir, 'real.onnx')} \\(opset 17`));
    expect(readlinkSync(join(dir, 'link.onnx'))).toBe('real.onnx');
    expect(readdirSync(dir).sort()).toEqual(['link.onnx', 'real.onnx']);
    compareAll(await runOnnx(join(dir, 'link.onnx'), cnnCase.inputs), cnnCase.outputs);
  });

  it('a dangling symlink writes the file it points at', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'models'));
    symlinkSync('models/v2.onnx', join(dir, 'latest.onnx'));
    expect(run([cnn, join(dir, 'latest.onnx'), ...cnnSpec, '-q'])).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(lstatSync(join(dir, 'latest.onnx')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'models', 'v2.onnx'))).toEqual(reference([cnn, ...cnnSpec]));
  });

  it('a FIFO: a reader process gets a model onnxruntime runs; the FIFO stays', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'model.onnx');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const copy = join(dir, 'copy.onnx');
    // mobilenet's model is larger than the FIFO's buffer, so the writer has to wait for the reader.
    const reader = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', fifo, copy]);
    const readerDone = new Promise((done) => reader.on('close', done));
    const r = run([mobilenetArgs[0]!, fifo, ...mobilenetArgs.slice(1)]);
    await readerDone;
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^wrote ${fifo} \\(opset 17`));
    expect(statSync(fifo).isFIFO()).toBe(true);
    expect(readFileSync(copy)).toEqual(reference(mobilenetArgs));
    compareAll(await runOnnx(copy, mobilenet.inputs), mobilenet.outputs);
  });

  it('/dev/null is written, and stays the character device', () => {
    const r = run([cnn, '/dev/null', ...cnnSpec]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^wrote \/dev\/null \(opset 17/);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it.skipIf(!hasScript)('a terminal (pty) gets the model bytes', () => {
    // Raw mode, so the terminal passes the bytes through unchanged (no \n → \r\n).
    const command = `stty raw -echo; '${process.execPath}' '${cli}' '${cnn}' /dev/tty ${cnnSpec.map((a) => `'${a}'`).join(' ')} -q`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    expect(r.stdout).toEqual(reference([cnn, ...cnnSpec]));
  });

  it('- streams the model to standard output; the summary stays on stderr', async () => {
    const r = spawnSync(process.execPath, [cli, ...mobilenetArgs.slice(0, 1), '-', ...mobilenetArgs.slice(1)], { env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    expect(r.stdout).toEqual(reference(mobilenetArgs));
    expect(lines(String(r.stderr))[0]).toMatch(/^wrote standard output \(opset 17/);
    const copy = join(tempDir(), 'stdout.onnx');
    writeFileSync(copy, r.stdout);
    compareAll(await runOnnx(copy, mobilenet.inputs), mobilenet.outputs);

    const quiet = spawnSync(process.execPath, [cli, cnn, '-', ...cnnSpec, '-q'], { maxBuffer: 1 << 26 });
    expect([quiet.status, quiet.stderr.byteLength, quiet.stdout.byteLength]).toEqual([0, 0, reference([cnn, ...cnnSpec]).byteLength]);
  });

  it('/dev/stdout on a pipe or a socket is written through, not replaced', () => {
    const bytes = reference([cnn, ...cnnSpec]);
    const copy = join(tempDir(), 'piped.onnx');
    const piped = spawnSync('sh', ['-c', `'${process.execPath}' '${cli}' "$@" | cat > '${copy}'`, 'sh', cnn, '/dev/stdout', ...cnnSpec, '-q'], { encoding: 'utf8' });
    expect([piped.status, piped.stderr]).toEqual([0, '']);
    expect(readFileSync(copy)).toEqual(bytes);
    // Node connects a child's standard output to a socket, which cannot be opened by path.
    const socket = spawnSync(process.execPath, [cli, cnn, '/dev/stdout', ...cnnSpec, '-q'], { maxBuffer: 1 << 26 });
    expect([socket.status, String(socket.stderr)]).toEqual([0, '']);
    expect(socket.stdout).toEqual(bytes);
    expect(lstatSync('/dev/stdout').isSymbolicLink()).toBe(true);
  });

  it('- through a full pipe that Node made non-blocking: the writer waits for the slow reader', () => {
    const copy = join(tempDir(), 'slow.onnx');
    // Touching process.stdout first makes the pipe non-blocking, as any code printing to stdout would;
    // the model (84 kB) outgrows the pipe's 64 kB while the reader sleeps past the conversion.
    const command = `'${process.execPath}' --import 'data:text/javascript,process.stdout.isTTY' '${cli}' "$@" | (sleep 2; cat > '${copy}')`;
    const r = spawnSync('sh', ['-c', command, 'sh', mobilenetArgs[0]!, '-', ...mobilenetArgs.slice(1), '-q'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(readFileSync(copy)).toEqual(reference(mobilenetArgs));
  });

  it('a read-only folder: OUTPUT_UNWRITABLE, nothing left in it', (context) => {
    const readOnly = join(tempDir(), 'read-only');
    mkdirSync(readOnly, { mode: 0o555 });
    chmodSync(readOnly, 0o555);
    // root ignores folder permissions through CAP_DAC_OVERRIDE: as root the conversion runs without it
    // (util-linux's setpriv). Still root, it reads the project wherever the clone is, even in a 0700 folder.
    const argv = [process.execPath, cli, cnn, join(readOnly, 'm.onnx'), ...cnnSpec];
    const withoutOverride = ['--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-dac_override,-dac_read_search'];
    const [command, ...args] = process.getuid?.() === 0 ? ['setpriv', ...withoutOverride, ...argv] : argv;
    const r = spawnSync(command!, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    if (r.error) context.skip(`cannot drop root's permission override here: ${r.error.message}`);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([`tsonnx: OUTPUT_UNWRITABLE: cannot write ${join(readOnly, 'm.onnx')}: permission denied (EACCES)`]);
    expect(readdirSync(readOnly)).toEqual([]);
  });

  it('a folder that is a regular file: OUTPUT_UNWRITABLE', () => {
    const file = join(tempDir(), 'plain');
    writeFileSync(file, 'not a folder');
    expectRefused(cnn, cnnSpec, new RegExp(`^tsonnx: OUTPUT_UNWRITABLE: cannot write ${file}/m\\.onnx: not a directory \\(ENOTDIR\\)$`), join(file, 'm.onnx'));
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('the input through a symlink or a hard link: OUTPUT_IS_INPUT, the input unchanged', () => {
    const dir = tempDir();
    const input = join(dir, 'model.pt');
    copyFileSync(cnn, input);
    symlinkSync(input, join(dir, 'soft.onnx'));
    linkSync(input, join(dir, 'hard.onnx'));
    for (const out of ['soft.onnx', 'hard.onnx']) {
      expectRefused(input, cnnSpec, new RegExp(`^tsonnx: OUTPUT_IS_INPUT: refusing to overwrite the input archive ${input} with ${join(dir, out)}$`), join(dir, out));
    }
    expect(digest(input)).toBe(digest(cnn));
    expect(lstatSync(join(dir, 'soft.onnx')).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['hard.onnx', 'model.pt', 'soft.onnx']);
  });

  it('- with standard output appended to the input: OUTPUT_IS_INPUT', () => {
    const input = join(tempDir(), 'model.pt');
    copyFileSync(cnn, input);
    const fd = openSync(input, 'a');
    try {
      const r = run([input, '-', ...cnnSpec], { stdio: ['ignore', fd, 'pipe'] });
      expect(r.status).toBe(1);
      expect(lines(r.stderr)).toEqual([`tsonnx: OUTPUT_IS_INPUT: refusing to overwrite the input archive ${input} with standard output`]);
    } finally {
      closeSync(fd);
    }
    expect(digest(input)).toBe(digest(cnn));
  });
});

describe('cli convert: many archives at once', () => {
  const traced = (name: string) => join(fixturesRoot, 'models', name, 'torch26', 'model.pt');

  it('converts files and folders in worker threads, each exactly as alone; a broken archive fails only its row', () => {
    const dir = tempDir();
    const folder = join(dir, 'in');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    copyFileSync(traced('small_cnn'), join(folder, 'cnn.pt'));
    copyFileSync(traced('tiny_resnet'), join(folder, 'nested', 'resnet.pth'));
    writeFileSync(join(folder, 'broken.ptl'), 'not an archive');
    writeFileSync(join(folder, 'notes.txt'), 'skipped: not an archive name');
    const out = join(dir, 'out');
    const r = run(['convert', folder, join(dir, 'missing.pt'), '--output-dir', out, '--jobs', '2']);
    expect(r.status).toBe(1);
    const table = lines(r.stderr);
    expect(table[0]).toMatch(/^file +status +opset +nodes +MB +seconds +warnings$/);
    expect(table.slice(1, 5).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      [join(folder, 'broken.ptl'), 'failed: ARCHIVE_NOT_ZIP'],
      [join(folder, 'cnn.pt'), 'ok'],
      [join(folder, 'nested', 'resnet.pth'), 'ok'],
      [join(dir, 'missing.pt'), 'failed: INPUT_NOT_FOUND'],
    ]);
    expect(table[5]).toMatch(/^2 of 4 converted in \d+\.\d s$/);
    expect(table.slice(6)).toEqual([
      expect.stringMatching(/^tsonnx: .*broken\.ptl: ARCHIVE_NOT_ZIP: /),
      expect.stringMatching(/^tsonnx: .*missing\.pt: INPUT_NOT_FOUND: /),
    ]);
    const alone = join(dir, 'alone.onnx');
    expect(run([join(folder, 'nested', 'resnet.pth'), alone, '-q']).status).toBe(0);
    expect(readFileSync(join(out, 'nested', 'resnet.onnx')).equals(readFileSync(alone))).toBe(true);
    expect(existsSync(join(out, 'cnn.onnx'))).toBe(true);
    expect(existsSync(join(out, 'broken.onnx'))).toBe(false);
  });

  it('--config files entries give each archive its own options; flags given win', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'in', 'b'), { recursive: true });
    const model113 = (name: string) => join(fixturesRoot, 'models', name, 'torch113', 'model.pt');
    copyFileSync(model113('small_cnn'), join(dir, 'in', 'cnn.pt'));
    copyFileSync(model113('mlp_scripted'), join(dir, 'in', 'b', 'mlp.pt'));
    const config = join(dir, 'export.json');
    writeFileSync(config, JSON.stringify({
      opset_version: 13,
      files: { 'cnn.pt': { inputs: ['float32[1,3,32,32]'] }, '**/b/*.pt': { inputs: ['float32[batch,16]'], opset_version: 11 } },
    }));
    const results = (extra: string[]) => {
      const r = run(['convert', join(dir, 'in'), '-o', join(dir, 'out'), '--config', config, '--json', ...extra]);
      expect(r.status).toBe(0);
      return (JSON.parse(r.stdout) as BatchResult[]).map((x) => [x.input, x.report!.opset, x.report!.inputs[0].shape]);
    };
    expect(results([])).toEqual([[join(dir, 'in', 'b', 'mlp.pt'), 11, ['batch', 16]], [join(dir, 'in', 'cnn.pt'), 13, [1, 3, 32, 32]]]);
    expect(results(['--opset', '12']).map((x) => x[1])).toEqual([12, 12]);
  });

  it('--json gives one result per archive; all converted exits 0', () => {
    const dir = tempDir();
    const r = run(['convert', traced('small_cnn'), '-o', join(dir, 'out'), '--json', '--opset', '13']);
    expect(r.status).toBe(0);
    const [result] = JSON.parse(r.stdout);
    expect(result).toMatchObject({ input: traced('small_cnn'), output: join(dir, 'out', 'model.onnx'), ok: true, report: { opset: 13 } });
  });

  it('refuses two archives that would write one file', () => {
    const dir = tempDir();
    const r = run(['convert', traced('small_cnn'), traced('tiny_resnet'), '-o', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/OPTION_INVALID: .* would both be written to .*model\.onnx/);
  });
});

describe('cli --strict', () => {
  const stateful = join(fixturesRoot, 'control', 'state_attribute', 'torch26', 'model.pt');

  it('fails on any warning, writing nothing; with the warning dealt with it converts', () => {
    const dir = tempDir();
    const out = join(dir, 'strict.onnx');
    const r = run([stateful, out, '--input', 'float32[2,3]', '--strict']);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual([expect.stringMatching(/^tsonnx: STRICT_WARNINGS: 1 warning with strict on, nothing written: STATE_NOT_KEPT: forward\(\) writes module attribute state; /)]);
    expect(existsSync(out)).toBe(false);
    const lifted = run([stateful, out, '--input', 'float32[2,3]', '--strict', '--lift-state', '-q']);
    expect([lifted.status, lifted.stderr]).toEqual([0, '']);
    const warned = run([stateful, join(dir, 'warned.onnx'), '--input', 'float32[2,3]', '--json']);
    expect(JSON.parse(warned.stdout).warnings).toEqual([{ code: 'STATE_NOT_KEPT', message: expect.stringMatching(/^forward\(\) writes module attribute state; /) }]);
  });

  it.skipIf(!existsSync(join(projectRoot, '..', 'shared', 'corpus', 'rw_silero_v3_1')))('fails on silero v3.1 without --lift-state', () => {
    const out = join(tempDir(), 'silero.onnx');
    const r = run([join(projectRoot, '..', 'shared', 'corpus', 'rw_silero_v3_1', 'model.pt'), out, '--input', 'float32[1,1536]', '--input', '16000', '--strict']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^tsonnx: STRICT_WARNINGS: 4 warnings .*STATE_NOT_KEPT: forward\(\) writes module attribute _h; /);
    expect(existsSync(out)).toBe(false);
  });
});
