import { describe, expect, it } from 'vitest';
import { TsonnxError } from '../../src/errors.js';
import { parseCode, parseType } from '../../src/script/index.js';
import type { ClassDef, Expr, FunctionDef, Stmt } from '../../src/script/index.js';

/** Deep copy without `pos`, so tests can compare structure compactly. */
function noPos<T>(value: T): T {
  if (Array.isArray(value)) return value.map(noPos) as T;
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (key !== 'pos') copy[key] = noPos(item);
    return copy as T;
  }
  return value;
}

function statements(source: string): Stmt[] {
  const indented = source.split('\n').map((line) => `  ${line}`).join('\n');
  return parseCode('code/t.py', `def f():\n${indented}\n`).functions[0]!.body;
}

function expr(source: string): Expr {
  const [statement] = statements(source);
  if (statement?.kind !== 'expr') throw new Error(`not an expression statement: ${source}`);
  return statement.value;
}

function parseClass(source: string): ClassDef {
  return parseCode('code/t.py', source).classes[0]!;
}

function syntaxError(text: string, parse: (text: string) => unknown = (t) => parseCode('code/t.py', t)): TsonnxError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof TsonnxError) return error;
    throw error;
  }
  throw new Error('expected a syntax error');
}

const name = (id: string) => ({ kind: 'name', id });
const int = (value: number | bigint) => ({ kind: 'int', value });
const type = (typeName: string, ...args: unknown[]) => ({ kind: 'type', name: typeName, args });
const call = (func: unknown, args: unknown[], keywords: unknown[] = []) => ({ kind: 'call', func, args, keywords });
const attr = (object: unknown, attribute: string) => ({ kind: 'attribute', object, attr: attribute });

describe('parseCode: file level', () => {
  it('reads op_version_set, skips imports and collects classes and functions in order', () => {
    const file = parseCode('code/__torch__.py', [
      'op_version_set = 1',
      'import __torch__.torch.nn.modules.sparse',
      'import __torch__.torch.nn.modules.rnn',
      'class A(Module):',
      '  training : bool',
      'def g(x: Tensor) -> Tensor:',
      '  return x',
      'class B:',
      '  pass',
      '',
    ].join('\n'));
    expect(file.path).toBe('code/__torch__.py');
    expect(file.opVersionSet).toBe(1);
    expect(file.classes.map((c) => [c.name, c.base])).toEqual([['A', 'Module'], ['B', undefined]]);
    expect(file.functions.map((f) => f.name)).toEqual(['g']);
  });

  it('accepts an empty file (torchbind classes print none)', () => {
    expect(parseCode('code/x.py', '')).toEqual({ path: 'code/x.py', classes: [], functions: [] });
  });
});

describe('parseCode: classes', () => {
  it('reads a module class with parameter lists, hooks, attributes, constants and methods', () => {
    const cls = parseClass([
      'class Conv2d(Module):',
      '  __parameters__ = ["weight", "bias", ]',
      '  __buffers__ = []',
      '  __forward_hooks__ = ["post", ]',
      '  __annotations__ = []',
      '  __annotations__["0"] = __torch__.torch.nn.modules.linear.Linear',
      '  weight : Tensor',
      '  bias : Optional[Tensor]',
      '  _is_full_backward_hook : NoneType',
      '  padding : Final[Tuple[int, int]] = (1, 1)',
      '  eps : Final[float] = 9.9999999999999995e-07',
      '  def forward(self: __torch__.torch.nn.modules.conv.___torch_mangle_4.Conv2d,',
      '    input: Tensor) -> Tensor:',
      '    return input',
      '',
    ].join('\n'));
    expect(cls.name).toBe('Conv2d');
    expect(cls.base).toBe('Module');
    expect(cls.pos).toEqual({ line: 1, column: 1, offset: 0 });
    expect(noPos(cls.members.slice(0, 9))).toEqual([
      { kind: 'classassign', name: '__parameters__', value: { kind: 'list', items: [{ kind: 'str', value: 'weight' }, { kind: 'str', value: 'bias' }] } },
      { kind: 'classassign', name: '__buffers__', value: { kind: 'list', items: [] } },
      { kind: 'classassign', name: '__forward_hooks__', value: { kind: 'list', items: [{ kind: 'str', value: 'post' }] } },
      { kind: 'classattr', name: '0', annotation: type('__torch__.torch.nn.modules.linear.Linear') },
      { kind: 'classattr', name: 'weight', annotation: type('Tensor') },
      { kind: 'classattr', name: 'bias', annotation: type('Optional', type('Tensor')) },
      { kind: 'classattr', name: '_is_full_backward_hook', annotation: type('NoneType') },
      {
        kind: 'classattr', name: 'padding', annotation: type('Final', type('Tuple', type('int'), type('int'))),
        value: { kind: 'tuple', items: [int(1), int(1)] },
      },
      { kind: 'classattr', name: 'eps', annotation: type('Final', type('float')), value: { kind: 'float', value: 9.9999999999999995e-7 } },
    ]);
    const forward = cls.members[9] as FunctionDef;
    expect(forward.kind).toBe('def');
    expect(noPos(forward.params)).toEqual([
      { name: 'self', annotation: type('__torch__.torch.nn.modules.conv.___torch_mangle_4.Conv2d') },
      { name: 'input', annotation: type('Tensor') },
    ]);
    expect(forward.params[1]!.pos).toEqual({ line: 13, column: 5, offset: expect.any(Number) });
    expect(noPos(forward.returns)).toEqual(type('Tensor'));
  });

  it('reads NamedTuple fields, Enum members, interfaces with untyped self and script classes', () => {
    const file = parseCode('code/__torch__.py', [
      'class Point(NamedTuple):',
      '  x : Tensor',
      '  y : int = 3',
      'class Color(Enum):',
      '  RED = 1',
      '  GREEN = "g"',
      '  BLUE = 2.5',
      'class ModInterface(ModuleInterface):',
      '  def forward(self, x: Tensor) -> Tensor:',
      '    pass',
      'class Counter:',
      '  count : int',
      '',
    ].join('\n'));
    expect(file.classes.map((c) => c.base)).toEqual(['NamedTuple', 'Enum', 'ModuleInterface', undefined]);
    expect(noPos(file.classes[0]!.members)).toEqual([
      { kind: 'classattr', name: 'x', annotation: type('Tensor') },
      { kind: 'classattr', name: 'y', annotation: type('int'), value: int(3) },
    ]);
    expect(noPos(file.classes[1]!.members)).toEqual([
      { kind: 'classassign', name: 'RED', value: int(1) },
      { kind: 'classassign', name: 'GREEN', value: { kind: 'str', value: 'g' } },
      { kind: 'classassign', name: 'BLUE', value: { kind: 'float', value: 2.5 } },
    ]);
    expect(noPos(file.classes[2]!.members)).toEqual([{
      kind: 'def', name: 'forward', params: [{ name: 'self' }, { name: 'x', annotation: type('Tensor') }],
      returns: type('Tensor'), body: [{ kind: 'pass' }],
    }]);
  });
});

describe('parseCode: function definitions', () => {
  it('reads annotations, defaults, the * marker and the return type', () => {
    const [f] = parseCode('code/f.py', [
      'def lstm(input: Tensor,',
      '    hx: Optional[Tuple[Tensor, Tensor]]=None,',
      '    *,',
      '    inplace: bool=False,',
      '    momentum: float=0.10000000000000001,',
      '    msg: str="Expected {}",',
      '    size: List[int]=[-1, 2]) -> Tuple[()]:',
      '  return ()',
    ].join('\n')).functions;
    expect(noPos(f!.params)).toEqual([
      { name: 'input', annotation: type('Tensor') },
      { name: 'hx', annotation: type('Optional', type('Tuple', type('Tensor'), type('Tensor'))), default: { kind: 'none' } },
      { name: 'inplace', annotation: type('bool'), default: { kind: 'bool', value: false } },
      { name: 'momentum', annotation: type('float'), default: { kind: 'float', value: 0.1 } },
      { name: 'msg', annotation: type('str'), default: { kind: 'str', value: 'Expected {}' } },
      { name: 'size', annotation: type('List', type('int')), default: { kind: 'list', items: [int(-1), int(2)] } },
    ]);
    expect(noPos(f!.returns)).toEqual(type('Tuple'));
    expect(noPos(f!.body)).toEqual([{ kind: 'return', value: { kind: 'tuple', items: [] } }]);
  });

  it('accepts a single-line suite', () => {
    const [f] = parseCode('code/f.py', 'def f(x: int) -> int: return x\n').functions;
    expect(noPos(f!.body)).toEqual([{ kind: 'return', value: name('x') }]);
  });
});

describe('parseCode: statements', () => {
  it('reads plain, tuple, trailing-comma, attribute and subscript assignments', () => {
    expect(noPos(statements([
      'a = e',
      'a, b = e1, e2',
      'k, v, = t',
      'self.count = torch.add(count, 1)',
      'x[i] = v',
    ].join('\n')))).toEqual([
      { kind: 'assign', targets: [name('a')], value: name('e'), trailingComma: false },
      { kind: 'assign', targets: [name('a'), name('b')], value: { kind: 'tuple', items: [name('e1'), name('e2')] }, trailingComma: false },
      { kind: 'assign', targets: [name('k'), name('v')], value: name('t'), trailingComma: true },
      {
        kind: 'assign', targets: [attr(name('self'), 'count')],
        value: call(attr(name('torch'), 'add'), [name('count'), int(1)]), trailingComma: false,
      },
      { kind: 'assign', targets: [{ kind: 'subscript', object: name('x'), index: name('i') }], value: name('v'), trailingComma: false },
    ]);
  });

  it('splits a chained assignment into one assignment per target list', () => {
    const [first, second] = statements('a = b = e');
    expect(noPos([first, second])).toEqual([
      { kind: 'assign', targets: [name('a')], value: name('e'), trailingComma: false },
      { kind: 'assign', targets: [name('b')], value: name('a'), trailingComma: false },
    ]);
    expect(second!.pos).toEqual({ line: 2, column: 7, offset: 15 });
  });

  it('reads annotated and augmented assignments', () => {
    expect(noPos(statements([
      'm : __torch__.ModInt = d[key]',
      'z : Union[float, int] = 1.5',
      'i += 1',
      'x //= 2',
    ].join('\n')))).toEqual([
      {
        kind: 'annassign', target: name('m'), annotation: type('__torch__.ModInt'),
        value: { kind: 'subscript', object: name('d'), index: name('key') },
      },
      { kind: 'annassign', target: name('z'), annotation: type('Union', type('float'), type('int')), value: { kind: 'float', value: 1.5 } },
      { kind: 'augassign', target: name('i'), op: '+', value: int(1) },
      { kind: 'augassign', target: name('x'), op: '//', value: int(2) },
    ]);
  });

  it('nests elif chains in orelse', () => {
    const [stmt] = statements([
      'if a:',
      '  pass',
      'elif b:',
      '  x = 1',
      'else:',
      '  x = 2',
    ].join('\n'));
    expect(noPos(stmt)).toEqual({
      kind: 'if', test: name('a'), body: [{ kind: 'pass' }],
      orelse: [{
        kind: 'if', test: name('b'),
        body: [{ kind: 'assign', targets: [name('x')], value: int(1), trailingComma: false }],
        orelse: [{ kind: 'assign', targets: [name('x')], value: int(2), trailingComma: false }],
      }],
    });
    expect(stmt!.kind === 'if' && stmt.orelse[0]!.pos).toEqual({ line: 4, column: 3, offset: 28 });
  });

  it('reads for, while, with, nested def and fork', () => {
    expect(noPos(statements([
      'for _5 in range(torch.len(_4)):',
      '  break',
      'for k, v in items:',
      '  continue',
      'while _7:',
      '  _7, i = _8, i0',
      'with _1 as g, _2:',
      '  y = x',
      'def __forked_function():',
      '  return (impl).forward(y3, )',
      'fut = fork(__forked_function)',
    ].join('\n')))).toEqual([
      {
        kind: 'for', target: name('_5'),
        iter: call(name('range'), [call(attr(name('torch'), 'len'), [name('_4')])]), body: [{ kind: 'break' }],
      },
      { kind: 'for', target: { kind: 'tuple', items: [name('k'), name('v')] }, iter: name('items'), body: [{ kind: 'continue' }] },
      {
        kind: 'while', test: name('_7'),
        body: [{
          kind: 'assign', targets: [name('_7'), name('i')],
          value: { kind: 'tuple', items: [name('_8'), name('i0')] }, trailingComma: false,
        }],
      },
      {
        kind: 'with', items: [{ context: name('_1'), name: 'g' }, { context: name('_2') }],
        body: [{ kind: 'assign', targets: [name('y')], value: name('x'), trailingComma: false }],
      },
      {
        kind: 'def', name: '__forked_function', params: [],
        body: [{ kind: 'return', value: call(attr(name('impl'), 'forward'), [name('y3')]) }],
      },
      { kind: 'assign', targets: [name('fut')], value: call(name('fork'), [name('__forked_function')]), trailingComma: false },
    ]);
  });

  it('reads return, raise, assert, del and global, and single-line suites', () => {
    expect(noPos(statements([
      'return',
      'return a, b',
      'raise',
      'raise ValueError("x")',
      'assert c',
      'assert c, "msg"',
      'del d[k], e',
      'global g, h',
      'if x: return 1',
      'else: pass',
    ].join('\n')))).toEqual([
      { kind: 'return' },
      { kind: 'return', value: { kind: 'tuple', items: [name('a'), name('b')] } },
      { kind: 'raise' },
      { kind: 'raise', value: call(name('ValueError'), [{ kind: 'str', value: 'x' }]) },
      { kind: 'assert', test: name('c') },
      { kind: 'assert', test: name('c'), msg: { kind: 'str', value: 'msg' } },
      { kind: 'del', targets: [{ kind: 'subscript', object: name('d'), index: name('k') }, name('e')] },
      { kind: 'if', test: name('x'), body: [{ kind: 'return', value: int(1) }], orelse: [{ kind: 'pass' }] },
    ]);
  });

  it('reads expression statements', () => {
    expect(noPos(statements('ops.prim.RaiseException("AssertionError: bad dim")'))).toEqual([{
      kind: 'expr',
      value: call(attr(attr(name('ops'), 'prim'), 'RaiseException'), [{ kind: 'str', value: 'AssertionError: bad dim' }]),
    }]);
  });
});

describe('parseCode: expressions', () => {
  it('reads calls with keywords, trailing commas and parenthesised receivers', () => {
    expect(noPos(expr('(obj).forward(x, )'))).toEqual(call(attr(name('obj'), 'forward'), [name('x')]));
    expect(noPos(expr('(cnt).inc()'))).toEqual(call(attr(name('cnt'), 'inc'), []));
    expect(noPos(expr('torch.zeros([2, 3], dtype=6, layout=None, )'))).toEqual(call(
      attr(name('torch'), 'zeros'),
      [{ kind: 'list', items: [int(2), int(3)] }],
      [{ name: 'dtype', value: int(6) }, { name: 'layout', value: { kind: 'none' } }],
    ));
    expect(noPos(expr('getattr(layers, "0")'))).toEqual(call(name('getattr'), [name('layers'), { kind: 'str', value: '0' }]));
  });

  it('positions a postfix chain at its first character, parenthesis included', () => {
    const value = expr('(obj).forward(x, )');
    expect(value.pos).toEqual({ line: 2, column: 3, offset: 11 });
    expect(value.kind === 'call' && value.func.kind === 'attribute' && value.func.object.pos).toEqual({ line: 2, column: 4, offset: 12 });
  });

  it('accepts keywords as attribute names', () => {
    expect(noPos(expr('obj.if'))).toEqual(attr(name('obj'), 'if'));
  });

  it('reads subscripts with slices and tuples', () => {
    expect(noPos(expr('x[:, 0:2, ::2]'))).toEqual({
      kind: 'subscript', object: name('x'),
      index: {
        kind: 'tuple', items: [
          { kind: 'slice' },
          { kind: 'slice', lower: int(0), upper: int(2) },
          { kind: 'slice', step: int(2) },
        ],
      },
    });
    expect(noPos(expr('(t)[1:3]'))).toEqual({ kind: 'subscript', object: name('t'), index: { kind: 'slice', lower: int(1), upper: int(3) } });
    expect(noPos(expr('(torch.size(y11))[-1]'))).toEqual({
      kind: 'subscript', object: call(attr(name('torch'), 'size'), [name('y11')]), index: int(-1),
    });
    expect(noPos(expr('x[1:, None, ...]'))).toEqual({
      kind: 'subscript', object: name('x'),
      index: { kind: 'tuple', items: [{ kind: 'slice', lower: int(1) }, { kind: 'none' }, { kind: 'ellipsis' }] },
    });
    expect(noPos(expr('x[i,]'))).toEqual({ kind: 'subscript', object: name('x'), index: { kind: 'tuple', items: [name('i')] } });
  });

  it('reads tuples, lists, dicts and list comprehensions', () => {
    expect(noPos(expr('(a,)'))).toEqual({ kind: 'tuple', items: [name('a')] });
    expect(noPos(expr('()'))).toEqual({ kind: 'tuple', items: [] });
    expect(noPos(expr('(a)'))).toEqual(name('a'));
    expect(noPos(expr('[a, b, ]'))).toEqual({ kind: 'list', items: [name('a'), name('b')] });
    expect(noPos(expr('{"a": y5, "b": 1, }'))).toEqual({
      kind: 'dict', keys: [{ kind: 'str', value: 'a' }, { kind: 'str', value: 'b' }], values: [name('y5'), int(1)],
    });
    expect(noPos(expr('{}'))).toEqual({ kind: 'dict', keys: [], values: [] });
    expect(noPos(expr('[s * 2 for s in xs]'))).toEqual({
      kind: 'listcomp', element: { kind: 'binary', op: '*', left: name('s'), right: int(2) }, target: name('s'), iter: name('xs'),
    });
  });

  it('reads literals, folding a minus sign into numbers', () => {
    expect(noPos(expr('[-1, -1000000000., -0., -9223372036854775808, 9223372036854775807, -2j, -(x)]'))).toEqual({
      kind: 'list', items: [
        int(-1), { kind: 'float', value: -1e9 }, { kind: 'float', value: -0 }, int(-9223372036854775808n),
        int(9223372036854775807n), { kind: 'complex', imag: -2 }, { kind: 'unary', op: '-', operand: name('x') },
      ],
    });
    const negativeZero = expr('-0.');
    expect(negativeZero.kind === 'float' && Object.is(negativeZero.value, -0)).toBe(true);
    expect(negativeZero.pos.column).toBe(3);
    expect(noPos(expr('[True, False, None, ..., inf, -inf, "a" \'b\' """c"""]'))).toEqual({
      kind: 'list', items: [
        { kind: 'bool', value: true }, { kind: 'bool', value: false }, { kind: 'none' }, { kind: 'ellipsis' },
        name('inf'), { kind: 'unary', op: '-', operand: name('inf') }, { kind: 'str', value: 'abc' },
      ],
    });
  });

  it('reads the ternary operator, right-associative', () => {
    expect(noPos(expr('a if c else b if d else e'))).toEqual({
      kind: 'ternary', test: name('c'), body: name('a'),
      orelse: { kind: 'ternary', test: name('d'), body: name('b'), orelse: name('e') },
    });
  });

  it('reads chained comparisons and two-word operators', () => {
    expect(noPos(expr('1 < idx <= 3'))).toEqual({ kind: 'compare', left: int(1), ops: ['<', '<='], comparators: [name('idx'), int(3)] });
    expect(noPos(expr('a is not None'))).toEqual({ kind: 'compare', left: name('a'), ops: ['is not'], comparators: [{ kind: 'none' }] });
    expect(noPos(expr('k not in d'))).toEqual({ kind: 'compare', left: name('k'), ops: ['not in'], comparators: [name('d')] });
    expect(noPos(expr('a is b == c in d'))).toEqual({
      kind: 'compare', left: name('a'), ops: ['is', '==', 'in'], comparators: [name('b'), name('c'), name('d')],
    });
    expect(noPos(expr('(a < b) < c'))).toEqual({
      kind: 'compare', left: { kind: 'compare', left: name('a'), ops: ['<'], comparators: [name('b')] }, ops: ['<'], comparators: [name('c')],
    });
  });

  it('reads special forms with type arguments', () => {
    expect(noPos(expr('annotate(List[int], [])'))).toEqual(call(name('annotate'), [
      { kind: 'typearg', type: type('List', type('int')) }, { kind: 'list', items: [] },
    ]));
    expect(noPos(expr('unchecked_cast(Tuple[Tensor, Tensor], hx)'))).toEqual(call(name('unchecked_cast'), [
      { kind: 'typearg', type: type('Tuple', type('Tensor'), type('Tensor')) }, name('hx'),
    ]));
    expect(noPos(expr('uninitialized(Optional[Tensor])'))).toEqual(call(name('uninitialized'), [
      { kind: 'typearg', type: type('Optional', type('Tensor')) },
    ]));
    expect(noPos(expr('isinstance(z, float)'))).toEqual(call(name('isinstance'), [name('z'), { kind: 'typearg', type: type('float') }]));
    expect(noPos(expr('isinstance(x, (int, __torch__.A))'))).toEqual(call(name('isinstance'), [
      name('x'), { kind: 'tuple', items: [{ kind: 'typearg', type: type('int') }, { kind: 'typearg', type: type('__torch__.A') }] },
    ]));
    expect(noPos(expr('annotate(Dict[str, Tensor], {})'))).toEqual(call(name('annotate'), [
      { kind: 'typearg', type: type('Dict', type('str'), type('Tensor')) }, { kind: 'dict', keys: [], values: [] },
    ]));
  });

  it('keeps type-like arguments of other calls as values', () => {
    expect(noPos(expr('__torch__.Counter.__new__(__torch__.Counter)'))).toEqual(call(
      attr(attr(name('__torch__'), 'Counter'), '__new__'), [attr(name('__torch__'), 'Counter')],
    ));
  });
});

describe('parseCode: precedence (TorchScript, not Python)', () => {
  it('binds not looser than comparisons', () => {
    expect(noPos(expr('not a == b'))).toEqual({
      kind: 'unary', op: 'not', operand: { kind: 'compare', left: name('a'), ops: ['=='], comparators: [name('b')] },
    });
  });

  it('gives and/or one left-associative level', () => {
    expect(noPos(expr('a and b or c'))).toEqual({
      kind: 'boolop', op: 'or', values: [{ kind: 'boolop', op: 'and', values: [name('a'), name('b')] }, name('c')],
    });
    expect(noPos(expr('a or b and c'))).toEqual({
      kind: 'boolop', op: 'and', values: [{ kind: 'boolop', op: 'or', values: [name('a'), name('b')] }, name('c')],
    });
    expect(noPos(expr('a and b and c'))).toEqual({ kind: 'boolop', op: 'and', values: [name('a'), name('b'), name('c')] });
    expect(noPos(expr('not a and b'))).toEqual({
      kind: 'boolop', op: 'and', values: [{ kind: 'unary', op: 'not', operand: name('a') }, name('b')],
    });
  });

  it('binds unary minus looser than ** and ~ looser than +', () => {
    expect(noPos(expr('-x ** 2'))).toEqual({
      kind: 'unary', op: '-', operand: { kind: 'binary', op: '**', left: name('x'), right: int(2) },
    });
    expect(noPos(expr('~a + b'))).toEqual({
      kind: 'unary', op: '~', operand: { kind: 'binary', op: '+', left: name('a'), right: name('b') },
    });
    expect(noPos(expr('-2 * x'))).toEqual({ kind: 'binary', op: '*', left: int(-2), right: name('x') });
  });

  it('orders binary operators and associates ** to the right', () => {
    expect(noPos(expr('a | b ^ c & d << e + f * g ** h ** i'))).toEqual({
      kind: 'binary', op: '|', left: name('a'), right: {
        kind: 'binary', op: '^', left: name('b'), right: {
          kind: 'binary', op: '&', left: name('c'), right: {
            kind: 'binary', op: '<<', left: name('d'), right: {
              kind: 'binary', op: '+', left: name('e'), right: {
                kind: 'binary', op: '*', left: name('f'), right: {
                  kind: 'binary', op: '**', left: name('g'), right: { kind: 'binary', op: '**', left: name('h'), right: name('i') },
                },
              },
            },
          },
        },
      },
    });
    expect(noPos(expr('a - b - c'))).toEqual({
      kind: 'binary', op: '-', left: { kind: 'binary', op: '-', left: name('a'), right: name('b') }, right: name('c'),
    });
    expect(noPos(expr('a @ b // c % d / e'))).toEqual({
      kind: 'binary', op: '/', left: {
        kind: 'binary', op: '%', left: {
          kind: 'binary', op: '//', left: { kind: 'binary', op: '@', left: name('a'), right: name('b') }, right: name('c'),
        }, right: name('d'),
      }, right: name('e'),
    });
  });

  it('puts the ternary below and/or', () => {
    expect(noPos(expr('a or b if c else d'))).toEqual({
      kind: 'ternary', test: name('c'), body: { kind: 'boolop', op: 'or', values: [name('a'), name('b')] }, orelse: name('d'),
    });
  });
});

describe('parseCode: positions', () => {
  it('gives lines, columns and UTF-8 byte offsets after non-ASCII text', () => {
    const text = [
      'def f(x: Tensor) -> Tensor:',
      '  _0 = "naïve café 😀"  # déjà vu',
      '  return torch.add(x, _0)',
      '',
    ].join('\n');
    const [, ret] = parseCode('code/t.py', text).functions[0]!.body;
    const returnOffset = Buffer.byteLength('def f(x: Tensor) -> Tensor:\n  _0 = "naïve café 😀"  # déjà vu\n  ');
    expect(ret!.pos).toEqual({ line: 3, column: 3, offset: returnOffset });
    expect(returnOffset).toBe(70);
    const value = ret!.kind === 'return' ? ret.value! : undefined;
    expect(value!.pos).toEqual({ line: 3, column: 10, offset: 77 });
    expect(value!.kind === 'call' && value.args[1]!.pos).toEqual({ line: 3, column: 23, offset: 90 });
  });

  it('positions binary expressions at their left operand, parenthesis included', () => {
    const [, statement] = statements('x = 1\n(a + b) * c');
    expect(statement!.kind === 'expr' && statement.value.pos).toEqual({ line: 3, column: 3, offset: 19 });
  });
});

describe('parseType', () => {
  it('reads names, generics, qualified names, string types and None', () => {
    expect(noPos(parseType('Tensor'))).toEqual(type('Tensor'));
    expect(noPos(parseType('Dict[str, List[Optional[int]]]'))).toEqual(
      type('Dict', type('str'), type('List', type('Optional', type('int')))),
    );
    expect(noPos(parseType('Tuple[()]'))).toEqual(type('Tuple'));
    expect(noPos(parseType('Union[Tensor, NoneType, None]'))).toEqual(type('Union', type('Tensor'), type('NoneType'), type('None')));
    expect(noPos(parseType('__torch__.torch.nn.modules.conv.___torch_mangle_4.Conv2d'))).toEqual(
      type('__torch__.torch.nn.modules.conv.___torch_mangle_4.Conv2d'),
    );
    expect(noPos(parseType('"__torch__.torch.classes.quantized.LinearPackedParamsBase"'))).toEqual(
      type('__torch__.torch.classes.quantized.LinearPackedParamsBase'),
    );
    expect(parseType('Optional[Tensor]').args[0]!.pos).toEqual({ line: 1, column: 10, offset: 9 });
  });

  it('rejects trailing text and non-types', () => {
    const trailing = syntaxError('List[int] x', parseType);
    expect(trailing.code).toBe('SCRIPT_SYNTAX');
    expect(trailing.message).toBe("expected end of input, found 'x'");
    expect(trailing.location).toEqual({ file: '<type>', line: 1, column: 11 });
    expect(syntaxError('List[3]', parseType).message).toBe("expected a type, found '3'");
  });
});

describe('parseCode: syntax errors', () => {
  it('reports an unexpected indent with its line', () => {
    const error = syntaxError('def f():\n  a = 1\n    b = 2\n');
    expect(error.code).toBe('SCRIPT_SYNTAX');
    expect(error.message).toBe('unexpected indent');
    expect(error.location).toEqual({ file: 'code/t.py', line: 3, column: 5 });
  });

  it('reports a missing indented block', () => {
    const error = syntaxError('def f():\nreturn 1\n');
    expect(error.message).toBe("expected an indented block, found 'return'");
    expect(error.location).toEqual({ file: 'code/t.py', line: 2, column: 1 });
  });

  it('reports an inconsistent dedent', () => {
    const error = syntaxError('class A(Module):\n    def f(self):\n        pass\n  x : int\n');
    expect(error.message).toBe('unindent does not match any outer indentation level');
    expect(error.location).toEqual({ file: 'code/t.py', line: 4, column: 3 });
  });

  it('reports an unterminated string', () => {
    const error = syntaxError('def f():\n  x = "abc\n');
    expect(error.message).toBe('unterminated string literal');
    expect(error.location).toEqual({ file: 'code/t.py', line: 2, column: 7 });
  });

  it('reports unexpected tokens with what was expected', () => {
    const missingParen = syntaxError('def f(x: Tensor) -> Tensor:\n  return torch.add(x, 1\n\n');
    expect(missingParen.message).toBe("expected ')', found end of file");
    expect(missingParen.location!.line).toBe(4);
    const strayOperator = syntaxError('def f():\n  y = x +\n');
    expect(strayOperator.message).toBe('unexpected end of line');
    expect(strayOperator.location).toEqual({ file: 'code/t.py', line: 2, column: 10 });
    const fileLevel = syntaxError('x = 1\n');
    expect(fileLevel.message).toBe("expected 'class', 'def' or 'import' at file level, found 'x'");
    expect(fileLevel.location).toEqual({ file: 'code/t.py', line: 1, column: 1 });
  });

  it('rejects assignments to non-targets', () => {
    const error = syntaxError('def f():\n  f(x) = 1\n');
    expect(error.message).toBe('cannot assign to a function call');
    expect(error.location).toEqual({ file: 'code/t.py', line: 2, column: 3 });
  });
});
