/**
 * src/ops/python-number.ts against every row of the table real TorchScript (1.13 and 2.6) computed:
 * test/fixtures/python-number/cases.json, written by scripts/fixtures/python_number_cases.py.
 */
import { describe, expect, it } from 'vitest';
import * as number from '../../src/ops/python-number.js';
import type { PyInt, PyNumber } from '../../src/ops/python-number.js';
import { describeResult, expectedResult, numberTable, operand, resultMatches } from '../helpers/python-number-table.js';

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
  atan2: number.atan2,
  copysign: number.copysign,
  gcd: (a, b) => number.gcd(a as PyInt, b as PyInt),
  isnan: (a) => number.classify(a, 'nan'),
  isinf: (a) => number.classify(a, 'inf'),
  ...Object.fromEntries(number.MATH_FUNCTION_NAMES.map((name) => [name, (a: PyNumber) => number.mathFunction(name, a)])),
};

/** The table leaves out `>` and `>=`: they are `<` and `<=` with the operands swapped. */
const SWAPPED: Record<string, Operation> = {
  lt: (a, b) => number.greaterThan(b, a),
  le: (a, b) => number.greaterEqual(b, a),
};

/** Ints come back as numbers exactly where they are safe integers, as bigints beyond. */
function isNormalInt(v: PyNumber | boolean): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v) && !Object.is(v, -0);
  return typeof v !== 'bigint' || !Number.isSafeInteger(Number(v));
}

describe('Python numbers as TorchScript computes them', () => {
  it('has one result per row: PyTorch 1.13 and 2.6 agree everywhere', () => {
    expect(numberTable.versions).toEqual(['torch113', 'torch26']);
    const disagreements = numberTable.groups.flatMap((g) => g.rows.filter((r) => typeof r[r.length - 1] !== 'string'));
    expect(disagreements).toEqual([]);
  });

  for (const group of numberTable.groups) {
    it(`${group.python} on ${group.types.join(', ')} (${group.printed})`, () => {
      const operations = [OPERATIONS[group.op], SWAPPED[group.op]].filter((f) => f !== undefined);
      expect(operations.length).toBeGreaterThan(0);
      const mismatches: string[] = [];
      for (const row of group.rows as string[][]) {
        const operands = row.slice(0, -1).map((text, i) => operand(group.types[i], text));
        const want = expectedResult(row[row.length - 1]);
        for (const operation of operations) {
          const got = describeResult(() => {
            const result = operation(...operands);
            return isNormalInt(result) ? result : `an int not in its normal form: ${String(result)}`;
          });
          if (!resultMatches(group.op, got, want)) mismatches.push(`${row.slice(0, -1).join(', ')}: got ${got}, want ${want}`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  }

  it('reads a JS number as the nearest int64: INT64_MAX held as the double 2^63 stays INT64_MAX', () => {
    expect(number.add(2 ** 63, 0)).toBe(2n ** 63n - 1n);
    expect(number.subtract(-(2 ** 64), 0)).toBe(-(2n ** 63n));
  });

  it('names the operation TorchScript crashes on', () => {
    expect(() => number.remainder(5, 0)).toThrow(/^the model crashes TorchScript \(SIGFPE, an integer division trap\) computing 5 % 0$/);
    expect(() => number.floorDivide(-(2n ** 63n), -1)).toThrow(/computing -9223372036854775808 \/\/ -1$/);
  });
});
