/**
 * The op registry (design decision 2): one definition per aten op, holding its schema strings,
 * its shape/dtype rule and its lowering per opset. The interpreter binds calls against the
 * schemas and asks for output types; the lower stage asks for the lowering at the target opset.
 */
import { PyFloat, type TensorRef } from '../archive/types.js';
import { fail, TsonnxError } from '../errors.js';
import { GValue, type Arg, type GNode, type KnownTensor, type TorchbindArg, type ValueType } from '../trace/graph.js';
import type { OnnxBuilder } from './builder.js';
import { parseSchema, type Schema } from './schema.js';

export interface LowerContext {
  readonly opset: number;
  readonly node: GNode;
  readonly b: OnnxBuilder;
  /** ONNX value name of a graph value. */
  input(v: GValue): string;
  /** The archive tensor behind a parameter value (quantized weights need their scales), if it has one. */
  parameter?(v: GValue): TensorRef | undefined;
}

/** Returns the ONNX names of the node's outputs, in order. */
export type Lowering = (ctx: LowerContext, a: BoundArgs) => string[];

export type { KnownTensor };

export interface OpDef {
  /** Every overload this definition handles, exactly as `torch._C._jit_get_all_schemas()` prints it. */
  readonly schemas: readonly string[];
  /** Output types from the bound arguments. */
  infer(a: BoundArgs): ValueType[];
  /** Output values when every input is known at conversion time (shape arithmetic, small constants). */
  evaluate?(a: BoundArgs): KnownTensor[] | undefined;
  /** Lowerings keyed by the lowest opset each is valid for. */
  readonly lower: Readonly<Record<number, Lowering>>;
}

/** Arguments of one call, bound to a schema by name. */
export class BoundArgs {
  constructor(
    readonly schema: Schema,
    readonly values: ReadonlyMap<string, Arg>,
    /** Known element values of input tensors, when the interpreter has them. */
    readonly known: (v: GValue) => KnownTensor | undefined = (v) => v.known,
  ) {}

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

interface Entry {
  readonly def: OpDef;
  /** Parsed on first use: most of the registry is never needed by one model. */
  schemas?: Schema[];
}

const registry = new Map<string, Entry>();

/** `aten::add` from `aten::add.Tensor(Tensor self, ...) -> Tensor`. */
function opName(schema: string): string {
  const head = schema.slice(0, schema.indexOf('('));
  const dot = head.indexOf('.', head.indexOf('::'));
  return dot < 0 ? head : head.slice(0, dot);
}

/** Registers a family's definitions. An op name may be defined once. */
export function defineOps(defs: readonly OpDef[]): void {
  for (const def of defs) {
    const name = opName(def.schemas[0]);
    if (def.schemas.some((s) => opName(s) !== name)) throw new Error(`one definition per op: ${def.schemas.join(' | ')}`);
    if (registry.has(name)) throw new Error(`op ${name} defined twice`);
    registry.set(name, { def });
  }
}

export function findOp(name: string): { def: OpDef; schemas: readonly Schema[] } | undefined {
  const entry = registry.get(name);
  if (!entry) return undefined;
  entry.schemas ??= entry.def.schemas.map(parseSchema);
  return { def: entry.def, schemas: entry.schemas };
}

export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}

/** The lowest opset the op can be lowered at, or undefined when it has no lowering. */
export function lowestOpset(def: OpDef): number | undefined {
  const keys = Object.keys(def.lower).map(Number);
  return keys.length ? Math.min(...keys) : undefined;
}

/** "The highest lowering registered at or below the target opset." */
export function loweringFor(name: string, def: OpDef, opset: number): Lowering {
  const keys = Object.keys(def.lower).map(Number).sort((a, b) => b - a);
  const key = keys.find((k) => k <= opset);
  if (key === undefined) {
    const lowest = lowestOpset(def);
    return fail(
      'OP_OPSET',
      `${name} cannot be expressed at opset ${opset}` + (lowest !== undefined ? `; it needs opset ${lowest} or later` : ''),
    );
  }
  return def.lower[key];
}
