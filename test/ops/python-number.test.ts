/**
 * src/ops/python-number.ts against every row of the table real TorchScript (1.13 and 2.6) computed:
 * test/fixtures/python-number/cases.json, written by scripts/fixtures/python_number_cases.py.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PyFloat } from '../../src/archive/types.js';
import { TsonnxError } from '../../src/errors.js';
import * as number from '../../src/ops/python-number.js';
import type { PyInt, PyNumber } from '../../src/ops/python-number.js';
import { fixturesRoot } from '../helpers/cases.js';

interface Group {
  op: string;
  python: string;
  printed: string;
  types: Array<'int' | 'float'>;
  /** Operands, then the result: `int:5`, `float:nan`, `bool:True`, `raise:RuntimeError: ...`, `crash:SIGFPE`. */
  rows: Array<Array<string | Record<string, string>>>;
}

const table = JSON.parse(readFileSync(join(fixturesRoot, 'python-number', 'cases.json'), 'utf-8')) as { versions: string[]; groups: Group[] };

type Operation = (...operands: PyNumber[]) => PyNumber | boolean;

const OPERATIONS: Record<string, Operation> = {
  add: number.add,
  sub: number.subtract,
  mul: number.multiply,
  div: number.trueDivide,
  floordiv: number.floorDivide,
  remainder: number.remainder,
  pow: number.power,
  fmod: number.fmod,
  lt: number.lessThan,
  le: number.lessEqual,
  eq: number.equal,
  ne: number.notEqual,
  and: (a, b) => number.bitAnd(a as PyInt, b as PyInt),
  or: (a, b) => number.bitOr(a as PyInt, b as PyInt),
  xor: (a, b) => number.bitXor(a as PyInt, b as PyInt),
  lshift: (a, b) => number.shiftLeft(a as PyInt, b as PyInt),
  rshift: (a, b) => number.shiftRight(a as PyInt, b as PyInt),
  neg: number.negate,
  abs: number.absolute,
  round: number.round,
  floor: number.floor,
  ceil: number.ceil,
  int: number.toInt,
  float: number.toFloat,
};

/** The table leaves out `>` and `>=`: they are `<` and `<=` with the operands swapped. */
const SWAPPED: Record<string, Operation> = {
  lt: (a, b) => number.greaterThan(b, a),
  le: (a, b) => number.greaterEqual(b, a),
};

function parseFloatText(text: string): number {
  return text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
}

function operand(type: 'int' | 'float', text: string): PyNumber {
  if (type === 'float') return new PyFloat(parseFloatText(text));
  const big = BigInt(text);
  return Number.isSafeInteger(Number(big)) && BigInt(Number(big)) === big ? Number(big) : big;
}

/** How a result reads in the table's notation, or the error it threw. */
function describe_(run: () => PyNumber | boolean): string {
  let result: PyNumber | boolean;
  try {
    result = run();
  } catch (e) {
    if (!(e instanceof TsonnxError)) throw e;
    return `${e.code}: ${e.message}`;
  }
  if (typeof result === 'boolean') return `bool:${result ? 'True' : 'False'}`;
  if (result instanceof PyFloat) {
    const v = result.value;
    return `float:${Number.isNaN(v) ? 'nan' : Object.is(v, -0) ? '-0.0' : String(v)}`;
  }
  // Ints are numbers exactly where they are safe, bigints beyond.
  if (typeof result === 'number' && !Number.isSafeInteger(result)) return `unsafe number ${result}`;
  if (typeof result === 'bigint' && Number.isSafeInteger(Number(result))) return `bigint in the safe range ${result}`;
  return `int:${result}`;
}

/** The table's result in the notation describe_ gives, with messages as the module words them. */
function expected(result: string): string {
  const [kind, value] = [result.slice(0, result.indexOf(':')), result.slice(result.indexOf(':') + 1)];
  switch (kind) {
    case 'float': {
      const v = parseFloatText(value);
      return `float:${Number.isNaN(v) ? 'nan' : Object.is(v, -0) ? '-0.0' : String(v)}`;
    }
    case 'raise':
      return `TRACE_RAISE: the model raises ${value}`;
    case 'crash':
      return `TRACE_RAISE: the model crashes TorchScript (${value}`;
    default:
      return result;
  }
}

/** One unit in the last place of `x`. */
function ulp(x: number): number {
  const magnitude = Math.abs(x);
  return magnitude === 0 ? Number.MIN_VALUE : 2 ** (Math.floor(Math.log2(magnitude)) - 52);
}

function matches(op: string, got: string, want: string): boolean {
  // A crash message goes on to name the operation; the table records only the signal.
  if (want.startsWith('TRACE_RAISE: the model crashes')) return got.startsWith(want);
  // V8's pow is not correctly rounded, glibc's is: a fractional power may differ in the last bit.
  if (op === 'pow' && got.startsWith('float:') && want.startsWith('float:')) {
    const [g, w] = [parseFloatText(got.slice(6)), parseFloatText(want.slice(6))];
    return Object.is(g, w) || Math.abs(g - w) <= ulp(w);
  }
  return got === want;
}

describe('Python numbers as TorchScript computes them', () => {
  it('has one result per row: PyTorch 1.13 and 2.6 agree everywhere', () => {
    expect(table.versions).toEqual(['torch113', 'torch26']);
    const disagreements = table.groups.flatMap((g) => g.rows.filter((r) => typeof r[r.length - 1] !== 'string'));
    expect(disagreements).toEqual([]);
  });

  for (const group of table.groups) {
    it(`${group.python} on ${group.types.join(', ')} (${group.printed})`, () => {
      const operations = [OPERATIONS[group.op], SWAPPED[group.op]].filter((f) => f !== undefined);
      expect(operations.length).toBeGreaterThan(0);
      const mismatches: string[] = [];
      for (const row of group.rows as string[][]) {
        const operands = row.slice(0, -1).map((text, i) => operand(group.types[i], text));
        const want = expected(row[row.length - 1]);
        for (const operation of operations) {
          const got = describe_(() => operation(...operands));
          if (!matches(group.op, got, want)) {
            mismatches.push(`${row.slice(0, -1).join(', ')}: got ${got}, want ${want}`);
          }
        }
      }
      expect(mismatches).toEqual([]);
    });
  }
});
