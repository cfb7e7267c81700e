/**
 * The op registry (design decision 2): one definition per aten op, holding its schema strings,
 * its shape/dtype rule and its lowering per opset. The interpreter binds calls against the
 * schemas and asks for output types; the lower stage asks for the lowering at the target opset.
 */
import type { TensorRef } from '../archive/types.js';
import { fail } from '../errors.js';
import type { GNode, GValue, KnownTensor, ValueType } from '../ir/torch-graph.js';
import type { BoundArgs } from './args.js';
import { complexAware } from './complex.js';
import type { OnnxBuilder } from './builder.js';
import { parseSchema, type Schema } from './schema.js';
import type { QuantizedEngine } from './quantized-engine.js';

export interface LowerContext {
  readonly opset: number;
  /** The quantized engine whose integer arithmetic quantized ops reproduce (src/ops/quantized-engine.ts). */
  readonly quantizedEngine: QuantizedEngine;
  readonly node: GNode;
  readonly b: OnnxBuilder;
  /** ONNX value name of a graph value. */
  input(v: GValue): string;
  /** The archive tensor behind a parameter value (quantized weights need their scales), if it has one. */
  parameter?(v: GValue): TensorRef | undefined;
  /** Whether anything reads the value: for outputs ONNX has no form of, which may go unwritten when unread. */
  isRead?(v: GValue): boolean;
}

/** Returns the ONNX names of the node's outputs, in order. */
export type Lowering = (ctx: LowerContext, a: BoundArgs) => string[];

export interface OpDef {
  /** Every overload this definition handles, exactly as `torch._C._jit_get_all_schemas()` prints it. */
  readonly schemas: readonly string[];
  /** Output types from the bound arguments. */
  infer(a: BoundArgs): ValueType[];
  /** Output values when every input is known at conversion time (shape arithmetic, small constants). */
  evaluate?(a: BoundArgs): KnownTensor[] | undefined;
  /** Lowerings keyed by the lowest opset each is valid for. */
  readonly lower: Readonly<Record<number, Lowering>>;
  /**
   * Python-number plumbing (sizes, `int(t)`, numbers made tensors): operator_export_type=onnx_aten
   * writes tensor ops as ATen nodes, and these are not tensor ops, so they are always lowered.
   */
  readonly lowersUnderOnnxAten?: boolean;
}

/** An op's definition with its schemas parsed. */
export interface OpEntry {
  readonly def: OpDef;
  readonly schemas: readonly Schema[];
}

/** Every op definition by name: the interpreter and the lower stage are handed one. */
export interface Registry {
  /** The definition of `aten::add` (namespace and name, no overload), if there is one. */
  findOp(name: string): OpEntry | undefined;
  /** Every defined op name, sorted. */
  opNames(): string[];
}

/** `aten::add` from `aten::add.Tensor(Tensor self, ...) -> Tensor`. */
function opName(schema: string): string {
  const head = schema.slice(0, schema.indexOf('('));
  const dot = head.indexOf('.', head.indexOf('::'));
  return dot < 0 ? head : head.slice(0, dot);
}

/** A registry of the families' definitions. An op name may be defined once. */
export function createRegistry(families: readonly (readonly OpDef[])[]): Registry {
  const defs = new Map<string, OpDef>();
  for (const def of families.flat()) {
    const name = opName(def.schemas[0]);
    if (def.schemas.some((s) => opName(s) !== name)) throw new Error(`one definition per op: ${def.schemas.join(' | ')}`);
    if (defs.has(name)) throw new Error(`op ${name} defined twice`);
    defs.set(name, def);
  }
  // Schemas are parsed on first use: most of the registry is never needed by one model.
  const parsed = new Map<string, OpEntry>();
  return Object.freeze({
    findOp(name: string): OpEntry | undefined {
      const def = defs.get(name);
      if (!def) return undefined;
      let entry = parsed.get(name);
      if (!entry) {
        entry = { def, schemas: def.schemas.map(parseSchema) };
        parsed.set(name, entry);
      }
      return entry;
    },
    opNames: () => [...defs.keys()].sort(),
  });
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
  return complexAware(name, def.lower[key]);
}
