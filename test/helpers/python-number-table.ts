/**
 * The table of TorchScript's Python-number results (test/fixtures/python-number/cases.json, written by
 * scripts/fixtures/python_number_cases.py from PyTorch 1.13 and 2.6), and how to compare a result with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PyFloat } from '../../src/archive/types.js';
import { TsonnxError } from '../../src/errors.js';
import type { PyNumber } from '../../src/ops/python-number.js';
import { fixturesRoot } from './cases.js';

export interface NumberGroup {
  op: string;
  /** The scripted expression, `a % b`. */
  python: string;
  /** The expression as TorchScript prints it, `torch.remainder(a, b)`. */
  printed: string;
  types: Array<'int' | 'float'>;
  /** Operands, then the result: `int:5`, `float:nan`, `bool:True`, `raise:RuntimeError: ...`, `crash:SIGFPE`. */
  rows: Array<Array<string | Record<string, string>>>;
}

export const numberTable = JSON.parse(readFileSync(join(fixturesRoot, 'python-number', 'cases.json'), 'utf-8')) as {
  versions: string[];
  groups: NumberGroup[];
};

export function parseFloatText(text: string): number {
  return text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
}

/** An operand as the module takes it: ints are numbers within ±2^53, bigints beyond. */
export function operand(type: 'int' | 'float', text: string): PyNumber {
  if (type === 'float') return new PyFloat(parseFloatText(text));
  const big = BigInt(text);
  return Number.isSafeInteger(Number(big)) && BigInt(Number(big)) === big ? Number(big) : big;
}

function floatText(v: number): string {
  return `float:${Number.isNaN(v) ? 'nan' : Object.is(v, -0) ? '-0.0' : String(v)}`;
}

/** A result in the table's notation, or `<code>: <message>` for the TsonnxError it threw. */
export function describeResult(run: () => unknown): string {
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    if (!(e instanceof TsonnxError)) throw e;
    return `${e.code}: ${e.message}`;
  }
  if (typeof result === 'boolean') return `bool:${result ? 'True' : 'False'}`;
  if (result instanceof PyFloat) return floatText(result.value);
  if (typeof result === 'number' || typeof result === 'bigint') return `int:${BigInt(result)}`;
  return `unexpected ${String(result)}`;
}

/** The table's result in describeResult's notation, exceptions as the module words them. */
export function expectedResult(result: string): string {
  const colon = result.indexOf(':');
  const [kind, value] = [result.slice(0, colon), result.slice(colon + 1)];
  switch (kind) {
    case 'float':
      return floatText(parseFloatText(value));
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

const LAST_BIT_OPS = new Set(['pow', 'exp', 'log', 'log10', 'log1p', 'expm1', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh',
  'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'atan2', 'degrees', 'radians']);

export function resultMatches(op: string, got: string, want: string): boolean {
  // A crash message goes on to name the operation; the table records only the signal.
  if (want.startsWith('TRACE_RAISE: the model crashes')) return got.startsWith(want);
  // V8's pow and transcendental functions are not correctly rounded, glibc's are (or closer): a result may
  // differ in the last bit.
  if (LAST_BIT_OPS.has(op) && got.startsWith('float:') && want.startsWith('float:')) {
    const [g, w] = [parseFloatText(got.slice(6)), parseFloatText(want.slice(6))];
    return Object.is(g, w) || Math.abs(g - w) <= ulp(w);
  }
  return got === want;
}
