/**
 * `inspect`: module tree, signatures, parameter totals, producer hints and op support, on archives
 * made by PyTorch 1.13 and 2.6 and on small hand-built ones for what those cannot show.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demangle, exprText, formatInspectReport, inspect } from '../src/inspect.js';
import { parseCode } from '../src/script/index.js';
import { objectOps, pickle, pk, scriptArchive, tempDir } from './archive/helpers.js';
import { corpusAvailable, corpusRoot, fixturesRoot } from './helpers/cases.js';

const fixture = (...parts: string[]) => join(fixturesRoot, ...parts);
const convBnDropout = fixture('conformance', 'conv_bn_dropout', 'torch113', 'model.pt');

/** A scripted-looking archive: one module `__torch__.M` with the given code and pickled attributes. */
function handMade(code: string, options: { version?: string; attributes?: Array<[string, Buffer]> } = {}): string {
  const path = join(tempDir(), 'model.pt');
  const attributes = options.attributes ?? [['training', pk.false]];
  writeFileSync(path, scriptArchive('m', [
    { name: 'data.pkl', data: pickle(objectOps('__torch__.M', attributes)) },
    { name: 'code/__torch__.py', data: code },
    { name: 'version', data: options.version ?? '3\n' },
  ]));
  return path;
}

describe('inspect', () => {
  it('a scripted 1.13 archive: tree, signature, totals, hints, ops', async () => {
    const r = await inspect(convBnDropout);
    expect(r.modules).toEqual({
      path: '',
      className: 'ConvBnDropout',
      parameters: 120,
      buffers: 9,
      children: [
        { path: 'conv', className: 'torch.nn.modules.conv.Conv2d', parameters: 112, buffers: 0, children: [] },
        { path: 'bn', className: 'torch.nn.modules.batchnorm.BatchNorm2d', parameters: 8, buffers: 9, children: [] },
        { path: 'drop', className: 'torch.nn.modules.dropout.Dropout', parameters: 0, buffers: 0, children: [] },
      ],
    });
    expect(r.forward).toEqual({ name: 'forward', params: [{ name: 'x', type: 'Tensor' }], returns: 'Tensor', signature: 'forward(x: Tensor) -> Tensor' });
    expect(r.methods).toEqual([]);
    // float32 weights; int64 num_batches_tracked.
    expect(r.totals).toEqual({ parameters: 120, parameterBytes: 480, buffers: 9, bufferBytes: 40 });
    expect(r.archive).toEqual({
      version: 3,
      byteorder: 'little',
      records: 20,
      kind: 'scripted',
      producer: 'PyTorch 1.8 to 2.0',
      hints: [
        { evidence: 'modules have _is_full_backward_hook', meaning: 'PyTorch 1.8 or later' },
        { evidence: 'file format version 3', meaning: 'PyTorch 1.6 or later' },
        { evidence: 'no byteorder or .data/serialization_id record', meaning: 'PyTorch 2.0 or earlier' },
      ],
    });
    expect(r.opset).toBe(17);
    // Scripted code reaches torch.batch_norm and torch.dropout through functional.py's free functions.
    expect(r.ops.map((u) => [u.op, u.calls, u.status])).toEqual([
      ['aten::add', 1, 'supported'],
      ['aten::add_', 1, 'supported'],
      ['aten::batch_norm', 1, 'supported'],
      ['aten::conv2d', 1, 'supported'],
      ['aten::dim', 2, 'builtin'],
      ['aten::dropout', 1, 'supported'],
      ['aten::dropout_', 1, 'supported'],
      ['aten::eq', 1, 'supported'],
      ['aten::format', 3, 'builtin'],
      ['aten::gt', 1, 'supported'],
      ['aten::len', 1, 'builtin'],
      ['aten::lt', 1, 'supported'],
      ['aten::mul', 1, 'supported'],
      ['aten::ne', 1, 'supported'],
      ['aten::relu', 1, 'supported'],
      ['aten::size', 1, 'supported'],
      ['aten::sub', 1, 'supported'],
      ['prim::RaiseException', 3, 'builtin'],
    ]);
  });

  it('a 2.6 trace: traced, PyTorch 2.1 or later from its records', async () => {
    const r = await inspect(fixture('archive', '2.6', 'cnn_traced.pt'));
    expect(r.archive.kind).toBe('traced');
    expect(r.archive.producer).toBe('PyTorch 2.1 or later');
    expect(r.archive.hints.map((h) => h.evidence)).toEqual([
      '.data/serialization_id record',
      'byteorder record',
      'traced_inputs.pkl (example inputs of a trace)',
      'modules have _is_full_backward_hook',
      'file format version 3',
    ]);
    expect(r.ops.map((u) => `${u.op} ${u.status}`)).toEqual([
      'aten::_convolution supported', 'aten::batch_norm supported', 'aten::linear supported', 'aten::mean supported', 'aten::relu supported',
    ]);
    expect(r.totals).toEqual({ parameters: 130, parameterBytes: 520, buffers: 9, bufferBytes: 40 });
  });

  it('gives the example inputs a 2.x trace stores, and a command that converts with them', async () => {
    const path = fixture('models', 'small_cnn', 'torch26', 'model.pt');
    const r = await inspect(path);
    expect(r.exampleInputs).toEqual(['float32[1,3,32,32]']);
    expect(r.command).toBe(`tsonnx ${path} model.onnx --input 'float32[1,3,32,32]'`);
    expect(formatInspectReport(r)).toContain(`\n  inputs    float32[1,3,32,32] (stored by the trace)\n  convert   ${r.command}\n`);
    // Scripted archives and 1.x traces store none.
    const older = await inspect(fixture('models', 'small_cnn', 'torch113', 'model.pt'));
    expect([older.exampleInputs, older.command]).toEqual([undefined, undefined]);
  });

  it('a 1.13 trace: argument_<n> names give it away; nested Sequential paths', async () => {
    const r = await inspect(fixture('models', 'small_cnn', 'torch113', 'model.pt'));
    expect(r.archive.kind).toBe('traced');
    expect(r.archive.producer).toBe('PyTorch 1.8 to 2.0');
    const features = r.modules.children[0];
    expect([features.path, features.className, features.parameters, features.buffers]).toEqual(['features', 'torch.nn.modules.container.Sequential', 6088, 115]);
    expect(features.children[0].children.map((m) => [m.path, m.className.split('.').at(-1), m.parameters])).toEqual([
      ['features.0.0', 'Conv2d', 216],
      ['features.0.1', 'BatchNorm2d', 16],
      ['features.0.2', 'ReLU', 0],
    ]);
    expect(r.totals.parameters).toBe(6418);
  });

  it('signatures keep defaults as written; other methods are listed', async () => {
    const defaults = await inspect(fixture('control', 'optional_defaults', 'torch113', 'model.pt'));
    expect(defaults.forward?.signature).toBe('forward(x: Tensor, scale: float = 2., bias: Optional[Tensor] = None) -> Tensor');
    expect(defaults.forward?.params).toEqual([
      { name: 'x', type: 'Tensor' },
      { name: 'scale', type: 'float', default: '2.' },
      { name: 'bias', type: 'Optional[Tensor]', default: 'None' },
    ]);
    const methods = await inspect(fixture('control', 'export_method', 'torch113', 'model.pt'));
    expect(methods.methods.map((m) => m.signature)).toEqual(['helper(x: Tensor) -> Tensor', 'other(x: Tensor, shift: int = 1) -> Tensor']);
  });

  it('judges op support at the given opset', async () => {
    const round = fixture('conformance', 'round_relu', 'torch113', 'model.pt');
    const at9 = await inspect(round, { opset: 9 });
    expect(at9.ops).toEqual([
      { op: 'aten::mul', calls: 1, status: 'supported', lowestOpset: 7 },
      { op: 'aten::relu', calls: 1, status: 'supported', lowestOpset: 7 },
      { op: 'aten::round', calls: 1, status: 'needs-opset', lowestOpset: 11 },
    ]);
    expect((await inspect(round, { opset: 11 })).ops[2].status).toBe('supported');
    await expect(inspect(round, { opset: 22 })).rejects.toMatchObject({ code: 'OPTION_INVALID' });
  });

  it('ops tsonnx has no lowering for, in-place forms, and builtins', async () => {
    const path = handMade([
      'class M(Module):',
      '  __parameters__ = []',
      '  __buffers__ = []',
      '  training : bool',
      '  def forward(self: __torch__.M,',
      '    x: Tensor,',
      '    n: int=3) -> Tensor:',
      '    _0 = torch.erfinv(x)',
      '    _1 = torch.len(torch.size(x))',
      '    return torch.relu_(ops.mylib.myop(_0, n))',
      '',
    ].join('\n'));
    const r = await inspect(path);
    expect(r.ops).toEqual([
      { op: 'aten::erfinv', calls: 1, status: 'unsupported' },
      { op: 'aten::len', calls: 1, status: 'builtin' },
      { op: 'aten::relu_', calls: 1, status: 'supported', lowestOpset: 7 },
      { op: 'aten::size', calls: 1, status: 'supported', lowestOpset: 1 },
      { op: 'mylib::myop', calls: 1, status: 'unsupported' },
    ]);
    expect(r.forward?.signature).toBe('forward(x: Tensor, n: int = 3) -> Tensor');
    // No hook attribute on a module: written before 1.8.
    expect(r.archive.producer).toBe('PyTorch 1.6 to 1.7');
  });

  it('a version-1 archive (op_version_set = 1): the PyTorch 1.3 era', async () => {
    const path = handMade(['op_version_set = 1', 'class M(Module):', '  __parameters__ = []', '  training : bool', '  def forward(self: __torch__.M,', '    argument_1: Tensor) -> Tensor:', '    return torch.neg(argument_1)', ''].join('\n'), { version: '1\n' });
    const r = await inspect(path);
    expect(r.archive).toMatchObject({ version: 1, kind: 'traced', producer: 'PyTorch 1.3 or earlier' });
    expect(r.archive.hints).toEqual([
      { evidence: 'modules lack _is_full_backward_hook', meaning: 'PyTorch 1.7 or earlier' },
      { evidence: 'op_version_set = 1 in code files', meaning: 'PyTorch 1.3 or earlier' },
    ]);
  });

  it.skipIf(!corpusAvailable())('a real 1.3-era archive (../shared/corpus)', async () => {
    const r = await inspect(join(corpusRoot, 'rw_reddit_bytelstm', 'model.pt'));
    expect([r.archive.version, r.archive.producer]).toEqual([1, 'PyTorch 1.3 or earlier']);
    expect(r.forward?.signature).toBe('forward(byte_input: Tensor) -> Tensor');
    expect(r.methods.map((m) => m.signature)).toEqual(['get_classes() -> List[str]']);
    expect(r.totals.parameters).toBe(198656);
  });

  it('says when a model is statically quantized, so that its integers depend on --quantized-engine', async () => {
    const quantized = await inspect(fixture('ops', 'q_conv2d', 'torch26', 'model.pt'));
    expect(quantized.staticallyQuantized).toBe(true);
    const line = formatInspectReport(quantized).split('\n').find((l) => l.startsWith('  engine'));
    expect(line).toMatch(/^  engine {4}statically quantized: .* --quantized-engine \(qnnpack, the default: .*; onednn: .*; onednn-torch1: .*\)$/);
    const dynamic = await inspect(fixture('ops', 'q_dynamic_lstm', 'torch26', 'model.pt'));
    expect(dynamic.ops.map((u) => u.op)).toContain('aten::quantized_lstm');
    expect(dynamic.staticallyQuantized).toBe(false);
    expect(formatInspectReport(dynamic)).not.toContain('  engine');
    expect((await inspect(convBnDropout)).staticallyQuantized).toBe(false);
  });

  it('formats a text report', async () => {
    const text = formatInspectReport(await inspect(fixture('archive', '2.6', 'cnn_traced.pt'), { opset: 13 }));
    const lines = text.split('\n');
    expect(lines[1]).toBe('  archive   file format version 3, little-endian, 24 records, traced');
    expect(lines[2]).toBe('  producer  PyTorch 2.1 or later');
    expect(lines).toContain('  forward   forward(x: Tensor) -> Tensor');
    expect(lines).toContain('  weights   130 parameters (520 B), 9 buffer elements (40 B)');
    expect(lines).toContain(`${'    conv  Conv2d'.padEnd(48)} ${'112'.padStart(12)}`);
    expect(lines).toContain('ops (5 of 5 tensor ops lowered at opset 13)');
    expect(lines).toContain('  aten::_convolution     1  ok');
  });
});

describe('helpers', () => {
  it('demangle drops __torch__ and ___torch_mangle_N', () => {
    expect(demangle('__torch__.torch.nn.modules.conv.___torch_mangle_4.Conv2d')).toBe('torch.nn.modules.conv.Conv2d');
    expect(demangle('__torch__.___torch_mangle_0.Net')).toBe('Net');
    expect(demangle('__torch__.Net')).toBe('Net');
  });

  it('exprText prints defaults as TorchScript writes them', () => {
    const [fn] = parseCode('x.py', 'def f(a: int=-1, b: List[int]=[1, 2], c: Tuple[int, int]=(3, 4), d: str="s", e: bool=True, g: float=1.5, h: float=3.) -> None:\n  return None\n').functions;
    expect(fn.params.map((p) => exprText(p.default!))).toEqual(['-1', '[1, 2]', '(3, 4)', '"s"', 'True', '1.5', '3.']);
  });
});
