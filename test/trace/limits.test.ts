/**
 * Budgets of the trace stage: hostile code (deep nesting, recursion, endless or huge loops, huge
 * values) ends in a TRACE_LIMIT error naming its place, never in a stack overflow or an allocation
 * failure. Archives are built in the test; each names the line the error must point at.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, TsonnxError } from '../../src/index.js';
import { parseCode } from '../../src/script/index.js';
import { DEFAULT_TRACE_LIMITS } from '../../src/trace/limits.js';
import { tempDir } from '../archive/helpers.js';
import { runOnnx } from '../helpers/cases.js';
import { hostileArchive, traceArchive, traceError } from './hostile.js';

/** `forward(self, x: Tensor) -> Tensor` with the given body (lines indented by four spaces); its first line is line 6. */
function forward(body: string, more = ''): string {
  return `  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n${body}${more}`;
}

/** `torch.neg(` nested `depth` times around `inner`. */
function negs(depth: number, inner: string): string {
  return `${'torch.neg('.repeat(depth)}${inner}${')'.repeat(depth)}`;
}

/** The deepest `torch.neg(` nesting around `inner` the parser accepts in a forward body. */
function deepestNeg(inner: string): number {
  let [low, high] = [1, 2000];
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    try {
      parseCode('code/__torch__.py', `class M(Module):\n${forward(`    return ${negs(mid, inner)}\n`)}`);
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  return low;
}

describe('nesting and recursion', () => {
  // First in the file: the JS stack holds the least before the JIT has warmed up.
  it('expressions as deep as the parser allows are interpreted', async () => {
    const neg = deepestNeg('x');
    expect(neg).toBeGreaterThanOrEqual(100);
    const calls = await traceArchive(hostileArchive(forward(`    return ${negs(neg, 'x')}\n`)), ['float32[2]']);
    expect(calls.body.nodes.filter((n) => n.op === 'aten::neg')).toHaveLength(neg);
    const sums = await traceArchive(hostileArchive(forward(`    return ${'('.repeat(450)}x${' + x)'.repeat(450)}\n`)), ['float32[2]']);
    expect(sums.body.nodes.filter((n) => n.op === 'aten::add')).toHaveLength(450);
  });

  it('nesting summed over calls stops at the evaluation depth budget', async () => {
    // A chain of methods, each returning the deepest expression the parser allows around a call of the next.
    const depth = deepestNeg('self.f1(x)');
    const count = Math.ceil(DEFAULT_TRACE_LIMITS.evalDepth / depth) + 1;
    const methods = Array.from({ length: count }, (_, i) => `  def f${i}(self: __torch__.M, x: Tensor) -> Tensor:\n    return ${negs(depth, `self.f${i + 1}(x)`)}\n`);
    const code = forward('    return self.f0(x)\n', `${methods.join('')}  def f${count}(self: __torch__.M, x: Tensor) -> Tensor:\n    return x\n`);
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toBe('expressions and statements nest more than 1,200 deep, counting every active call');
    expect(e.location?.file).toBe('code/__torch__.py');
    expect(e.location?.line).toBeGreaterThan(6);
  });

  it('mutual recursion stops at the call depth budget, naming the calls', async () => {
    const code = forward(
      '    return self.f(x)\n',
      '  def f(self: __torch__.M, x: Tensor) -> Tensor:\n    return self.g(x)\n' +
        '  def g(self: __torch__.M, x: Tensor) -> Tensor:\n    return self.f(x)\n',
    );
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toBe("calls nest more than 200 deep (... f -> g -> f -> g -> f -> g); TorchScript code cannot recurse, so this archive's code is malformed");
    expect(e.location).toMatchObject({ file: 'code/__torch__.py', line: 8 });
  });

  it('free functions calling each other stop the same way', async () => {
    const helpers = {
      'code/__torch__/helpers.py': 'def ping(x: Tensor) -> Tensor:\n  return __torch__.helpers.pong(x)\ndef pong(x: Tensor) -> Tensor:\n  return __torch__.helpers.ping(x)\n',
    };
    const e = await traceError(hostileArchive(forward('    return __torch__.helpers.ping(x)\n'), helpers), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toMatch(/^calls nest more than 200 deep \(\.\.\. ping -> pong -> ping -> pong -> ping -> pong\);/);
    expect(e.location).toMatchObject({ file: 'code/__torch__/helpers.py', line: 2 });
  });

  it('values nested 200,000 deep end in TRACE_LIMIT when printed, not in a stack overflow', async () => {
    const code = forward('    l = [0]\n    for _0 in range(200000):\n      l = [l]\n    return torch.add(x, len(str(l)))\n');
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toBe('the code nests calls or values too deeply to interpret');
    expect(e.location?.line).toBe(9);
  });
});

describe('unrolling', () => {
  it('a constant range of a billion iterations stops at the loop budget, naming the loop', async () => {
    const e = await traceError(hostileArchive(forward('    for _0 in range(1000000000):\n      pass\n    return x\n')), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toBe(
      'loop at code/__torch__.py:6 runs more than 1,000,000 iterations; loops on values known at conversion time are unrolled into the graph, and this one is too long to unroll',
    );
    expect(e.location).toMatchObject({ file: 'code/__torch__.py', line: 6 });
  });

  it('an endless while True stops at the loop budget', async () => {
    const e = await traceError(hostileArchive(forward('    y = x\n    while True:\n      y = y\n    return y\n')), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toMatch(/^loop at code\/__torch__\.py:7 runs more than 1,000,000 iterations;/);
    expect(e.location?.line).toBe(7);
  });

  it('nested loops stop at the conversion-wide step budget, naming the innermost loop', async () => {
    const code = forward('    for _0 in range(100000):\n      for _1 in range(100000):\n        pass\n    return x\n');
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toMatch(
      /^the code does more than 5,000,000 steps of work at conversion time \(statements, loop iterations, elements of the lists and strings it builds\) \(in the loop at code\/__torch__\.py:7, iteration [\d,]+\)$/,
    );
  });

  it('calls fanning out (2^40 calls, no loop) stop at the step budget', async () => {
    const levels = Array.from({ length: 40 }, (_, i) => `  def f${i}(self: __torch__.M, x: Tensor) -> Tensor:\n    y = self.f${i + 1}(x)\n    return self.f${i + 1}(y)\n`);
    const code = forward('    return self.f0(x)\n', `${levels.join('')}  def f40(self: __torch__.M, x: Tensor) -> Tensor:\n    return x\n`);
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'TRACE_LIMIT', { steps: 100_000 });
    expect(e.message).toMatch(/^the code does more than 100,000 steps of work/);
    expect(e.location?.file).toBe('code/__torch__.py');
  });

  it('a loop unrolling into too many nodes stops at the node budget', async () => {
    const code = forward('    for _0 in range(1000000):\n      x = torch.add(x, 1)\n    return x\n');
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'TRACE_LIMIT', { nodes: 5_000 });
    expect(e.message).toBe('the graph grows past 5,000 nodes (in the loop at code/__torch__.py:6, iteration 5,001)');
    expect(e.location).toMatchObject({ file: 'code/__torch__.py', line: 7 });
  });

  it('budgets are far above what a loop-heavy real model needs', async () => {
    // 3 x 1,000 unrolled iterations of tensor ops: well inside every default budget.
    const code = forward('    for _0 in range(3):\n      for _1 in range(1000):\n        x = torch.add(x, _1)\n    return x\n');
    const graph = await traceArchive(hostileArchive(code), ['float32[2]']);
    expect(graph.body.nodes).toHaveLength(3000);
    expect(DEFAULT_TRACE_LIMITS.nodes).toBeGreaterThanOrEqual(100 * 1000);
  });
});

describe('huge Python values', () => {
  const expectTooLarge = async (body: string, message: RegExp, line = 6) => {
    const e = await traceError(hostileArchive(forward(body)), ['float32[2]'], 'TRACE_LIMIT');
    expect(e.message).toMatch(message);
    expect(e.location?.line).toBe(line);
  };

  it('a list repeated a billion times', () =>
    expectTooLarge('    l = torch.mul([0], 1000000000)\n    return x\n', /^a list of 1 repeated 1000000000 times would hold 1,000,000,000 elements, more than the 1,000,000 the interpreter builds$/));

  it('a range of a billion made into a list', () =>
    expectTooLarge('    l = [i for i in range(torch.mul(1000, 1000000))]\n    return x\n', /^range\(1000000000\) would hold 1,000,000,000 elements/));

  it('a string doubled until it is huge', () =>
    expectTooLarge('    s = "ab"\n    for _0 in range(100):\n      s = torch.add(s, s)\n    return x\n', /^the str add\(\) makes would hold 1,048,576 elements/, 8));

  it('a list extended with itself until it is huge', () =>
    expectTooLarge('    l = [0]\n    for _0 in range(100):\n      torch.extend(l, l)\n    return x\n', /^an extended list would hold 1,048,576 elements/, 8));

  it('many large lists kept alive pay from the step budget', () =>
    expectTooLarge(
      '    keep = annotate(List[List[int]], [])\n    for _0 in range(100000):\n      _1 = torch.append(keep, torch.mul([0], 1000000))\n    return x\n',
      /^the code does more than 5,000,000 steps of work .*\(in the loop at code\/__torch__\.py:7, iteration 5\)$/,
      8,
    ));

  it('the text of a list that holds itself 2^100 times', () =>
    expectTooLarge('    l = [0]\n    for _0 in range(100):\n      l = [l, l]\n    return torch.add(x, len(str(l)))\n', /^the code does more than 5,000,000 steps of work/, 9));

  it('string repetition is refused as TorchScript refuses it, before anything is allocated', async () => {
    const e = await traceError(hostileArchive(forward('    s = torch.mul("a", 1000000000)\n    return x\n')), ['float32[2]'], 'TRACE_TYPE');
    expect(e.message).toMatch(/^aten::mul: no overload accepts \(str, int\)/);
  });

  it('range() with a zero step raises as Python does instead of looping forever', async () => {
    const e = await traceError(hostileArchive(forward('    l = [i for i in range(5, 0, 0)]\n    return x\n')), ['float32[2]'], 'TRACE_RAISE');
    expect(e.message).toBe('the model raises ValueError: range() arg 3 must not be zero');
  });
});

describe('forward with nothing to export', () => {
  it('a forward returning None is refused', async () => {
    const code = '  def forward(self: __torch__.M, x: Optional[Tensor]) -> NoneType:\n    return None\n';
    const e = await traceError(hostileArchive(code), ['null'], 'TRACE_UNSUPPORTED');
    expect(e.message).toBe('forward() returns no tensor; nothing to export');
    expect(e.location).toMatchObject({ file: 'code/__torch__.py', line: 5 });
  });

  it('a forward returning an empty tuple is refused', async () => {
    const code = '  def forward(self: __torch__.M, x: Tensor) -> Tuple[()]:\n    return ()\n';
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'TRACE_UNSUPPORTED');
    expect(e.message).toBe('forward() returns no tensor; nothing to export');
  });
});

describe('tensors too large to compute at conversion time', () => {
  const code = forward('    r = torch.arange(1000000000)\n    return torch.add(x, torch.sum(torch.slice(r, 0, 0, 2)))\n');

  it('a billion-element arange stays a graph node and runs as Range where the opset has it', async () => {
    const out = join(tempDir(), 'arange.onnx');
    const report = await convert(hostileArchive(code), out, { inputs: ['int64[2]'], opsetVersion: 17 });
    expect(report.nodes.Range).toBe(1);
    const [got] = await runOnnx(out, [{ name: 'x', dtype: 'int64', shape: [2], data: new BigInt64Array([5n, 7n]) }]);
    expect(Array.from(got.data as BigInt64Array, Number)).toEqual([6, 8]);
  });

  it('below opset 11 it would be a constant, which stops at the constant budget before allocating', async () => {
    const error = await convert(hostileArchive(code), join(tempDir(), 'arange9.onnx'), { inputs: ['int64[2]'], opsetVersion: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TsonnxError);
    expect((error as TsonnxError).code).toBe('TRACE_LIMIT');
    expect((error as TsonnxError).message).toBe('a constant of 1,000,000,000 elements is more than the 16,777,216 a conversion computes');
  });
});
