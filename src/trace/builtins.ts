/**
 * Python-level functions of printed TorchScript: builtins (`int`, `len`, `range`, `isinstance`...),
 * `torch.X` on Python values (`torch.add(1, 2)`, `torch.append(l, x)`, `torch.size(x, 0)`) and the
 * `ops.prim` helpers. They compute at conversion time; tensor math goes to the op registry instead.
 */
import { PyFloat } from '../archive/types.js';
import { TsonnxError } from '../errors.js';
import { complexPartOf, isFloating, scalarTypeOf } from '../ops/dtypes.js';
import { GValue, type Arg, type Dim, type ScalarType, type TensorType } from '../ir/torch-graph.js';
import type { Interpreter } from './interpreter.js';
import * as pyNumber from '../ops/python-number.js';
import {
  ClassRef,
  Namespace,
  PyDict,
  PyList,
  PyObject,
  PyTuple,
  StackedRows,
  TensorBox,
  TorchbindObject,
  Uninitialized,
  typeName,
  type DictKey,
  type ListItems,
  type PyValue,
} from './values.js';

export const NOT_BUILTIN = Symbol('not a builtin');

/** The TorchBind class of packed linear weights; its state is (weight, bias). */
const PACKED_LINEAR = '__torch__.torch.classes.quantized.LinearPackedParamsBase';

/**
 * optimize_for_mobile's XNNPACK contexts and their pickled states (what their `__getstate__` returns):
 * the arguments of the op each stands for, with the clamp XNNPACK fused into it.
 */
const XNNPACK_CONTEXTS = {
  linear: { className: '__torch__.torch.classes.xnnpack.LinearOpContext', state: ['weight', 'bias', 'min', 'max'] },
  conv2d: {
    className: '__torch__.torch.classes.xnnpack.Conv2dOpContext',
    state: ['weight', 'bias', 'stride', 'padding', 'dilation', 'groups', 'min', 'max'],
  },
  conv_transpose2d: {
    className: '__torch__.torch.classes.xnnpack.TransposeConv2dOpContext',
    state: ['weight', 'bias', 'stride', 'padding', 'output_padding', 'dilation', 'groups', 'min', 'max'],
  },
} as const;

type XnnpackOp = keyof typeof XNNPACK_CONTEXTS;

/**
 * A quantized convolution's prepack call (`ops.quantized.conv2d_prepack(w, b, stride, padding,
 * dilation, groups)`, run by the `__setstate__` of quantized Conv modules): the packed params object,
 * with the state PyTorch 1.9+ pickles for it ("version 3": `(3, [spatial dims, stride..., padding...,
 * dilation..., output_padding..., groups, transposed], [weight, bias])`), so the ops read one form
 * whether the object was built here or unpickled.
 */
function quantizedConvPrepack(spatialDims: 1 | 2 | 3, transposed: boolean): Builtin {
  // PyTorch packs 1-D convolutions into the 2-D class too.
  const className = `__torch__.torch.classes.quantized.Conv${spatialDims === 3 ? 3 : 2}dPackedParamsBase`;
  return (it, args) => {
    const [weight, bias, stride, padding, ...rest] = args;
    const [outputPadding, dilation, groups] = transposed ? rest : [undefined, ...rest];
    const ints = (v: PyValue | undefined, what: string): number[] => {
      if (v === undefined) return new Array<number>(spatialDims).fill(what === 'dilation' ? 1 : 0);
      const items = v instanceof PyList || v instanceof PyTuple ? v.items : [];
      if (items.length !== spatialDims || !items.every((x) => typeof x === 'number')) {
        return it.fail('TRACE_TYPE', `quantized conv prepack: ${what} must be ${spatialDims} ints`);
      }
      return items as number[];
    };
    if (typeof groups !== 'number') return it.fail('TRACE_TYPE', 'quantized conv prepack: groups must be an int');
    const config = [spatialDims, ...ints(stride, 'stride'), ...ints(padding, 'padding'), ...ints(dilation, 'dilation'), ...ints(outputPadding, 'output_padding'), groups, transposed ? 1 : 0];
    return new TorchbindObject(className, new PyTuple([3, new PyList(config), new PyList([weight ?? null, bias ?? null])]));
  };
}

/** A prepack call (`ops.prepacked.conv2d_clamp_prepack(w, b, ...)`): the context holding its arguments. */
function xnnpackPrepack(op: XnnpackOp): Builtin {
  return (_it, args) => {
    const { className, state } = XNNPACK_CONTEXTS[op];
    return new TorchbindObject(className, new PyTuple(state.map((_, i) => args[i] ?? null)));
  };
}

/**
 * A prepacked run (`ops.prepacked.conv2d_clamp_run(x, context)`): the aten op the context was made from,
 * then the fused clamp, so the model converts as the one optimize_for_mobile started from.
 */
function xnnpackRun(op: XnnpackOp): Builtin {
  return (it, [x, context]) => {
    const { className, state } = XNNPACK_CONTEXTS[op];
    if (!(context instanceof TorchbindObject) || context.className !== className) return NOT_BUILTIN;
    const items = context.state instanceof PyTuple ? context.state.items : [];
    if (items.length !== state.length) return it.fail('TRACE_TYPE', `${className}: its state has ${items.length} items, expected ${state.length} (${state.join(', ')})`);
    const field = (name: (typeof state)[number]) => items[(state as readonly string[]).indexOf(name)];
    const operands: Record<XnnpackOp, PyValue[]> = {
      linear: [x, field('weight'), field('bias')],
      conv2d: [x, field('weight'), field('bias'), field('stride'), field('padding'), field('dilation'), field('groups')],
      conv_transpose2d: [x, field('weight'), field('bias'), field('stride'), field('padding'), field('output_padding'), field('groups'), field('dilation')],
    };
    const y = it.callOp('aten', op, operands[op], new Map());
    const [min, max] = [field('min'), field('max')];
    return min === null && max === null ? y : it.callOp('aten', 'clamp', [y, min, max], new Map());
  };
}

type Builtin = (it: Interpreter, args: PyValue[], kwargs: Map<string, PyValue>) => PyValue | typeof NOT_BUILTIN;

const INT64_MAX = 9223372036854775807;

/** The most elements tolist() turns into a Python list at conversion time. */
const TOLIST_LIMIT = 65536;

/** A tensor element as the Python number torch gives for it (`item()`, `tolist()`): a float, a bool or an int. */
function elementValue(dtype: TensorType['dtype'], v: number): PyValue {
  if (isFloating(dtype)) return new PyFloat(v);
  return dtype === 'bool' ? v !== 0 : v;
}

function num(v: PyValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) return v.value;
  return undefined;
}

function isPyNumber(v: PyValue): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}

/** A known Python number as src/ops/python-number.ts takes it: a bool is the int 0 or 1. */
function asPyNumber(v: PyValue): pyNumber.PyNumber | undefined {
  if (typeof v === 'number' || v instanceof PyFloat) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return undefined;
}

/** An int beyond ±2^53 comes back as a bigint; the interpreter holds ints as JS numbers. */
function fromPyNumber(v: pyNumber.PyNumber | boolean): PyValue {
  return typeof v === 'bigint' ? Number(v) : v;
}

/**
 * The rows of a list of run-time length, in a box of their own: ops on it register no view of the list, so a later
 * `append` does not change what they read.
 */
function rowsOf(list: StackedRows): TensorBox {
  return new TensorBox(list.box.value);
}

/** A list's (or tuple's) items, or the rows of a list of run-time length. */
function listItems(v: PyValue): ListItems | undefined {
  if (v instanceof StackedRows) return v;
  return v instanceof PyList || v instanceof PyTuple ? v.items : undefined;
}

function tensorOf(v: PyValue): TensorType | undefined {
  if (v instanceof TensorBox && v.value.type.kind === 'tensor') return v.value.type;
  return undefined;
}

/** The symbolic dim a value stands for, if it is a size or a tensor made from one. */
function dimOf(it: Interpreter, v: PyValue): Dim | undefined {
  if (v instanceof GValue && v.type.kind === 'scalar') return v.type.dim;
  if (v instanceof TensorBox) return it.tensorDims.get(v.value) ?? elementDim(it, v.value);
  return undefined;
}

/**
 * The size `int(t[i])` stands for: one symbolic dim per element of a tensor, so reading the same element
 * again (nn.LSTM reads `int(batch_sizes[0])` once for its zero state and again to check it) gives a size
 * known equal to the first.
 */
function elementDim(it: Interpreter, v: GValue): Dim | undefined {
  const node = it.producers.get(v);
  if (node?.op !== 'aten::select') return undefined;
  const [self, dim, index] = ['self', 'dim', 'index'].map((name) => node.args.get(name));
  if (!(self instanceof GValue) || typeof dim !== 'number' || typeof index !== 'number') return undefined;
  const dims = it.elementDims.get(self) ?? new Map<string, Dim>();
  it.elementDims.set(self, dims);
  const key = `${dim}:${index}`;
  if (!dims.has(key)) dims.set(key, it.options.freshDims.next('item'));
  return dims.get(key);
}

/**
 * A Python number computed at run time by a registry op (`aten::Int`, `aten::Float`...). `int()`
 * of a size, or of a tensor made from one, is still that size.
 */
function runtimeNumber(it: Interpreter, op: string, v: PyValue, dim: Dim | undefined): PyValue {
  const out = it.callOp('aten', op, [v], new Map());
  if (dim !== undefined && out instanceof GValue && out.type.kind === 'scalar') out.type = { ...out.type, dim };
  return out;
}

function size(it: Interpreter, x: PyValue, dim?: PyValue): PyValue {
  const t = tensorOf(x) as TensorType;
  const dimValue = (d: Dim, i: number): PyValue =>
    typeof d === 'number' ? d : it.callOp('aten', 'size', [x, i], new Map());
  if (dim === undefined) return new PyList(t.shape.map(dimValue));
  const d = num(dim) as number;
  const i = d < 0 ? d + t.shape.length : d;
  if (i < 0 || i >= t.shape.length) return it.fail('TRACE_TYPE', `dimension ${d} out of range for a tensor of rank ${t.shape.length}`);
  return dimValue(t.shape[i], i);
}

/**
 * TorchScript arithmetic on numbers known now. Where an operand is a symbolic number (a dynamic size),
 * the op registry's number overloads (`aten::add.int`, ...) record it as a node instead.
 */
function arith(op: (a: pyNumber.PyNumber, b: pyNumber.PyNumber) => pyNumber.PyNumber | boolean): Builtin {
  return (_it, [a, b]) => {
    const [x, y] = [asPyNumber(a), asPyNumber(b)];
    return x === undefined || y === undefined ? NOT_BUILTIN : fromPyNumber(op(x, y));
  };
}

/** A TorchScript function of one number known now. */
function unaryArith(op: (a: pyNumber.PyNumber) => pyNumber.PyNumber): Builtin {
  return (_it, [a]) => {
    const x = asPyNumber(a);
    return x === undefined ? NOT_BUILTIN : fromPyNumber(op(x));
  };
}

/** `math.isnan(x)`, `math.isinf(x)`, `math.isfinite(x)` of a number known now. */
function numberTest(test: 'nan' | 'inf' | 'finite'): Builtin {
  return (_it, [a]) => {
    const x = asPyNumber(a);
    return x === undefined ? NOT_BUILTIN : pyNumber.classify(x, test);
  };
}

/** `&`, `|`, `^` (`<<`, `>>` without `onBools`): logic on two bools, bitwise on ints. */
function bitwise(onInts: (a: pyNumber.PyInt, b: pyNumber.PyInt) => pyNumber.PyInt, onBools?: (a: boolean, b: boolean) => boolean): Builtin {
  return (_it, [a, b]) => {
    if (onBools && typeof a === 'boolean' && typeof b === 'boolean') return onBools(a, b);
    const [x, y] = [asPyNumber(a), asPyNumber(b)];
    if (x === undefined || y === undefined || x instanceof PyFloat || y instanceof PyFloat) return NOT_BUILTIN;
    return fromPyNumber(onInts(x, y));
  };
}

/** Whether a comparison involves a symbolic number that is not the very same size on both sides. */
function isSymbolicNumber(a: PyValue, b: PyValue): boolean {
  const symbolic = (v: PyValue) => v instanceof GValue && v.type.kind === 'scalar';
  if (!symbolic(a) && !symbolic(b)) return false;
  return !pyEquals(a, b);
}

/**
 * `==` (`!=` when `equal` is false) on two lists or tuples of numbers where some items are run-time sizes,
 * as in `assert mask.shape == (bsz, src_len)` with a data-dependent dim: a run-time bool, the `eq.int` of each
 * such pair and-ed (`ne.int` or-ed). Known items that differ decide alone. Undefined when no run-time size is
 * compared.
 */
function symbolicSequenceEquals(it: Interpreter, a: PyValue, b: PyValue, equal: boolean): PyValue | undefined {
  const isSequence = (v: PyValue): v is PyList | PyTuple => v instanceof PyList || v instanceof PyTuple;
  if (!isSequence(a) || !isSequence(b) || a.items.length !== b.items.length) return undefined;
  const pairs = a.items.map((x, i) => [x, b.items[i]] as const);
  const symbolic = pairs.filter(([x, y]) => isSymbolicNumber(x, y));
  if (symbolic.length === 0 || pairs.some(([x, y]) => isSequence(x) || isSequence(y))) return undefined;
  if (pairs.some(([x, y]) => !isSymbolicNumber(x, y) && !pyEquals(x, y))) return !equal;
  const [op, join] = equal ? ['eq', '__and__'] : ['ne', '__or__'];
  return symbolic
    .map(([x, y]) => it.callOp('aten', op, [x, y], new Map()))
    .reduce((acc, v) => it.callOp('aten', join, [acc, v], new Map()));
}

/** Python's `<` ordering of list items TorchScript sorts: numbers (bools as 0/1) or strings; undefined for others. */
function pyCompare(a: PyValue, b: PyValue): number | undefined {
  const [x, y] = [asPyNumber(a), asPyNumber(b)];
  if (x !== undefined && y !== undefined) return pyNumber.lessThan(x, y) ? -1 : pyNumber.lessThan(y, x) ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  // Tuples (`sorted(d.items())`) compare item by item, then by length.
  if (a instanceof PyTuple && b instanceof PyTuple) {
    for (let i = 0; i < Math.min(a.items.length, b.items.length); i++) {
      const order = pyCompare(a.items[i], b.items[i]);
      if (order !== 0) return order;
    }
    return Math.sign(a.items.length - b.items.length);
  }
  return undefined;
}

/** `sorted(l)` and `l.sort(reverse)`: the items in order, or undefined when they are not all comparable. */
function sortedItems(items: readonly PyValue[], reverse: boolean): PyValue[] | undefined {
  if (items.some((item, i) => i > 0 && pyCompare(items[0], item) === undefined)) return undefined;
  const order = [...items].sort((a, b) => pyCompare(a, b) as number);
  return reverse ? order.reverse() : order;
}

function pyEquals(a: PyValue, b: PyValue): boolean {
  const [x, y] = [asPyNumber(a), asPyNumber(b)];
  if (x !== undefined && y !== undefined) return pyNumber.equal(x, y);
  if (a instanceof PyList || a instanceof PyTuple) {
    if (!(b instanceof PyList || b instanceof PyTuple) || a.items.length !== b.items.length) return false;
    return a.items.every((x, i) => pyEquals(x, b.items[i]));
  }
  // Two sizes of the same named dim are equal whatever it turns out to be at run time.
  if (a instanceof GValue && b instanceof GValue && a.type.kind === 'scalar' && b.type.kind === 'scalar') {
    return a === b || (a.type.dim !== undefined && a.type.dim === b.type.dim);
  }
  return a === b;
}

/** str.strip's default characters in TorchScript (no carriage return, unlike Python's). */
const SCRIPT_WHITESPACE = ' \n\t\f\v';

function stripString(text: string, chars: PyValue | undefined, left: boolean, right: boolean): string {
  const set = typeof chars === 'string' ? chars : SCRIPT_WHITESPACE;
  let lo = 0;
  let hi = text.length;
  while (left && lo < hi && set.includes(text[lo])) lo++;
  while (right && hi > lo && set.includes(text[hi - 1])) hi--;
  return text.slice(lo, hi);
}

const isAsciiAlpha = (c: string) => /^[A-Za-z]$/.test(c);

/** str methods that test every character, as TorchScript's C-locale ones do. */
function testsChars(test: (text: string) => boolean): Builtin {
  return (_it, [a]) => (typeof a === 'string' ? test(a) : NOT_BUILTIN);
}

/** `fill` repeated to pad `text` to `width` on the left and right, paid for before it is made. */
function padString(it: Interpreter, text: string, width: PyValue, fill: PyValue | undefined, side: 'left' | 'right' | 'center'): PyValue | typeof NOT_BUILTIN {
  const w = num(width);
  const f = fill === undefined || fill === null ? ' ' : fill;
  if (typeof w !== 'number' || typeof f !== 'string' || f.length !== 1) return NOT_BUILTIN;
  const margin = Math.max(0, w - text.length);
  if (margin === 0) return text;
  it.budget.sequence(w, 'the padded string');
  // CPython's and TorchScript's center: the odd space goes left when the width is odd.
  const left = side === 'left' ? margin : side === 'right' ? 0 : Math.floor(margin / 2) + (margin & w & 1);
  return f.repeat(left) + text + f.repeat(margin - left);
}

const HASH_MULTIPLIER = (0xc6a4a793n << 32n) + 0x5bd1e995n;
const UINT64 = (1n << 64n) - 1n;

/** libstdc++'s std::_Hash_bytes (64-bit, seed 0xc70f6907): what std::hash gives strings and doubles in PyTorch's Linux builds. */
function hashBytes(bytes: Uint8Array): bigint {
  const mix = (v: bigint) => v ^ (v >> 47n);
  const times = (v: bigint) => (v * HASH_MULTIPLIER) & UINT64;
  const load = (at: number, n: number) => {
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) + BigInt(bytes[at + i]);
    return v;
  };
  const aligned = bytes.length & ~7;
  let h = 0xc70f6907n ^ times(BigInt(bytes.length));
  for (let at = 0; at < aligned; at += 8) h = times(h ^ times(mix(times(load(at, 8)))));
  if (bytes.length & 7) h = times(h ^ load(aligned, bytes.length & 7));
  return BigInt.asIntN(64, mix(times(mix(h))));
}

/**
 * `hash(v)` as TorchScript computes it: an int or bool is itself, a str or float (other than 0) hashes its
 * UTF-8 or IEEE bytes. Ints are held exactly within ±2^53 here, so a larger hash is refused, not rounded.
 */
function pyHash(it: Interpreter, v: PyValue): PyValue | typeof NOT_BUILTIN {
  if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
  let h: bigint;
  if (typeof v === 'string') h = hashBytes(new TextEncoder().encode(v));
  else if (v instanceof PyFloat) {
    if (v.value === 0) return 0;
    const bytes = new DataView(new ArrayBuffer(8));
    bytes.setFloat64(0, v.value, true);
    h = hashBytes(new Uint8Array(bytes.buffer));
  } else return NOT_BUILTIN;
  if (h > BigInt(Number.MAX_SAFE_INTEGER) || h < BigInt(Number.MIN_SAFE_INTEGER)) {
    return it.fail('TRACE_UNSUPPORTED', `hash(${it.describe(v)}) is ${h}, an int beyond the ±2^53 this converter holds exactly`);
  }
  return Number(h);
}

function compare(op: (a: pyNumber.PyNumber, b: pyNumber.PyNumber) => boolean): Builtin {
  return (_it, [a, b]) => {
    const [x, y] = [asPyNumber(a), asPyNumber(b)];
    if (x !== undefined && y !== undefined) return op(x, y);
    if (typeof a === 'string' && typeof b === 'string') return op(a.localeCompare(b), 0);
    return NOT_BUILTIN;
  };
}

function index(len: number, i: number): number {
  return i < 0 ? i + len : i;
}

/**
 * Python's adjusted slice bounds over `len` items (PySlice_AdjustIndices, which TorchScript's list and string
 * slices follow): the first index and the one it stops before; a negative step walks back from the end. An open
 * bound may come printed as int64's extreme, which lies beyond either end.
 */
function sliceRange(len: number, start: PyValue, end: PyValue, step: number): [number, number] {
  const bound = (v: PyValue, open: number): number => {
    if (v === null || v === undefined) return open;
    const n = num(v) as number;
    if (n < 0) return n + len < 0 ? (step < 0 ? -1 : 0) : n + len;
    return n >= len ? (step < 0 ? len - 1 : len) : n;
  };
  return [bound(start, step < 0 ? len - 1 : 0), bound(end, step < 0 ? -1 : len)];
}

/** The indices `items[start:end:step]` picks, in order (`l[::-1]` reverses). */
function sliceIndices(len: number, start: PyValue, end: PyValue, step: number): number[] {
  const [from, to] = sliceRange(len, start, end, step);
  const picked: number[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) picked.push(i);
  return picked;
}

/** [start, end) of a unit-step slice of `len` items, as str.count and str.rfind read their bounds. */
function sliceBounds(len: number, start: PyValue, end: PyValue): [number, number] {
  const [from, to] = sliceRange(len, start, end, 1);
  return [from, Math.max(from, to)];
}

export interface PythonRange {
  readonly start: number;
  readonly stop: number;
  readonly step: number;
}

/** The bounds of `range(...)` on numbers known now; a zero step raises, as in Python. */
export function pythonRange(it: Interpreter, args: readonly PyValue[]): PythonRange {
  if (args.some((a) => a instanceof GValue)) {
    return it.fail('TRACE_UNSUPPORTED', 'range() with a bound known only when the model runs is supported only as the range of a for loop');
  }
  const bounds = args.map((a) => {
    const n = num(a);
    return n === undefined ? it.fail('TRACE_TYPE', `range() takes ints, not a ${typeName(a)}`) : n;
  });
  if (bounds.length === 0 || bounds.length > 3) return it.fail('TRACE_TYPE', `range() takes 1 to 3 arguments, not ${bounds.length}`);
  const [start, stop, step] = bounds.length === 1 ? [0, bounds[0], 1] : [bounds[0], bounds[1], bounds[2] ?? 1];
  if (step === 0) return it.fail('TRACE_RAISE', 'the model raises ValueError: range() arg 3 must not be zero');
  return { start, stop, step };
}

export function rangeLength({ start, stop, step }: PythonRange): number {
  return Math.max(0, Math.ceil(step > 0 ? (stop - start) / step : (start - stop) / -step));
}

/** The numbers of a range, one at a time. */
export function* rangeItems(range: PythonRange): Generator<number> {
  for (let i = 0, n = rangeLength(range); i < n; i++) yield range.start + i * range.step;
}

function typeMatches(it: Interpreter, v: PyValue, t: PyValue): boolean {
  if (t instanceof PyTuple) return t.items.some((x) => typeMatches(it, v, x));
  if (t instanceof ClassRef) return v instanceof PyObject && v.cls.qualified === t.cls.qualified;
  if (!(t instanceof Namespace)) return false;
  const name = t.path.replace(/^builtins\./, '');
  switch (name) {
    case 'Tensor':
      return v instanceof TensorBox;
    case 'int':
      return typeof v === 'number' || (v instanceof GValue && v.type.kind === 'scalar' && v.type.scalar === 'int');
    case 'float':
      return v instanceof PyFloat;
    case 'bool':
      return typeof v === 'boolean';
    case 'str':
      return typeof v === 'string';
    case 'List':
    case 'list':
      return v instanceof PyList;
    case 'Tuple':
    case 'tuple':
      return v instanceof PyTuple;
    case 'Dict':
    case 'dict':
      return v instanceof PyDict;
    case 'None':
    case 'NoneType':
      return v === null;
    default:
      return false;
  }
}

function format(it: Interpreter, fmt: PyValue, rest: PyValue[]): string {
  let i = 0;
  let inserted = 0;
  return String(fmt).replace(/\{\}/g, () => {
    const text = it.describe(rest[i++] ?? null);
    inserted += text.length;
    it.budget.sequence(inserted, 'the string format() makes');
    return text;
  });
}

/**
 * A one-element tensor's value for int()/float(): known values, or a stored buffer (the model holds
 * it as a constant anyway). Scripted quantized modules read their scale and zero point this way
 * (`torch.quantize_per_tensor(X, float(self.scale), int(self.zero_point), ...)`), and static
 * quantization needs them at conversion time.
 */
function storedScalar(it: Interpreter, v: PyValue): number | undefined {
  const known = it.knownScalar(v);
  if (known !== undefined || !(v instanceof TensorBox)) return known;
  const stored = it.storedOrKnown(v, 1);
  return stored?.values.length === 1 ? stored.values[0] : undefined;
}

const BUILTINS: Record<string, Builtin> = {
  // ----- Python builtins -----
  'builtins.int': (it, [v]) => {
    if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
    if (v instanceof PyFloat) return fromPyNumber(pyNumber.toInt(v));
    if (typeof v === 'string') return parseInt(v, 10);
    const known = storedScalar(it, v);
    if (known !== undefined) return Math.trunc(known);
    if (v instanceof TensorBox || v instanceof GValue) return runtimeNumber(it, 'Int', v, dimOf(it, v));
    return NOT_BUILTIN;
  },
  'builtins.float': (it, [v]) => {
    if (typeof v === 'number' || typeof v === 'boolean') return pyNumber.toFloat(Number(v));
    if (v instanceof PyFloat) return v;
    if (typeof v === 'string') return new PyFloat(parseFloat(v));
    const known = storedScalar(it, v);
    if (known !== undefined) return new PyFloat(known);
    if (v instanceof TensorBox || v instanceof GValue) return runtimeNumber(it, 'Float', v, undefined);
    return NOT_BUILTIN;
  },
  'builtins.bool': (it, [v]) => {
    const runtime = v instanceof TensorBox || (v instanceof GValue && v.type.kind === 'scalar');
    if (runtime && it.knownScalar(v) === undefined) return runtimeNumber(it, 'Bool', v, undefined);
    return it.truthy(v);
  },
  'builtins.str': (it, [v]) => it.describe(v),
  'builtins.len': (it, [v]) => BUILTINS['torch.len'](it, [v], new Map()),
  'builtins.range': (it, args) => {
    const range = pythonRange(it, args);
    const length = rangeLength(range);
    it.budget.sequence(length, `range(${args.map((a) => it.describe(a)).join(', ')})`);
    return new PyList(Array.from({ length }, (_, i) => range.start + i * range.step));
  },
  'builtins.getattr': (it, [obj, name]) => it.attribute(obj, String(name)),
  'builtins.hasattr': (_it, [obj, name]) => obj instanceof PyObject && (obj.pickled?.attributes.has(String(name)) ?? false),
  'builtins.isinstance': (it, [v, t]) => typeMatches(it, v, t),
  'builtins.print': () => null,
  'builtins.annotate': (it, [t, v]) => {
    const type = t instanceof Namespace ? t.path.replace(/^builtins\./, '') : '';
    if (type === 'float' && typeof v === 'number') return new PyFloat(v);
    // `annotate(number, t)` is how aten::ScalarImplicit prints: a 0-d tensor used as a Python number.
    if ((type === 'number' || type === 'float' || type === 'int') && v instanceof TensorBox) {
      if (type !== 'number') return BUILTINS[`builtins.${type}`](it, [v], new Map());
      const floating = isFloating((tensorOf(v) as TensorType).dtype);
      const known = it.knownScalar(v);
      if (known !== undefined) return floating ? new PyFloat(known) : Math.trunc(known);
      return runtimeNumber(it, 'ScalarImplicit', v, dimOf(it, v));
    }
    return v;
  },
  'builtins.unchecked_cast': (_it, [, v]) => v,
  'builtins.uninitialized': () => new Uninitialized(),
  'builtins.sorted': (_it, [v]) => {
    const items = v instanceof PyList || v instanceof PyTuple ? sortedItems(v.items, false) : undefined;
    return items ? new PyList(items) : NOT_BUILTIN;
  },
  'builtins.__new__': (it, [cls]) => {
    if (!(cls instanceof ClassRef)) return NOT_BUILTIN;
    return new PyObject(cls.cls, '');
  },
  'builtins.list': (_it, [v]) => (v instanceof PyList || v instanceof PyTuple ? new PyList([...v.items]) : NOT_BUILTIN),
  'builtins.enumerate': (it, [v]) => new PyList(it.iterate(v).map((x, i) => new PyTuple([i, x]))),
  'builtins.zip': (it, args) => {
    const lists = args.map((a) => it.iterate(a));
    const n = Math.min(...lists.map((l) => l.length));
    return new PyList(Array.from({ length: n }, (_, i) => new PyTuple(lists.map((l) => l[i]))));
  },
  'builtins.min': (it, args) => BUILTINS['ops.prim.min'](it, args.length === 1 ? args : [new PyList(args)], new Map()),
  'builtins.max': (it, args) => BUILTINS['ops.prim.max'](it, args.length === 1 ? args : [new PyList(args)], new Map()),
  'builtins.abs': unaryArith(pyNumber.absolute),
  'builtins.round': unaryArith(pyNumber.round),

  // ----- torch.X on Python values -----
  'torch.add': (it, [a, b], kw) => {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if ((a instanceof PyList || a instanceof PyTuple) && (b instanceof PyList || b instanceof PyTuple)) return new PyList([...a.items, ...b.items]);
    const [rowsA, rowsB] = [listItems(a), listItems(b)];
    if (rowsA && rowsB) return new StackedRows(new TensorBox(it.catRows(rowsA, rowsB)));
    return arith(pyNumber.add)(it, [a, b], kw);
  },
  // `l += other` on a list extends it in place.
  'torch.add_': (it, [l, other]) => {
    if (!(l instanceof PyList || l instanceof StackedRows) || !listItems(other)) return NOT_BUILTIN;
    BUILTINS['torch.extend'](it, [l, other], new Map());
    return l;
  },
  // The broadcast shape of two sizes (F.binary_cross_entropy checks its weight with it).
  'torch._infer_size': (it, [a, b]) => {
    if (!(a instanceof PyList || a instanceof PyTuple) || !(b instanceof PyList || b instanceof PyTuple)) return NOT_BUILTIN;
    const [x, y] = [a.items.map(num), b.items.map(num)];
    if (x.some((d) => d === undefined) || y.some((d) => d === undefined)) return NOT_BUILTIN;
    const rank = Math.max(x.length, y.length);
    const at = (dims: Array<number | undefined>, i: number) => dims[dims.length - rank + i] ?? 1;
    return new PyList(Array.from({ length: rank }, (_, i) => {
      const [p, q] = [at(x, i) as number, at(y, i) as number];
      if (p !== q && p !== 1 && q !== 1) {
        return it.fail('TRACE_RAISE', `the model raises RuntimeError: The size of tensor a (${p}) must match the size of tensor b (${q}) at non-singleton dimension ${i}`);
      }
      return p === 1 ? q : p;
    }));
  },
  'torch.sub': arith(pyNumber.subtract),
  'torch.mul': (it, [a, b], kw) => {
    if (a instanceof PyList && typeof b === 'number') {
      const times = Math.max(0, b);
      it.budget.sequence(a.items.length * times, `a list of ${a.items.length} repeated ${b} times`);
      return new PyList(Array.from({ length: times }, () => a.items).flat());
    }
    return arith(pyNumber.multiply)(it, [a, b], kw);
  },
  'torch.div': arith(pyNumber.trueDivide),
  'torch.floordiv': arith(pyNumber.floorDivide),
  'torch.floor_divide': arith(pyNumber.floorDivide),
  'torch.remainder': arith(pyNumber.remainder),
  'torch.fmod': arith(pyNumber.fmod),
  'torch.pow': arith(pyNumber.power),
  'torch.neg': unaryArith(pyNumber.negate),
  'torch.floor': unaryArith(pyNumber.floor),
  'torch.ceil': unaryArith(pyNumber.ceil),
  'torch.round': unaryArith(pyNumber.round),
  // `math.sqrt(x)` and the other one-number math functions print as `torch.sqrt(x)`.
  ...Object.fromEntries(pyNumber.MATH_FUNCTION_NAMES.map((name) => [`torch.${name}`, unaryArith((a) => pyNumber.mathFunction(name, a))])),
  'torch.atan2': arith(pyNumber.atan2),
  'torch.copysign': arith(pyNumber.copysign),
  'torch.gcd': bitwise(pyNumber.gcd),
  ...Object.fromEntries((['nan', 'inf', 'finite'] as const).map((test) => [`torch.is${test}`, numberTest(test)])),
  'torch.hash': (it, [v]) => pyHash(it, v),
  'torch.divmod': (it, [a, b]) => {
    const [x, y] = [asPyNumber(a), asPyNumber(b)];
    if (x === undefined || y === undefined) return NOT_BUILTIN;
    return new PyTuple([fromPyNumber(pyNumber.floorDivide(x, y)), fromPyNumber(pyNumber.remainder(x, y))]);
  },
  'torch.eq': (it, [a, b]) => {
    if (a instanceof TensorBox || b instanceof TensorBox || isSymbolicNumber(a, b)) return NOT_BUILTIN;
    return symbolicSequenceEquals(it, a, b, true) ?? pyEquals(a, b);
  },
  'torch.ne': (it, [a, b]) => {
    if (a instanceof TensorBox || b instanceof TensorBox || isSymbolicNumber(a, b)) return NOT_BUILTIN;
    return symbolicSequenceEquals(it, a, b, false) ?? !pyEquals(a, b);
  },
  'torch.lt': compare(pyNumber.lessThan),
  'torch.le': compare(pyNumber.lessEqual),
  'torch.gt': compare(pyNumber.greaterThan),
  'torch.ge': compare(pyNumber.greaterEqual),
  'torch.__and__': bitwise(pyNumber.bitAnd, (a, b) => a && b),
  'torch.__or__': bitwise(pyNumber.bitOr, (a, b) => a || b),
  'torch.__xor__': bitwise(pyNumber.bitXor, (a, b) => a !== b),
  'torch.__lshift__': bitwise(pyNumber.shiftLeft),
  'torch.__rshift__': bitwise(pyNumber.shiftRight),
  'torch.__not__': (it, [a]) => !it.truthy(a),
  'torch.__is__': (_it, [a, b]) => a === b || (a === null && b instanceof Namespace && b.path === 'builtins.None'),
  'torch.__isnot__': (_it, [a, b]) => !(a === b),
  'torch.__contains__': (_it, [container, key]) => {
    if (container instanceof PyDict) return container.map.has(key as DictKey);
    if (container instanceof PyList || container instanceof PyTuple) return container.items.some((x) => pyEquals(x, key));
    if (typeof container === 'string') return container.includes(String(key));
    return NOT_BUILTIN;
  },
  'torch.size': (it, [x, dim]) => (tensorOf(x) ? size(it, x, dim) : NOT_BUILTIN),
  'torch.dim': (_it, [x]) => tensorOf(x)?.shape.length ?? NOT_BUILTIN,
  'torch.numel': (_it, [x]) => {
    const t = tensorOf(x);
    if (!t || !t.shape.every((d) => typeof d === 'number')) return NOT_BUILTIN;
    return (t.shape as number[]).reduce((a, b) => a * b, 1);
  },
  'torch.len': (it, [v]) => {
    if (v instanceof PyList || v instanceof PyTuple) return v.items.length;
    if (v instanceof StackedRows) return it.callOp('aten', 'size', [rowsOf(v), 0], new Map());
    if (v instanceof PyDict) return v.map.size;
    if (typeof v === 'string') return v.length;
    const t = tensorOf(v);
    if (t) return size(it, v, 0);
    if (v instanceof PyObject) return it.iterate(v).length;
    return NOT_BUILTIN;
  },
  'torch.item': (it, [x]) => {
    const t = tensorOf(x);
    const known = it.knownScalar(x);
    return !t || known === undefined ? NOT_BUILTIN : elementValue(t.dtype, known);
  },
  // A converted model has no pinned (page-locked) memory.
  'torch.is_pinned': (_it, [x]) => (tensorOf(x) ? false : NOT_BUILTIN),
  'torch.tolist': (it, [x]) => {
    const t = tensorOf(x);
    if (!t) return NOT_BUILTIN;
    const known = it.storedOrKnown(x as TensorBox, TOLIST_LIMIT);
    if (!known) {
      return it.fail('TRACE_UNSUPPORTED', `tolist() of a tensor that is computed from the inputs (or has over ${TOLIST_LIMIT} elements): a Python list of its values exists only at run time`);
    }
    const nest = (dims: readonly number[], offset: number): PyValue => {
      if (dims.length === 0) return elementValue(t.dtype, known.values[offset]);
      const stride = dims.slice(1).reduce((a, b) => a * b, 1);
      return new PyList(Array.from({ length: dims[0] }, (_, i) => nest(dims.slice(1), offset + i * stride)));
    };
    return nest(known.type.shape as number[], 0);
  },
  'torch.is_floating_point': (_it, [x]) => {
    const t = tensorOf(x);
    return t ? isFloating(t.dtype) : NOT_BUILTIN;
  },
  'torch.is_complex': (_it, [x]) => {
    const t = tensorOf(x);
    return t ? complexPartOf(t.dtype) !== undefined : NOT_BUILTIN;
  },
  // A list of run-time length: stack is its rows moved to `dim`; cat merges that dim with the next.
  'torch.stack': (it, [l, dim], kw) => {
    if (!(l instanceof StackedRows)) return NOT_BUILTIN;
    return it.callOp('aten', 'movedim', [rowsOf(l), 0, dim ?? kw.get('dim') ?? 0], new Map());
  },
  'torch.cat': (it, [l, dim], kw) => {
    if (!(l instanceof StackedRows)) return NOT_BUILTIN;
    const rank = l.box.value.tensor.shape.length - 1;
    const given = Number(dim ?? kw.get('dim') ?? 0);
    const d = given < 0 ? given + rank : given;
    const moved = it.callOp('aten', 'movedim', [rowsOf(l), 0, d], new Map());
    return it.callOp('aten', 'flatten', [moved, d, d + 1], new Map());
  },
  'torch.append': (it, [l, v]) => {
    if (l instanceof StackedRows) it.extendRows(l, [v]);
    else if (l instanceof PyList) l.items.push(v);
    else return NOT_BUILTIN;
    return l;
  },
  'torch.insert': (_it, [l, i, v]) => {
    if (!(l instanceof PyList)) return NOT_BUILTIN;
    l.items.splice(index(l.items.length, num(i) as number), 0, v);
    return null;
  },
  'torch.extend': (it, [l, other]) => {
    const items = listItems(other);
    if ((l instanceof StackedRows || other instanceof StackedRows) && (l instanceof PyList || l instanceof StackedRows) && items) {
      it.extendRows(l, items);
      return null;
    }
    if (!(l instanceof PyList) || !(other instanceof PyList || other instanceof PyTuple)) return NOT_BUILTIN;
    it.budget.sequence(l.items.length + other.items.length, 'an extended list');
    it.budget.build(other.items.length, 'an extended list');
    // A copy first: `l.extend(l)` must not read what it appends.
    for (const item of other.items.slice()) l.items.push(item);
    return null;
  },
  'torch.pop': (it, [l, i, fallback]) => {
    if (l instanceof PyDict) {
      const key = i as DictKey;
      if (!l.map.has(key)) return fallback !== undefined ? fallback : it.fail('TRACE_RAISE', `the model raises KeyError: ${it.describe(i)}`);
      const value = l.map.get(key) as PyValue;
      l.map.delete(key);
      return value;
    }
    if (!(l instanceof PyList)) return NOT_BUILTIN;
    return l.items.splice(index(l.items.length, i === undefined ? -1 : (num(i) as number)), 1)[0];
  },
  'torch.sort': (_it, [l, reverse]) => {
    if (!(l instanceof PyList)) return NOT_BUILTIN;
    const items = sortedItems(l.items, reverse === true);
    if (!items) return NOT_BUILTIN;
    l.items.splice(0, l.items.length, ...items);
    return null;
  },
  'torch.sum': (_it, [l]) => {
    if (!(l instanceof PyList || l instanceof PyTuple)) return NOT_BUILTIN;
    const numbers = l.items.map(asPyNumber);
    if (numbers.some((n) => n === undefined)) return NOT_BUILTIN;
    return fromPyNumber((numbers as pyNumber.PyNumber[]).reduce((a, b) => pyNumber.add(a, b), 0));
  },
  'torch.index': (it, [l, v]) => {
    if (!(l instanceof PyList)) return NOT_BUILTIN;
    const i = l.items.findIndex((x) => pyEquals(x, v));
    return i >= 0 ? i : it.fail('TRACE_RAISE', `the model raises ValueError: ${it.describe(v)} is not in list`);
  },
  'torch.count': (_it, [l, v, start, end]) => {
    if (l instanceof PyList) return l.items.filter((x) => pyEquals(x, v)).length;
    if (typeof l !== 'string' || typeof v !== 'string') return NOT_BUILTIN;
    const [lo, hi] = sliceBounds(l.length, start ?? null, end ?? null);
    const part = l.slice(lo, hi);
    // Non-overlapping occurrences; the empty string occurs between every two characters and at both ends.
    return v === '' ? part.length + 1 : part.split(v).length - 1;
  },
  'torch.remove': (it, [l, v]) => {
    if (!(l instanceof PyList)) return NOT_BUILTIN;
    const i = l.items.findIndex((x) => pyEquals(x, v));
    if (i < 0) return it.fail('TRACE_RAISE', `the model raises ValueError: list.remove(x): ${it.describe(v)} not in list`);
    l.items.splice(i, 1);
    return null;
  },
  'torch.clear': (_it, [l]) => {
    if (!(l instanceof PyList)) return NOT_BUILTIN;
    l.items.length = 0;
    return null;
  },
  'torch.reverse': (_it, [l]) => {
    if (!(l instanceof PyList)) return NOT_BUILTIN;
    l.items.reverse();
    return null;
  },
  'torch.list': (_it, [l]) => (l instanceof PyList || l instanceof PyTuple ? new PyList([...l.items]) : NOT_BUILTIN),
  'torch.copy': (_it, [l]) => (l instanceof PyList ? new PyList([...l.items]) : l instanceof PyDict ? new PyDict(new Map(l.map)) : NOT_BUILTIN),
  'torch.slice': (it, [l, start, end, step]) => {
    if (!(l instanceof PyList || l instanceof PyTuple || typeof l === 'string')) return NOT_BUILTIN;
    const items = typeof l === 'string' ? [...l] : l.items;
    const s = num(step ?? 1) ?? 1;
    if (s === 0) return it.fail('TRACE_RAISE', 'the model raises RuntimeError: slice step cannot be zero');
    const out = sliceIndices(items.length, start ?? null, end ?? null, s).map((i) => items[i]);
    if (typeof l === 'string') return out.join('');
    return l instanceof PyTuple ? new PyTuple(out) : new PyList(out);
  },
  'torch.__getitem__': (it, [c, key]) => {
    if (c instanceof StackedRows) return it.callOp('aten', 'select', [rowsOf(c), 0, key], new Map());
    if (c instanceof PyList || c instanceof PyTuple) {
      const i = index(c.items.length, num(key) as number);
      if (i < 0 || i >= c.items.length) return it.fail('TRACE_TYPE', `list index ${String(key)} out of range`);
      return it.current(c.items[i]);
    }
    if (c instanceof PyDict) {
      if (!c.map.has(key as DictKey)) return it.fail('TRACE_RAISE', `the model looks up a missing key ${String(key)}`);
      return c.map.get(key as DictKey) as PyValue;
    }
    if (typeof c === 'string') return c[index(c.length, num(key) as number)];
    if (c instanceof PyObject) return it.getAttr(c, String(key));
    return NOT_BUILTIN;
  },
  'torch._set_item': (_it, [c, key, v]) => {
    if (c instanceof PyDict) c.map.set(key as DictKey, v);
    else if (c instanceof PyList) c.items[index(c.items.length, num(key) as number)] = v;
    else return NOT_BUILTIN;
    return null;
  },
  'torch.dict': (it, [pairs]) => {
    if (pairs === undefined) return new PyDict(new Map());
    if (pairs instanceof PyDict) return new PyDict(new Map(pairs.map));
    const entries = it.iterate(pairs).map((p) => (p instanceof PyTuple || p instanceof PyList ? [p.items[0] as DictKey, p.items[1]] : undefined));
    return entries.every((e) => e !== undefined) ? new PyDict(new Map(entries as Array<[DictKey, PyValue]>)) : NOT_BUILTIN;
  },
  'torch.keys': (_it, [d]) => (d instanceof PyDict ? new PyList([...d.map.keys()]) : NOT_BUILTIN),
  'torch.values': (_it, [d]) => (d instanceof PyDict ? new PyList([...d.map.values()]) : NOT_BUILTIN),
  'torch.items': (_it, [d]) => (d instanceof PyDict ? new PyList([...d.map.entries()].map(([k, v]) => new PyTuple([k, v]))) : NOT_BUILTIN),
  'torch.get': (_it, [d, key, fallback]) => (d instanceof PyDict ? (d.map.has(key as DictKey) ? (d.map.get(key as DictKey) as PyValue) : (fallback ?? null)) : NOT_BUILTIN),
  'torch.update': (_it, [d, other]) => {
    if (!(d instanceof PyDict) || !(other instanceof PyDict)) return NOT_BUILTIN;
    for (const [k, v] of other.map) d.map.set(k, v);
    return null;
  },
  'torch.setdefault': (_it, [d, key, fallback]) => {
    if (!(d instanceof PyDict)) return NOT_BUILTIN;
    if (!d.map.has(key as DictKey)) d.map.set(key as DictKey, fallback ?? null);
    return d.map.get(key as DictKey) as PyValue;
  },
  'torch.format': (it, [fmt, ...rest]) => format(it, fmt, rest),
  'torch.warn': (it, [msg]) => {
    it.warn('MODEL_WARNS', `the model warns: ${it.describe(msg)}`);
    return null;
  },
  'torch.startswith': (_it, [a, b]) => (typeof a === 'string' && typeof b === 'string' ? a.startsWith(b) : NOT_BUILTIN),
  'torch.endswith': (_it, [a, b]) => (typeof a === 'string' && typeof b === 'string' ? a.endsWith(b) : NOT_BUILTIN),
  'torch.find': (_it, [a, b, start, end]) => {
    if (typeof a !== 'string' || typeof b !== 'string') return NOT_BUILTIN;
    const from = num(start ?? 0) ?? 0;
    const i = a.slice(0, end === undefined || end === null ? undefined : (num(end) as number)).indexOf(b, from);
    return i;
  },
  'torch.lower': (_it, [a]) => (typeof a === 'string' ? a.toLowerCase() : NOT_BUILTIN),
  'torch.upper': (_it, [a]) => (typeof a === 'string' ? a.toUpperCase() : NOT_BUILTIN),
  'torch.strip': (_it, [a, chars]) => (typeof a === 'string' ? stripString(a, chars, true, true) : NOT_BUILTIN),
  'torch.lstrip': (_it, [a, chars]) => (typeof a === 'string' ? stripString(a, chars, true, false) : NOT_BUILTIN),
  'torch.rstrip': (_it, [a, chars]) => (typeof a === 'string' ? stripString(a, chars, false, true) : NOT_BUILTIN),
  'torch.rfind': (_it, [a, b, start, end]) => {
    if (typeof a !== 'string' || typeof b !== 'string') return NOT_BUILTIN;
    const [lo, hi] = sliceBounds(a.length, start ?? null, end ?? null);
    const i = a.slice(lo, hi).lastIndexOf(b);
    return i < 0 ? -1 : i + lo;
  },
  'torch.capitalize': (_it, [a]) => (typeof a === 'string' ? a.slice(0, 1).toUpperCase() + a.slice(1).toLowerCase() : NOT_BUILTIN),
  'torch.swapcase': (_it, [a]) =>
    typeof a === 'string' ? [...a].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('') : NOT_BUILTIN,
  /** Upper case after any character that is not a letter (digits included: 'foo1bar' is 'Foo1Bar'). */
  'torch.title': (_it, [a]) => {
    if (typeof a !== 'string') return NOT_BUILTIN;
    let afterLetter = false;
    return [...a].map((c) => {
      const out = isAsciiAlpha(c) ? (afterLetter ? c.toLowerCase() : c.toUpperCase()) : c;
      afterLetter = isAsciiAlpha(c);
      return out;
    }).join('');
  },
  'torch.isalpha': testsChars((t) => /^[A-Za-z]+$/.test(t)),
  'torch.isalnum': testsChars((t) => /^[A-Za-z0-9]+$/.test(t)),
  'torch.isspace': testsChars((t) => /^[ \t\n\v\f\r]+$/.test(t)),
  'torch.isupper': testsChars((t) => /[A-Z]/.test(t) && !/[a-z]/.test(t)),
  'torch.islower': testsChars((t) => /[a-z]/.test(t) && !/[A-Z]/.test(t)),
  // TorchScript's zfill pads on the left whatever the sign ('-42'.zfill(6) is '000-42').
  'torch.zfill': (it, [a, width]) => (typeof a === 'string' ? padString(it, a, width, '0', 'left') : NOT_BUILTIN),
  'torch.ljust': (it, [a, width, fill]) => (typeof a === 'string' ? padString(it, a, width, fill, 'right') : NOT_BUILTIN),
  'torch.rjust': (it, [a, width, fill]) => (typeof a === 'string' ? padString(it, a, width, fill, 'left') : NOT_BUILTIN),
  'torch.center': (it, [a, width, fill]) => (typeof a === 'string' ? padString(it, a, width, fill, 'center') : NOT_BUILTIN),
  'torch.replace': (it, [a, b, c]) => {
    if (typeof a !== 'string' || typeof b !== 'string' || typeof c !== 'string') return NOT_BUILTIN;
    const pieces = a.split(b);
    it.budget.sequence(a.length + (pieces.length - 1) * (c.length - b.length), 'the string replace() makes');
    return pieces.join(c);
  },
  'torch.split': (_it, [a, sep]) => (typeof a === 'string' ? new PyList(sep === undefined || sep === null ? a.split(/\s+/).filter(Boolean) : a.split(String(sep))) : NOT_BUILTIN),
  'torch.join': (it, [sep, items]) => {
    if (typeof sep !== 'string' || !(items instanceof PyList)) return NOT_BUILTIN;
    const texts = items.items.map(String);
    it.budget.sequence(texts.reduce((n, t) => n + t.length + sep.length, 0), 'the string join() makes');
    return texts.join(sep);
  },
  'torch.isdigit': (_it, [a]) => (typeof a === 'string' ? /^\d+$/.test(a) : NOT_BUILTIN),
  'torch.any': (it, [l]) => (l instanceof PyList || l instanceof PyTuple ? l.items.some((x) => it.truthy(x)) : NOT_BUILTIN),
  'torch.all': (it, [l]) => (l instanceof PyList || l instanceof PyTuple ? l.items.every((x) => it.truthy(x)) : NOT_BUILTIN),
  'torch.device': (_it, [d]) => (typeof d === 'string' ? { kind: 'device', device: d } : NOT_BUILTIN),
  'torch._unwrap_optional': (_it, [v]) => v,
  'torch.is_scripting': () => true,
  'torch.is_grad_enabled': () => false,
  // Tensors live on the CPU here: `x.cpu()` (pack_padded_sequence moves its lengths there) is `x` itself.
  'torch.cpu': (_it, [x]) => (x instanceof TensorBox ? x : NOT_BUILTIN),
  'torch.is_autocast_enabled': () => false,
  'torch.__range_length': (_it, [lo, hi, step]) => {
    const [l, h, s] = [num(lo) as number, num(hi) as number, num(step) as number];
    return Math.max(0, Math.ceil((h - l) / s));
  },
  'torch.__derive_index': (_it, [i, start, step]) =>
    fromPyNumber(pyNumber.add(num(start) as number, pyNumber.multiply(num(i) as number, num(step) as number))),

  // ----- ops.prim -----
  'ops.prim.RaiseException': (it, [msg, cls]) =>
    it.fail('TRACE_RAISE', `the model raises ${cls ? `${String(cls).replace(/^builtins\./, '')}: ` : ''}${it.describe(msg ?? null)}`),
  'ops.prim.NumToTensor': (it, [n]) => {
    if (typeof n === 'boolean') return it.knownTensor({ type: { kind: 'tensor', dtype: 'bool', shape: [] }, values: [n ? 1 : 0] });
    if (typeof n === 'number') return it.knownTensor({ type: { kind: 'tensor', dtype: 'int64', shape: [] }, values: [n] });
    if (n instanceof PyFloat) return it.knownTensor({ type: { kind: 'tensor', dtype: 'float64', shape: [] }, values: [n.value] });
    if (!(n instanceof GValue)) return NOT_BUILTIN;
    const out = it.callOp('prim', 'NumToTensor', [n], new Map());
    const dim = dimOf(it, n);
    if (dim !== undefined && out instanceof TensorBox) it.tensorDims.set(out.value, dim);
    return out;
  },
  // The op behind `x.tolist()`, whose extra arguments (rank, element type) the tensor's type already gives.
  'ops.prim.tolist': (it, [x]) => BUILTINS['torch.tolist'](it, [x], new Map()),
  'ops.prim.device': () => ({ kind: 'device', device: 'cpu' }),
  'ops.prim.dtype': (_it, [x]) => {
    const t = tensorOf(x);
    return t ? scalarTypeOf(t.dtype) : NOT_BUILTIN;
  },
  'ops.prim.layout': () => 0,
  'ops.prim.shape': (it, [x]) => (tensorOf(x) ? size(it, x) : NOT_BUILTIN),
  'ops.prepacked.linear_clamp_prepack': xnnpackPrepack('linear'),
  'ops.prepacked.conv2d_clamp_prepack': xnnpackPrepack('conv2d'),
  'ops.prepacked.conv2d_transpose_clamp_prepack': xnnpackPrepack('conv_transpose2d'),
  'ops.prepacked.linear_clamp_run': xnnpackRun('linear'),
  'ops.prepacked.conv2d_clamp_run': xnnpackRun('conv2d'),
  'ops.prepacked.conv2d_transpose_clamp_run': xnnpackRun('conv_transpose2d'),
  'ops.quantized.conv1d_prepack': quantizedConvPrepack(1, false),
  'ops.quantized.conv2d_prepack': quantizedConvPrepack(2, false),
  'ops.quantized.conv_transpose1d_prepack': quantizedConvPrepack(1, true),
  'ops.quantized.conv_transpose2d_prepack': quantizedConvPrepack(2, true),
  'ops.quantized.conv3d_prepack': quantizedConvPrepack(3, false),
  'ops.quantized.conv_transpose3d_prepack': quantizedConvPrepack(3, true),
  'ops.quantized.linear_prepack': (_it, [w, b]) => new TorchbindObject(PACKED_LINEAR, new PyTuple([w, b ?? null])),
  'ops.quantized.linear_prepack_fp16': (_it, [w, b]) => new TorchbindObject(PACKED_LINEAR, new PyTuple([w, b ?? null])),
  'ops.quantized.linear_unpack': (_it, [p]) => (p instanceof TorchbindObject ? p.state : NOT_BUILTIN),
  'ops.quantized.linear_unpack_fp16': (_it, [p]) => (p instanceof TorchbindObject ? p.state : NOT_BUILTIN),
  'ops.prim.type': (_it, [d]) => (d && typeof d === 'object' && 'kind' in d && d.kind === 'device' ? d.device.split(':')[0] : NOT_BUILTIN),
  'ops.prim.is_cuda': () => false,
  'ops.prim.is_nested': () => false,
  'ops.prim.is_quantized': (_it, [x]) => {
    const t = tensorOf(x);
    return t ? t.dtype === 'quint8' || t.dtype === 'qint8' || t.dtype === 'qint32' : NOT_BUILTIN;
  },
  'ops.prim.is_sparse': () => false,
  'ops.prim.is_mkldnn': () => false,
  'ops.prim.is_meta': () => false,
  'ops.prim.requires_grad': () => false,
  'ops.prim.data': (_it, [x]) => x,
  'ops.prim.unchecked_unwrap_optional': (_it, [x]) => x,
  'ops.prim.min': (_it, args) => {
    const items = args.length === 1 && (args[0] instanceof PyList || args[0] instanceof PyTuple) ? args[0].items : args;
    if (!items.every(isPyNumber)) return NOT_BUILTIN;
    return items.reduce((a, b) => ((num(b) as number) < (num(a) as number) ? b : a));
  },
  'ops.prim.max': (_it, args) => {
    const items = args.length === 1 && (args[0] instanceof PyList || args[0] instanceof PyTuple) ? args[0].items : args;
    if (!items.every(isPyNumber)) return NOT_BUILTIN;
    return items.reduce((a, b) => ((num(b) as number) > (num(a) as number) ? b : a));
  },
  'ops.prim.abs': unaryArith(pyNumber.absolute),
};

/** Builtins whose list or string result is new, paid for by its length (`str` and `format` pay as they describe). */
const BUILDERS = new Set([
  'builtins.range', 'builtins.list', 'builtins.enumerate', 'builtins.zip', 'builtins.sorted', 'torch.add', 'torch.mul',
  'torch.list', 'torch.copy', 'torch.slice', 'torch.keys', 'torch.values', 'torch.items', 'torch.split', 'torch.join',
  'torch.replace', 'torch.lower', 'torch.upper', 'torch.strip', 'torch.lstrip', 'torch.rstrip', 'torch.capitalize', 'torch.swapcase',
  'torch.title', 'torch.zfill', 'torch.ljust', 'torch.rjust', 'torch.center',
]);

/** Runs `path` as a Python-level function when it is one and its arguments fit; else NOT_BUILTIN. */
export function callBuiltin(it: Interpreter, path: string, args: PyValue[], kwargs: Map<string, PyValue>): PyValue | typeof NOT_BUILTIN {
  const key = path.startsWith('ops.aten.') ? `torch.${path.slice('ops.aten.'.length)}` : path;
  const fn = BUILTINS[key];
  if (!fn) {
    if (key.startsWith('builtins.')) return it.fail('SCRIPT_NAME', `unknown name ${key.slice('builtins.'.length)}`);
    return NOT_BUILTIN;
  }
  try {
    const result = fn(it, args, kwargs);
    // Builtins that could multiply a size check it first; any other result is at most twice its
    // arguments' size, so checking after the fact suffices.
    if (typeof result === 'string' || result instanceof PyList || result instanceof PyTuple) {
      const length = typeof result === 'string' ? result.length : result.items.length;
      const what = `the ${typeName(result)} ${key.replace(/^(torch|builtins)\./, '')}() makes`;
      if (BUILDERS.has(key)) it.budget.build(length, what);
      else it.budget.sequence(length, what);
    }
    return result;
  } catch (e) {
    if (e instanceof TsonnxError) throw e.at(it.location());
    throw e;
  }
}

/** Whether `path` (`torch.len`, `ops.prim.device`) is a Python-level function the interpreter computes. */
export function isBuiltin(path: string): boolean {
  return Object.hasOwn(BUILTINS, path);
}
