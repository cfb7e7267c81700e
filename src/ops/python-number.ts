/**
 * TorchScript's arithmetic on Python numbers, as its interpreter computes it (PyTorch 1.13 and 2.6 agree):
 * `int` is int64 and `float` is a C double, and the ops are C++ expressions, not Python's: int
 * arithmetic wraps, `%` is `(b + a % b) % b` (so `3.0 % inf` is nan), `**` always returns a float,
 * `round` rounds half to even and returns a float, and an integer division by zero raises for `//`
 * but kills the process (SIGFPE) for `%`. Every result here was recorded from real TorchScript:
 * scripts/fixtures/python_number_cases.py, checked by test/ops/python-number.test.ts.
 *
 * Ints are JS numbers within ±2^53 and bigints beyond, as the pickle reader and the lexer give them;
 * a JS number stands for the int64 nearest to it, so INT64_MAX held as the double 2^63 stays INT64_MAX.
 */
import { PyFloat } from '../archive/types.js';
import { fail } from '../errors.js';

/** A TorchScript int (int64). */
export type PyInt = number | bigint;
/** A TorchScript int or float. */
export type PyNumber = PyInt | PyFloat;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** 2^63 as a double: the first double past INT64_MAX. */
const TWO_TO_63 = 2 ** 63;

function isInt(v: PyNumber): v is PyInt {
  return !(v instanceof PyFloat);
}

function toBigInt(v: PyInt): bigint {
  if (typeof v === 'bigint') return v;
  if (v >= TWO_TO_63) return INT64_MAX;
  if (v < -TWO_TO_63) return INT64_MIN;
  return BigInt(v);
}

/** An int64 result: wrapped as C++ wraps it, a number where that is exact. */
function int64(v: bigint): PyInt {
  const wrapped = BigInt.asIntN(64, v);
  return wrapped >= BigInt(Number.MIN_SAFE_INTEGER) && wrapped <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(wrapped) : wrapped;
}

/** The double an int converts to (`static_cast<double>`: nearest, ties to even). */
export function toDouble(v: PyNumber): number {
  if (v instanceof PyFloat) return v.value;
  return typeof v === 'bigint' ? Number(v) : v;
}

function text(v: PyNumber): string {
  if (isInt(v)) return String(toBigInt(v));
  const x = v.value;
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return Object.is(x, -0) ? '-0.0' : Number.isInteger(x) ? `${x}.0` : String(x);
}

function raises(message: string): never {
  return fail('TRACE_RAISE', `the model raises RuntimeError: ${message}`);
}

/** Integer division by zero, or INT64_MIN by -1, is a hardware trap: TorchScript dies of SIGFPE. */
function crashes(a: PyNumber, op: string, b: PyNumber): never {
  return fail('TRACE_RAISE', `the model crashes TorchScript (SIGFPE, an integer division trap) computing ${text(a)} ${op} ${text(b)}`);
}

/** Two safe-integer numbers' sum, difference or product, when it is still a safe integer (exact then). */
function safeResult(a: PyInt, b: PyInt, op: (x: number, y: number) => number): number | undefined {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isSafeInteger(a) || !Number.isSafeInteger(b)) return undefined;
  const r = op(a, b);
  // `0 * -1` is -0 in JS; an int has no sign of zero.
  return Number.isSafeInteger(r) ? r + 0 : undefined;
}

function intOrFloat(
  a: PyNumber,
  b: PyNumber,
  onInts: (x: PyInt, y: PyInt) => PyNumber,
  onDoubles: (x: number, y: number) => number,
): PyNumber {
  if (isInt(a) && isInt(b)) return onInts(a, b);
  return new PyFloat(onDoubles(toDouble(a), toDouble(b)));
}

/** `a + b` (`aten::add.int`/`.float`/`.int_float`/`.float_int`). */
export function add(a: PyNumber, b: PyNumber): PyNumber {
  return intOrFloat(a, b, (x, y) => safeResult(x, y, (p, q) => p + q) ?? int64(toBigInt(x) + toBigInt(y)), (x, y) => x + y);
}

/** `a - b`. */
export function subtract(a: PyNumber, b: PyNumber): PyNumber {
  return intOrFloat(a, b, (x, y) => safeResult(x, y, (p, q) => p - q) ?? int64(toBigInt(x) - toBigInt(y)), (x, y) => x - y);
}

/** `a * b`. */
export function multiply(a: PyNumber, b: PyNumber): PyNumber {
  return intOrFloat(a, b, (x, y) => safeResult(x, y, (p, q) => p * q) ?? int64(toBigInt(x) * toBigInt(y)), (x, y) => x * y);
}

/** `a / b` (`aten::div.*`): true division of doubles, a float even for two ints; `1 / 0` is inf. */
export function trueDivide(a: PyNumber, b: PyNumber): PyFloat {
  return new PyFloat(toDouble(a) / toDouble(b));
}

/**
 * `a // b` (`aten::floordiv.*`). Ints: floor of the exact quotient; `// 0` raises. Floats:
 * `floor(a / b)` of the rounded quotient, so `-3.0 // inf` is -0.0 (Python says -1.0) and `3.0 // 0.0` inf.
 */
export function floorDivide(a: PyNumber, b: PyNumber): PyNumber {
  return intOrFloat(
    a,
    b,
    (x, y) => {
      const [p, q] = [toBigInt(x), toBigInt(y)];
      if (q === 0n) return raises('division by 0');
      if (p === INT64_MIN && q === -1n) return crashes(a, '//', b);
      const quotient = p / q;
      return int64(p % q !== 0n && p < 0n !== q < 0n ? quotient - 1n : quotient);
    },
    (x, y) => Math.floor(x / y),
  );
}

/**
 * `a % b` (`aten::remainder.*`): TorchScript computes `(b + a % b) % b` with C's truncating `%` on
 * ints (wrapping in int64 on the way: `2**62 % (2**63 - 1)` is negative) and with `fmod` on doubles
 * (`3.0 % inf` and `3.0 % 0.0` are nan, `3.0 % -3.0` is -0.0). JS `%` on numbers is C's exact `fmod`.
 */
export function remainder(a: PyNumber, b: PyNumber): PyNumber {
  return intOrFloat(
    a,
    b,
    (x, y) => {
      const [p, q] = [toBigInt(x), toBigInt(y)];
      if (q === 0n || (p === INT64_MIN && q === -1n)) return crashes(a, '%', b);
      return int64(BigInt.asIntN(64, q + (p % q)) % q);
    },
    (x, y) => (y + (x % y)) % y,
  );
}

/** `math.fmod(a, b)` (`aten::fmod.*`): C `fmod` of the doubles, a float for ints too. */
export function fmod(a: PyNumber, b: PyNumber): PyFloat {
  return new PyFloat(toDouble(a) % toDouble(b));
}

/**
 * `a ** b` (`aten::pow.*`): C `pow` of the doubles, a float even for two ints (`2 ** 3` is 8.0);
 * zero to a negative power raises. C's `pow(1, nan)` and `pow(-1, ±inf)` are 1 where JS gives nan.
 * glibc's `pow` is correctly rounded and V8's is not: with a fractional exponent the result may differ
 * in the last bit (`0.5 ** -2.5`).
 */
export function power(a: PyNumber, b: PyNumber): PyFloat {
  const [x, y] = [toDouble(a), toDouble(b)];
  if (x === 0 && y < 0) return raises('0.0 cannot be raised to a negative power');
  if (x === 1 || (x === -1 && !Number.isFinite(y) && !Number.isNaN(y))) return new PyFloat(1);
  return new PyFloat(x ** y);
}

/** `-a`: `-INT64_MIN` wraps to itself. */
export function negate(a: PyNumber): PyNumber {
  return isInt(a) ? int64(-toBigInt(a)) : new PyFloat(-a.value);
}

/** `abs(a)` (`prim::abs`): `abs(INT64_MIN)` wraps to itself; `abs(-0.0)` is 0.0. */
export function absolute(a: PyNumber): PyNumber {
  if (!isInt(a)) return new PyFloat(Math.abs(a.value));
  const v = toBigInt(a);
  return int64(v < 0n ? -v : v);
}

/** Nearest double to `x` that is an integer, ties to even (C `nearbyint`); keeps -0.0, infinities and nan. */
export function roundHalfToEven(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 52) return x;
  const floor = Math.floor(x);
  const diff = x - floor;
  const rounded = diff < 0.5 ? floor : diff > 0.5 ? floor + 1 : floor % 2 === 0 ? floor : floor + 1;
  // Keep the sign of a result that rounds to zero: round(-0.5) is -0.0.
  return rounded === 0 && (x < 0 || Object.is(x, -0)) ? -0 : rounded;
}

/** `round(a)` (`aten::round.int`/`.float`): half to even, and a float for an int too. */
export function round(a: PyNumber): PyFloat {
  return new PyFloat(roundHalfToEven(toDouble(a)));
}

/** `static_cast<int64_t>` of a double on x86: truncation, and INT64_MIN for nan and anything outside int64. */
function truncateToInt64(x: number): bigint {
  return Number.isNaN(x) || x >= TWO_TO_63 || x < -TWO_TO_63 ? INT64_MIN : BigInt(Math.trunc(x));
}

/**
 * `floor`/`ceil` of a double as an int. c10 checks the range first (nan, infinities and values beyond
 * ±2^63 raise, but 2^63 itself passes: it is INT64_MAX rounded), then truncates and steps by one where
 * the truncation went the wrong way. That is floor/ceil everywhere but at 2^63, which truncates to
 * INT64_MIN: floor(2.0**63) is INT64_MIN and ceil(2.0**63) is INT64_MIN + 1, as TorchScript gives.
 */
function roundToInt(x: number, direction: 'floor' | 'ceil'): PyInt {
  if (Number.isNaN(x) || !Number.isFinite(x) || x > TWO_TO_63 || x < -TWO_TO_63) {
    // c10 formats the value with `%f`: every double this large is an integer.
    const shown = Number.isNaN(x) ? 'nan' : !Number.isFinite(x) ? (x > 0 ? 'inf' : '-inf') : `${BigInt(x)}.000000`;
    return raises(`Cannot convert float ${shown} to integer`);
  }
  const truncated = truncateToInt64(x);
  if (direction === 'floor' && x < Number(truncated)) return int64(truncated - 1n);
  if (direction === 'ceil' && x > Number(truncated)) return int64(truncated + 1n);
  return int64(truncated);
}

/** `math.floor(a)` (`aten::floor.int`/`.float`): an int. An int goes through a double: floor(2**53 + 1) is 2**53. */
export function floor(a: PyNumber): PyInt {
  return roundToInt(toDouble(a), 'floor');
}

/** `math.ceil(a)` (`aten::ceil.int`/`.float`): an int; unlike floor, an int is returned as it is. */
export function ceil(a: PyNumber): PyInt {
  return isInt(a) ? int64(toBigInt(a)) : roundToInt(a.value, 'ceil');
}

/** `int(a)` (`aten::Int.float`): truncation, unchecked, so nan, infinities and anything outside int64 become INT64_MIN. */
export function toInt(a: PyNumber): PyInt {
  return isInt(a) ? int64(toBigInt(a)) : int64(truncateToInt64(a.value));
}

/** `float(a)` (`aten::Float.int`): the nearest double. */
export function toFloat(a: PyNumber): PyFloat {
  return a instanceof PyFloat ? a : new PyFloat(toDouble(a));
}

/** `a & b` on ints. */
export function bitAnd(a: PyInt, b: PyInt): PyInt {
  return int64(toBigInt(a) & toBigInt(b));
}

/** `a | b` on ints. */
export function bitOr(a: PyInt, b: PyInt): PyInt {
  return int64(toBigInt(a) | toBigInt(b));
}

/** `a ^ b` on ints. */
export function bitXor(a: PyInt, b: PyInt): PyInt {
  return int64(toBigInt(a) ^ toBigInt(b));
}

/** The shift count x86 uses: its low 6 bits, so `1 << 64` is 1 and `1 << -1` is `1 << 63`. */
function shiftCount(b: PyInt): bigint {
  return BigInt.asUintN(6, toBigInt(b));
}

/** `a << b` on ints, wrapping in int64. */
export function shiftLeft(a: PyInt, b: PyInt): PyInt {
  return int64(toBigInt(a) << shiftCount(b));
}

/** `a >> b` on ints, arithmetic (sign-filling). */
export function shiftRight(a: PyInt, b: PyInt): PyInt {
  return int64(toBigInt(a) >> shiftCount(b));
}

/**
 * Compares `a` with `b`: negative, zero or positive, or NaN when a float operand is nan. Two ints
 * compare exactly; an int with a float compares as doubles, so `2**63 - 1 < 2.0**63` is False.
 */
function compare(a: PyNumber, b: PyNumber): number {
  if (isInt(a) && isInt(b)) {
    const [x, y] = [toBigInt(a), toBigInt(b)];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const [x, y] = [toDouble(a), toDouble(b)];
  return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
}

/** `a < b`. */
export function lessThan(a: PyNumber, b: PyNumber): boolean {
  return compare(a, b) < 0;
}

/** `a <= b`. */
export function lessEqual(a: PyNumber, b: PyNumber): boolean {
  return compare(a, b) <= 0;
}

/** `a > b`. */
export function greaterThan(a: PyNumber, b: PyNumber): boolean {
  return compare(a, b) > 0;
}

/** `a >= b`. */
export function greaterEqual(a: PyNumber, b: PyNumber): boolean {
  return compare(a, b) >= 0;
}

/** `a == b`: nan equals nothing, -0.0 equals 0.0. */
export function equal(a: PyNumber, b: PyNumber): boolean {
  return compare(a, b) === 0;
}

/** `a != b`. */
export function notEqual(a: PyNumber, b: PyNumber): boolean {
  return !equal(a, b);
}

/** One-argument `math` functions TorchScript runs on a double (`aten::sqrt.float`, ...), giving a float. */
const MATH_FUNCTIONS: Readonly<Record<string, (x: number) => number>> = {
  sqrt: Math.sqrt,
  exp: Math.exp,
  log: Math.log,
  log10: Math.log10,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  fabs: Math.abs,
  degrees: (x) => x * (180 / Math.PI),
  radians: (x) => x * (Math.PI / 180),
};

/** The names `mathFunction` takes. */
export const MATH_FUNCTION_NAMES: readonly string[] = Object.keys(MATH_FUNCTIONS);

/** `math.<name>(a)`: the C library function on the double (nan where C gives nan: `math.sqrt(-1.0)`, unlike Python). */
export function mathFunction(name: string, a: PyNumber): PyFloat {
  return new PyFloat(MATH_FUNCTIONS[name](toDouble(a)));
}

/** `math.atan2(a, b)`. */
export function atan2(a: PyNumber, b: PyNumber): PyFloat {
  return new PyFloat(Math.atan2(toDouble(a), toDouble(b)));
}

/** `math.copysign(a, b)`: |a| with b's sign, -0.0 counting as negative. */
export function copysign(a: PyNumber, b: PyNumber): PyFloat {
  const y = toDouble(b);
  const negative = y < 0 || Object.is(y, -0);
  return new PyFloat(negative ? -Math.abs(toDouble(a)) : Math.abs(toDouble(a)));
}

/** `math.gcd(a, b)` on ints (`aten::gcd`): Euclid's algorithm with C++'s truncating remainder, as c10 runs it. */
export function gcd(a: PyInt, b: PyInt): PyInt {
  let [x, y] = [toBigInt(a), toBigInt(b)];
  while (y !== 0n) {
    if (x === INT64_MIN && y === -1n) return crashes(a, 'gcd', b);
    [x, y] = [y, x % y];
  }
  return int64(x < 0n ? -x : x);
}

/** `math.isnan`, `math.isinf`, `math.isfinite` of a number (an int is always finite). */
export function classify(a: PyNumber, test: 'nan' | 'inf' | 'finite'): boolean {
  const x = toDouble(a);
  if (test === 'nan') return Number.isNaN(x);
  if (test === 'inf') return x === Infinity || x === -Infinity;
  return Number.isFinite(x);
}
