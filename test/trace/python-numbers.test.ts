/**
 * The interpreter computes Python numbers as TorchScript does: every row of the recorded table
 * (test/fixtures/python-number/cases.json) through the builtin its printed call reaches, and a scripted
 * forward end to end.
 */
import { describe, expect, it } from 'vitest';
import { callBuiltin } from '../../src/trace/builtins.js';
import type { Interpreter } from '../../src/trace/interpreter.js';
import type { PyValue } from '../../src/trace/values.js';
import { describeResult, expectedResult, numberTable, operand, resultMatches } from '../helpers/python-number-table.js';
import { hostileArchive, traceArchive, traceError } from './hostile.js';

/** The builtin a printed call names: `torch.remainder(a, b)` → torch.remainder, `int(a)` → builtins.int. */
function builtinPath(printed: string): string | undefined {
  const name = /^([\w.]+)\(/.exec(printed)?.[1];
  if (name === undefined) return undefined;
  return name.includes('.') ? name : `builtins.${name}`;
}

/** `>` and `>=` are `<` and `<=` with the operands swapped. */
const SWAPPED: Record<string, string> = { 'torch.lt': 'torch.gt', 'torch.le': 'torch.ge' };

/** Number builtins use the interpreter only to place errors. */
const interpreter = { location: () => undefined } as unknown as Interpreter;

/** The interpreter holds ints as JS numbers: beyond ±2^53 they are the nearest double. */
function asHeld(want: string): string {
  return want.startsWith('int:') ? `int:${BigInt(Number(want.slice(4)))}` : want;
}

describe('Python numbers in the interpreter', () => {
  for (const group of numberTable.groups) {
    const path = builtinPath(group.printed);
    if (path === undefined) continue; // `int(a)` on an int prints as `a`
    it(`${group.printed} on ${group.types.join(', ')}`, () => {
      const mismatches: string[] = [];
      for (const row of group.rows as string[][]) {
        const operands = row.slice(0, -1).map((text, i) => operand(group.types[i], text));
        if (operands.some((o) => typeof o === 'bigint')) continue;
        const want = asHeld(expectedResult(row[row.length - 1]));
        const calls: Array<[string, PyValue[]]> = [[path, operands as PyValue[]]];
        if (SWAPPED[path]) calls.push([SWAPPED[path], [...operands].reverse() as PyValue[]]);
        for (const [name, args] of calls) {
          const got = describeResult(() => callBuiltin(interpreter, name, args, new Map()));
          if (!resultMatches(group.op, got, want)) mismatches.push(`${name}(${row.slice(0, -1).join(', ')}): got ${got}, want ${want}`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('a scripted forward computes them as TorchScript does', async () => {
    const path = hostileArchive(
      '  def forward(self: __torch__.M, x: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:\n' +
        '    a = torch.remainder(3., -3.)\n' +
        '    b = torch.round(2.5)\n' +
        '    c = torch.floordiv(-7, 2)\n' +
        '    d = torch.remainder(1.0e17, 3)\n' +
        '    e = torch.pow(2, 3)\n' +
        '    return (x, ops.prim.NumToTensor(a), ops.prim.NumToTensor(b), ops.prim.NumToTensor(c), ops.prim.NumToTensor(d), ops.prim.NumToTensor(e))\n',
    );
    const graph = await traceArchive(path, ['float32[2]']);
    const known = graph.outputs.slice(1).map(({ value }) => [value.known?.type.kind === 'tensor' ? value.known.type.dtype : undefined, value.known?.values[0]]);
    expect(known).toEqual([
      ['float64', -0],
      ['float64', 2],
      ['int64', -4],
      ['float64', 1],
      ['float64', 8],
    ]);
  });

  it('an integer division by zero raises where the model does it', async () => {
    const e = await traceError(hostileArchive('  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    n = torch.floordiv(7, 0)\n    return x\n'), ['float32[2]'], 'TRACE_RAISE');
    expect(e.message).toBe('the model raises RuntimeError: division by 0');
    expect(e.location?.line).toBe(6);
  });
});
