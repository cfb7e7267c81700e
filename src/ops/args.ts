/**
 * Reading a call's arguments: `BoundArgs` (one call bound to its schema by name), int arguments that
 * may be run-time values, the dims they stand for, and shape tensors built from them.
 */
import { type DType, PyFloat } from '../archive/types.js';
import { fail, TsonnxError } from '../errors.js';
import { type Arg, type Dim, GValue, type KnownTensor, type TorchbindArg } from '../ir/torch-graph.js';
import { dtypeFromScalarType } from './dtypes.js';
import { castTo, onnxDtypeOf, shapeOf } from './helpers.js';
import { unsqueeze } from './opset.js';
import type { LowerContext } from './registry.js';
import type { Schema } from './schema.js';

/** Arguments of one call, bound to a schema by name. */
export class BoundArgs {
  constructor(
    readonly schema: Schema,
    readonly values: ReadonlyMap<string, Arg>,
    /** The conversion's fresh dim names. */
    readonly freshDims: FreshDims,
    /** Known element values of input tensors, when the interpreter has them. */
    readonly known: (v: GValue) => KnownTensor | undefined = (v) => v.known,
  ) {}

  /** A new symbolic dim for an output size that depends on run-time values. */
  freshDim(op: string): string {
    return this.freshDims.next(op);
  }

  raw(name: string): Arg {
    if (!this.values.has(name)) throw new TsonnxError('INTERNAL', `${this.schema.name} has no argument ${name}`);
    return this.values.get(name) as Arg;
  }

  isNone(name: string): boolean {
    return this.raw(name) === null;
  }

  tensor(name: string): GValue {
    const v = this.raw(name);
    if (v instanceof GValue && v.type.kind === 'tensor') return v;
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be a tensor`);
  }

  optTensor(name: string): GValue | undefined {
    return this.raw(name) === null ? undefined : this.tensor(name);
  }

  tensors(name: string): GValue[] {
    const v = this.raw(name);
    if (!Array.isArray(v)) return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be a list of tensors`);
    return v.map((t) => {
      if (t instanceof GValue) return t;
      return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must hold tensors`);
    });
  }

  int(name: string): number {
    const v = this.raw(name);
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be an int known at conversion time`);
  }

  optInt(name: string): number | undefined {
    return this.raw(name) === null ? undefined : this.int(name);
  }

  float(name: string): number {
    const v = this.raw(name);
    if (v instanceof PyFloat) return v.value;
    if (typeof v === 'number') return v;
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be a number known at conversion time`);
  }

  optFloat(name: string): number | undefined {
    return this.raw(name) === null ? undefined : this.float(name);
  }

  bool(name: string): boolean {
    const v = this.raw(name);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be a bool known at conversion time`);
  }

  str(name: string): string {
    const v = this.raw(name);
    if (typeof v === 'string') return v;
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be a string`);
  }

  /** An int list; fixed-size lists (`int[2]`) broadcast a single int. */
  ints(name: string): number[] {
    const v = this.raw(name);
    const arg = this.schema.args.find((a) => a.name === name);
    if (typeof v === 'number') return Array(arg?.type.listSize ?? 1).fill(v);
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
      if (v.length === 1 && arg?.type.listSize && arg.type.listSize > 1) return Array(arg.type.listSize).fill(v[0]);
      return v as number[];
    }
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be an int list known at conversion time`);
  }

  optInts(name: string): number[] | undefined {
    return this.raw(name) === null ? undefined : this.ints(name);
  }

  /** A TorchBind object argument (packed quantized weights, ...), with its pickled state. */
  torchbind(name: string): TorchbindArg {
    const v = this.raw(name);
    if (v && typeof v === 'object' && 'kind' in v && v.kind === 'torchbind') return v;
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be a ${this.schema.args.find((a) => a.name === name)?.type.base} object`);
  }

  /** A Scalar argument: a Python number known now, or a symbolic scalar/0-d tensor value. */
  scalar(name: string): number | PyFloat | boolean | GValue {
    const v = this.raw(name);
    if (typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat || v instanceof GValue) return v;
    return fail('TRACE_TYPE', `${this.schema.name}: argument ${name} must be a number`);
  }
}

/** An int argument: known now, or a run-time Python int (a dynamic dimension, a loop counter). */
export type IntArg = number | GValue;

/**
 * Names for symbolic dims whose size depends on run-time values. One per conversion, shared by its
 * trace and lower stages, so the numbering starts afresh with each and never leaks between
 * conversions running at once.
 */
export class FreshDims {
  private count = 0;

  /** A new dim, unique in its conversion, so unrelated dims never compare equal in shape rules. */
  next(op: string): string {
    return `${op}_dim_${this.count++}`;
  }
}

/** The dim a size argument stands for: its value, the named dim it was read from, or a fresh one. */
export function sizeDim(a: BoundArgs, s: IntArg, op: string): Dim {
  if (typeof s === 'number') return s;
  if (s.type.kind === 'scalar' && s.type.dim !== undefined) return s.type.dim;
  const dim = a.freshDim(op);
  // The run-time int now names the size it made, so a size later compared with it is known equal.
  if (s.type.kind === 'scalar') s.type = { ...s.type, dim };
  return dim;
}

function isRuntimeInt(v: unknown): v is GValue {
  if (!(v instanceof GValue)) return false;
  const t = v.type;
  return t.kind === 'scalar' || (t.kind === 'tensor' && t.shape.length === 0);
}

export function intArg(a: BoundArgs, name: string): IntArg {
  const v = a.raw(name);
  if (isRuntimeInt(v)) return v;
  return a.int(name);
}

export function optIntArg(a: BoundArgs, name: string): IntArg | undefined {
  return a.isNone(name) ? undefined : intArg(a, name);
}

/** An int list whose elements may be run-time ints (`view(x, [torch.size(x, 0), -1])`). */
export function intListArg(a: BoundArgs, name: string): IntArg[] {
  const v = a.raw(name);
  if (Array.isArray(v)) {
    return v.map((e: Arg) => {
      if (typeof e === 'number') return e;
      if (typeof e === 'boolean') return e ? 1 : 0;
      if (isRuntimeInt(e)) return e;
      return fail('TRACE_TYPE', `${a.schema.name}: argument ${name} must hold ints`);
    });
  }
  if (v instanceof GValue) {
    return fail('TRACE_UNSUPPORTED', `${a.schema.name}: argument ${name} is a list only known at run time`);
  }
  return a.ints(name);
}

/** The values as plain numbers when every one is known now (static dims, known ints). */
export function staticInts(values: readonly unknown[]): number[] | undefined {
  return values.every((v) => typeof v === 'number') ? [...(values as number[])] : undefined;
}

/** A run-time int as a 1-D int64 tensor of one element. */
export function intAsVector(ctx: LowerContext, v: GValue): string {
  return unsqueeze(ctx, castTo(ctx, ctx.input(v), onnxDtypeOf(v), 'int64'), [0]);
}

/**
 * A 1-D int64 tensor from ints known now and run-time ints: one Constant when all are known,
 * else Unsqueeze + Concat.
 */
export function shapeTensor(ctx: LowerContext, dims: readonly Arg[]): string {
  const parts: string[] = [];
  let known: number[] = [];
  const flush = () => {
    if (known.length) parts.push(ctx.b.int64s(known));
    known = [];
  };
  for (const d of dims) {
    if (typeof d === 'number' || typeof d === 'boolean') known.push(Number(d));
    else if (isRuntimeInt(d)) {
      flush();
      parts.push(intAsVector(ctx, d));
    } else fail('TRACE_TYPE', 'a shape must hold ints');
  }
  flush();
  if (parts.length === 0) return ctx.b.int64s([]);
  return parts.length === 1 ? parts[0] : ctx.b.op1('Concat', parts, { axis: 0 });
}

/** The shape of a value: a Constant when static, else `Shape`. */
export function shapeOfValue(ctx: LowerContext, v: GValue): string {
  const dims = staticInts(shapeOf(v));
  return dims ? ctx.b.int64s(dims) : ctx.b.op1('Shape', [ctx.input(v)]);
}

/**
 * The name of a dynamic dimension computed from another one. It describes the computation, so the
 * same arithmetic on the same axis gives the same name (and equal sizes compare equal).
 */
export function derivedDim(size: Dim, computation: string): string {
  return `${size}_${computation}`;
}

/** A ScalarType argument (`dtype=6`) as a DType, or undefined for None. */
export function optDtype(a: BoundArgs, name: string): DType | undefined {
  const code = a.optInt(name);
  if (code === undefined) return undefined;
  const dtype = dtypeFromScalarType(code);
  if (dtype === undefined) return fail('TRACE_TYPE', `${a.schema.name}: unknown dtype code ${code}`);
  return dtype;
}
