/**
 * Code files printed by torch 1.13 `torch.jit.save` (scripts/fixtures/script_fixtures.py), parsed whole,
 * with golden checks on the constructs each one is there for.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCode } from '../../src/script/index.js';
import type { ClassDef, CodeFile, Expr, FunctionDef, Stmt } from '../../src/script/index.js';

const FIXTURES = new URL('../fixtures/script/', import.meta.url);

function parseFixture(name: string, archivePath: string): CodeFile {
  return parseCode(archivePath, readFileSync(new URL(name, FIXTURES), 'utf8'));
}

function method(cls: ClassDef, name: string): FunctionDef {
  const found = cls.members.find((m): m is FunctionDef => m.kind === 'def' && m.name === name);
  if (!found) throw new Error(`no method ${name}`);
  return found;
}

/** Every statement, depth first, including those nested in blocks. */
function allStatements(body: Stmt[]): Stmt[] {
  return body.flatMap((s) => {
    switch (s.kind) {
      case 'if': return [s, ...allStatements(s.body), ...allStatements(s.orelse)];
      case 'for':
      case 'while':
      case 'with':
      case 'def': return [s, ...allStatements(s.body)];
      default: return [s];
    }
  });
}

/** Dotted text of a name/attribute chain (`torch.nn.functional.relu`). */
function dotted(expr: Expr): string {
  if (expr.kind === 'name') return expr.id;
  if (expr.kind === 'attribute') return `${dotted(expr.object)}.${expr.attr}`;
  return `<${expr.kind}>`;
}

describe('scripted nn.TransformerEncoder (torch 1.13)', () => {
  it('parses functional.py with multi_head_attention_forward', () => {
    const file = parseFixture('transformer_functional.py', 'code/__torch__/torch/nn/functional.py');
    expect(file.classes).toEqual([]);
    expect(file.functions.map((f) => f.name)).toEqual([
      'relu', 'multi_head_attention_forward', 'dropout', 'layer_norm', '_mha_shape_check',
      '_in_projection_packed', '_in_projection', 'softmax', '_get_softmax_dim',
    ]);
    const mha = file.functions[1]!;
    expect(mha.params).toHaveLength(24);
    expect(mha.params[23]).toMatchObject({ name: 'average_attn_weights', annotation: { name: 'bool' }, default: { kind: 'bool', value: true } });
    expect(mha.pos).toEqual({ line: 8, column: 1, offset: expect.any(Number) });
    expect(mha.returns).toMatchObject({ name: 'Tuple', args: [{ name: 'Tensor' }, { name: 'Optional', args: [{ name: 'Tensor' }] }] });
    // `_4 = "key\'s sequence ..."`: an escaped quote inside a double-quoted string.
    expect(mha.body[4]).toMatchObject({
      kind: 'assign', targets: [{ kind: 'name', id: '_4' }],
      value: { kind: 'str', value: "key's sequence and batch dims {} do not match value's {}" },
    });
    expect(mha.body[24]).toMatchObject({
      kind: 'assign', targets: [{ kind: 'name', id: '_24' }],
      value: { kind: 'call', func: { kind: 'name', id: 'uninitialized' }, args: [{ kind: 'typearg', type: { name: 'Optional', args: [{ name: 'Tensor' }] } }] },
    });
    const raises = allStatements(mha.body).filter((s) => s.kind === 'expr' && s.value.kind === 'call' && dotted(s.value.func) === 'ops.prim.RaiseException');
    expect(raises.length).toBeGreaterThanOrEqual(10);
  });

  it('parses the MultiheadAttention and TransformerEncoder modules', () => {
    const activation = parseFixture('transformer_activation.py', 'code/__torch__/torch/nn/modules/activation.py');
    expect(activation.classes.map((c) => c.name)).toEqual(['MultiheadAttention']);
    const transformer = parseFixture('transformer_transformer.py', 'code/__torch__/torch/nn/modules/transformer.py');
    expect(transformer.classes.map((c) => [c.name, c.base])).toEqual([
      ['TransformerEncoder', 'Module'], ['TransformerEncoderLayer', 'Module'],
    ]);
    const layer = transformer.classes[1]!;
    expect(layer.members.filter((m) => m.kind === 'def').map((m) => m.name)).toEqual(['forward', '_sa_block', '_ff_block']);
    const calls = allStatements(method(layer, 'forward').body).flatMap((s) => (s.kind === 'assign' && s.value.kind === 'call' ? [dotted(s.value.func)] : []));
    expect(calls).toContain('torch._transformer_encoder_layer_fwd');
  });
});

describe('scripted nn.LSTM (torch 1.13)', () => {
  const file = parseFixture('lstm_rnn.py', 'code/__torch__/torch/nn/modules/rnn.py');
  const lstm = file.classes[0]!;

  it('reads the overloads, parameter list and constants', () => {
    expect(lstm.name).toBe('LSTM');
    expect(lstm.members.filter((m) => m.kind === 'def').map((m) => m.name)).toEqual([
      'forward__0', 'forward__1', 'permute_hidden', 'check_forward_args', 'check_input',
      'check_hidden_size', 'get_expected_hidden_size', 'get_expected_cell_size',
    ]);
    expect(file.functions.map((f) => f.name)).toEqual(['_apply_permutation']);
    const parameters = lstm.members[0]!;
    expect(parameters.kind === 'classassign' && parameters.value.kind === 'list' && parameters.value.items.length).toBe(8);
    expect(lstm.members.find((m) => m.name === 'dropout')).toMatchObject({
      kind: 'classattr', annotation: { name: 'Final', args: [{ name: 'float' }] }, value: { kind: 'float', value: 0 },
    });
    expect(method(lstm, 'forward__0').params[2]).toMatchObject({
      name: 'hx', annotation: { name: 'Optional', args: [{ name: 'Tuple', args: [{ name: 'Tensor' }, { name: 'Tensor' }] }] }, default: { kind: 'none' },
    });
  });

  it('reads the tuple unpacking and the aten::lstm call', () => {
    const body = allStatements(method(lstm, 'forward__0').body);
    const unpack = body.find((s) => s.kind === 'assign' && s.trailingComma);
    expect(unpack).toMatchObject({ targets: [{ id: '_13' }, { id: '_14' }], value: { kind: 'name', id: 'hx0' } });
    const call = body.find((s) => s.kind === 'assign' && s.targets.length === 3);
    expect(call).toMatchObject({ trailingComma: false, targets: [{ id: '_15' }, { id: '_16' }, { id: '_17' }] });
    const value = call!.kind === 'assign' ? call.value : undefined;
    expect(value?.kind === 'call' && dotted(value.func)).toBe('torch.lstm');
    expect(value?.kind === 'call' && value.args.map((a) => a.kind)).toEqual([
      'name', 'list', 'name', 'bool', 'int', 'float', 'name', 'bool', 'bool',
    ]);
  });
});

describe('scripted googlenet and inception_v3 (torch 1.13)', () => {
  it('reads the NamedTuple output classes', () => {
    const outputs = parseFixture('googlenet_outputs.py', 'code/__torch__/torchvision/models/googlenet.py');
    expect(outputs.classes[0]).toMatchObject({
      name: 'GoogLeNetOutputs', base: 'NamedTuple',
      members: [
        { kind: 'classattr', name: 'logits', annotation: { name: 'Tensor', args: [] } },
        { kind: 'classattr', name: 'aux_logits2', annotation: { name: 'Optional', args: [{ name: 'Tensor' }] } },
        { kind: 'classattr', name: 'aux_logits1', annotation: { name: 'Optional', args: [{ name: 'Tensor' }] } },
      ],
    });
  });

  it('reads the GoogLeNet forward that builds the NamedTuple', () => {
    const googlenet = parseFixture('googlenet_module.py', 'code/__torch__/torchvision/models/googlenet/___torch_mangle_1308.py').classes[0]!;
    expect(googlenet.members.find((m) => m.name === 'aux_logits')).toMatchObject({ kind: 'classattr', value: { kind: 'bool', value: true } });
    const forward = method(googlenet, 'forward');
    expect(forward.returns?.name).toBe('__torch__.torchvision.models.googlenet.GoogLeNetOutputs');
    expect(forward.body[2]).toMatchObject({
      kind: 'assign', trailingComma: true, targets: [{ id: 'x1' }, { id: 'aux1' }, { id: 'aux2' }],
      value: { kind: 'call', func: { kind: 'attribute', object: { kind: 'name', id: 'self' }, attr: '_forward' }, args: [{ id: 'x0' }] },
    });
    const build = forward.body[6]!;
    expect(build.kind === 'assign' && build.value.kind === 'call' && dotted(build.value.func)).toBe(
      '__torch__.torchvision.models.googlenet.GoogLeNetOutputs',
    );
    const annotated = allStatements(method(googlenet, '_forward').body).filter((s) => s.kind === 'annassign');
    expect(annotated.map((s) => s.kind === 'annassign' && [dotted(s.target), s.annotation.name, s.annotation.args[0]?.name])).toEqual([
      ['aux1', 'Optional', 'Tensor'], ['aux2', 'Optional', 'Tensor'],
    ]);
  });

  it('reads Inception3 and a scripted BatchNorm2d', () => {
    const inception = parseFixture('inception_module.py', 'code/__torch__/torchvision/models/inception/___torch_mangle_2017.py').classes[0]!;
    expect(inception.name).toBe('Inception3');
    expect(method(inception, 'forward').body[2]).toMatchObject({ kind: 'assign', trailingComma: true, targets: [{ id: 'x1' }, { id: 'aux' }] });
    const batchnorm = parseFixture('inception_batchnorm.py', 'code/__torch__/torch/nn/modules/batchnorm/___torch_mangle_1158.py').classes[0]!;
    const check = method(batchnorm, '_check_input_dim');
    expect(check.returns?.name).toBe('NoneType');
    expect(check.body[0]).toMatchObject({
      kind: 'if',
      test: { kind: 'call', args: [{ kind: 'call' }, { kind: 'int', value: 4 }] },
      body: [{ kind: 'assign' }, { kind: 'expr', value: { args: [{ id: '_4' }, { kind: 'str', value: 'builtins.ValueError' }] } }],
      orelse: [{ kind: 'pass' }],
    });
  });

  it('reads a mobilenet_v3 SqueezeExcitation', () => {
    const cls = parseFixture('mobilenet_squeeze_excitation.py', 'code/__torch__/torchvision/ops/misc/___torch_mangle_583.py').classes[0]!;
    expect(cls.name).toBe('SqueezeExcitation');
    expect(method(cls, '_scale').body).toHaveLength(11);
  });
});

describe('traced resnet18 and nn.LSTM (torch 1.13)', () => {
  it('reads the hoisted attribute reads and nested method calls of a trace', () => {
    const file = parseFixture('traced_resnet.py', 'code/__torch__/torchvision/models/resnet.py');
    expect(file.classes.map((c) => c.name)).toEqual(['ResNet', 'BasicBlock']);
    const forward = method(file.classes[0]!, 'forward');
    expect(forward.body.slice(0, 10).map((s) => s.kind === 'assign' && dotted(s.value))).toEqual([
      'self.fc', 'self.avgpool', 'self.layer4', 'self.layer3', 'self.layer2',
      'self.layer1', 'self.maxpool', 'self.relu', 'self.bn1', 'self.conv1',
    ]);
    expect(forward.body[10]).toMatchObject({
      value: {
        kind: 'call', func: { attr: 'forward', object: { id: 'bn1' } },
        args: [{ kind: 'call', func: { attr: 'forward', object: { id: 'conv1' } }, args: [{ id: 'x' }] }],
      },
    });
  });

  it('reads a traced LSTM with its factory keywords', () => {
    const lstm = parseFixture('traced_lstm_rnn.py', 'code/__torch__/torch/nn/modules/rnn/___torch_mangle_2018.py').classes[0]!;
    const body = method(lstm, 'forward').body;
    const zeros = body.find((s) => s.kind === 'assign' && s.targets[0]?.kind === 'name' && s.targets[0].id === 'hx');
    expect(zeros).toMatchObject({
      value: {
        kind: 'call',
        keywords: [
          { name: 'dtype', value: { kind: 'int', value: 6 } },
          { name: 'layout', value: { kind: 'none' } },
          { name: 'device', value: { kind: 'call', args: [{ kind: 'str', value: 'cpu' }] } },
          { name: 'pin_memory', value: { kind: 'bool', value: false } },
        ],
      },
    });
    expect(body[body.length - 1]).toMatchObject({
      kind: 'return',
      value: { kind: 'tuple', items: [{ id: '_3' }, { kind: 'tuple', items: [{ id: '_4' }, { id: '_5' }] }] },
    });
  });
});

describe('scripted language features (torch 1.13)', () => {
  const file = parseFixture('sugar.py', 'code/__torch__.py');

  it('reads every class form printed in one file', () => {
    expect(file.classes.map((c) => [c.name, c.base])).toEqual([
      ['Sugar', 'Module'], ['Impl', 'Module'], ['ModInterface', 'ModuleInterface'], ['Point', 'NamedTuple'], ['Counter', undefined],
    ]);
    const sugar = file.classes[0]!;
    expect(sugar.members[2]).toMatchObject({ kind: 'classassign', name: '__forward_hooks__', value: { items: [{ value: 'post' }] } });
    const [self, x] = method(file.classes[2]!, 'forward').params;
    expect(self!.name).toBe('self');
    expect(self!.annotation).toBeUndefined();
    expect(x).toMatchObject({ name: 'x', annotation: { name: 'Tensor' } });
    expect(method(file.classes[4]!, '__init__').returns?.name).toBe('NoneType');
  });

  it('reads with, fork, loops, isinstance and annotated assignments', () => {
    const body = method(file.classes[0]!, 'forward').body;
    const kinds = new Set(allStatements(body).map((s) => s.kind));
    expect([...kinds].sort()).toEqual(['annassign', 'assign', 'def', 'expr', 'for', 'if', 'pass', 'return', 'while', 'with']);
    const withStmt = body.find((s) => s.kind === 'with');
    expect(withStmt).toMatchObject({ items: [{ context: { id: '_2' } }], body: [{ kind: 'assign', targets: [{ id: 'y3' }] }] });
    const forked = body.find((s) => s.kind === 'def');
    expect(forked).toMatchObject({ name: '__forked_function', params: [], body: [{ kind: 'return' }] });
    const isinstance = allStatements(body).find((s) => s.kind === 'assign' && s.value.kind === 'call' && dotted(s.value.func) === 'isinstance');
    expect(isinstance).toMatchObject({ value: { args: [{ id: 'z' }, { kind: 'typearg', type: { name: 'float' } }] } });
    expect(allStatements(body).find((s) => s.kind === 'annassign')).toMatchObject({
      target: { id: 'z' }, annotation: { name: 'Union', args: [{ name: 'float' }, { name: 'int' }] }, value: { kind: 'float', value: 1.5 },
    });
  });

  it('keeps an int beyond 2^53 exact', () => {
    const body = method(file.classes[0]!, 'forward').body;
    const point = body[body.length - 2]!;
    expect(point).toMatchObject({ value: { args: [{ id: 'y6' }, { kind: 'int', value: 4611686028427387903n }] } });
  });

  it('reads the no_grad context manager class', () => {
    const grad = parseFixture('sugar_grad_mode.py', 'code/__torch__/torch/autograd/grad_mode.py').classes[0]!;
    expect(grad.name).toBe('no_grad');
    expect(grad.base).toBeUndefined();
    expect(grad.members.map((m) => m.name)).toEqual(['prev', '__enter__', '__exit__', '__init__']);
    expect(method(grad, '__exit__').params.map((p) => p.annotation?.name)).toEqual([
      '__torch__.torch.autograd.grad_mode.no_grad', 'Any', 'Any', 'Any',
    ]);
  });
});
