/**
 * Shared harness for op-family tests: binds a call against an op's schemas the way the interpreter
 * does (positional, keyword, defaults), runs its shape rule, lowers it alone into an ONNX model and
 * runs that model in onnxruntime.
 */
import ort from 'onnxruntime-node';
import { expect } from 'vitest';
import type { DType } from '../../src/archive/types.js';
import { TsonnxError } from '../../src/errors.js';
import { emptyGraph, NameScope, OnnxBuilder } from '../../src/ops/builder.js';
import { onnxDtypeOf } from '../../src/ops/helpers.js';
import type { OnnxGraph } from '../../src/ir/onnx-graph.js';
import { BoundArgs, FreshDims } from '../../src/ops/args.js';
import { createOpRegistry } from '../../src/ops/index.js';
import { DEFAULT_QUANTIZED_ENGINE } from '../../src/ops/quantized-engine.js';
import { loweringFor, type LowerContext } from '../../src/ops/registry.js';
import type { Schema } from '../../src/ops/schema.js';
import onnxProto from 'onnx-proto';
import { ONNX_DTYPE, type OnnxAttr, type OnnxTensor, type OnnxValueInfo } from '../../src/ir/onnx-graph.js';
import { GValue, type Arg, type Dim, type GNode, type KnownTensor, type ValueType } from '../../src/ir/torch-graph.js';

const registry = createOpRegistry();

export function tensorValue(dtype: DType, shape: readonly Dim[], hint?: string): GValue {
  return new GValue({ kind: 'tensor', dtype, shape }, hint);
}

/** A Python number only known at run time (a dynamic dimension, a data-dependent int). */
export function scalarValue(scalar: 'int' | 'float' | 'bool', hint?: string): GValue {
  return new GValue({ kind: 'scalar', scalar }, hint);
}

export interface Call {
  /** `aten::view`. */
  op: string;
  /** Positional arguments, in schema order. */
  args?: readonly Arg[];
  kwargs?: Readonly<Record<string, Arg>>;
  /** Pick this overload (`Tensor` in `aten::add.Tensor`) instead of the first that binds. */
  overload?: string;
  /** Known element values of input tensors, as the interpreter would provide them. */
  known?: ReadonlyMap<GValue, KnownTensor>;
}

function bindTo(schema: Schema, call: Call): Map<string, Arg> | undefined {
  const positional = call.args ?? [];
  const kwargs = call.kwargs ?? {};
  if (positional.length > schema.args.filter((a) => !a.kwargOnly).length) return undefined;
  const values = new Map<string, Arg>();
  for (const [i, arg] of schema.args.entries()) {
    if (i < positional.length && !arg.kwargOnly) values.set(arg.name, positional[i]);
    else if (arg.name in kwargs) values.set(arg.name, kwargs[arg.name]);
    else if (arg.hasDefault) values.set(arg.name, arg.default as Arg);
    else return undefined;
  }
  if (Object.keys(kwargs).some((k) => !schema.args.some((a) => a.name === k))) return undefined;
  return values;
}

function argFits(schema: Schema, values: Map<string, Arg>): boolean {
  return schema.args.every((arg) => {
    const v = values.get(arg.name);
    const base = arg.type.base;
    if (v === null) return arg.type.optional || arg.type.elementOptional;
    if (arg.type.list) return Array.isArray(v) || (arg.type.listSize !== undefined && typeof v === 'number');
    if (Array.isArray(v)) return base === 't';
    if (v instanceof GValue) return v.type.kind === 'tensor' ? base === 'Tensor' : base !== 'Tensor' && base !== 'Device';
    if (typeof v === 'object' && v !== undefined && 'kind' in v && v.kind === 'device') return base === 'Device';
    return base !== 'Tensor' && base !== 'Device';
  });
}

/** Binds a call like the interpreter: the requested overload, or the first schema the arguments fit. */
export function bind(call: Call): { args: BoundArgs; schema: Schema } {
  const op = registry.findOp(call.op);
  if (!op) throw new Error(`${call.op} is not registered`);
  for (const schema of op.schemas) {
    if (call.overload !== undefined && schema.overload !== call.overload) continue;
    const values = bindTo(schema, call);
    if (!values || (call.overload === undefined && !argFits(schema, values))) continue;
    const known = call.known;
    return { args: new BoundArgs(schema, values, new FreshDims(), (v) => known?.get(v)), schema };
  }
  throw new Error(`no overload of ${call.op} fits the call`);
}

export function infer(call: Call): ValueType[] {
  const { args } = bind(call);
  return registry.findOp(call.op)!.def.infer(args);
}

export function evaluate(call: Call): KnownTensor[] | undefined {
  const { args } = bind(call);
  return registry.findOp(call.op)!.def.evaluate?.(args);
}

/** Every GValue an argument holds, in order, lists included. */
function valuesIn(arg: Arg, into: GValue[]): void {
  if (arg instanceof GValue) {
    if (!into.includes(arg)) into.push(arg);
  } else if (Array.isArray(arg)) {
    for (const a of arg) valuesIn(a, into);
  }
}

export interface LoweredOp {
  graph: OnnxGraph;
  /** Output types from the op's shape rule. */
  types: ValueType[];
  /** Graph input name of each GValue argument. */
  inputNames: Map<GValue, string>;
}

/** Lowers one call at an opset into a graph whose inputs are the call's GValue arguments. */
export function lowerOp(call: Call, opset: number): LoweredOp {
  const { args, schema } = bind(call);
  const def = registry.findOp(call.op)!.def;
  const types = def.infer(args);
  const graph = emptyGraph('main_graph');
  const b = new OnnxBuilder(graph, new NameScope());
  const inputs: GValue[] = [];
  for (const v of args.values.values()) valuesIn(v, inputs);
  const inputNames = new Map<GValue, string>();
  inputs.forEach((v, i) => {
    const name = `input_${i}`;
    inputNames.set(v, name);
    const t = v.type;
    graph.inputs.push({ name, dtype: onnxDtypeOf(v), shape: t.kind === 'tensor' ? t.shape : [] });
  });
  const node: GNode = {
    op: call.op,
    overload: schema.overload,
    args: args.values,
    outputs: types.map((t) => new GValue(t)),
    scope: '',
  };
  const ctx: LowerContext = {
    opset,
    quantizedEngine: DEFAULT_QUANTIZED_ENGINE,
    node,
    b,
    input: (v) => {
      const name = inputNames.get(v);
      if (name === undefined) throw new Error(`value ${v.hint ?? '(unnamed)'} is not an input of this call`);
      return name;
    },
  };
  const outputs = loweringFor(call.op, def, opset)(ctx, args);
  if (outputs.length !== types.length) throw new Error(`${call.op}: ${outputs.length} outputs lowered, ${types.length} inferred`);
  outputs.forEach((name, i) => {
    const t = types[i];
    if (t.kind === 'sequence') throw new Error('sequence outputs are not supported by the harness');
    const dtype = t.kind === 'tensor' ? t.dtype : t.scalar === 'int' ? 'int64' : t.scalar === 'float' ? 'float64' : 'bool';
    // A graph input or a name used twice cannot be a graph output of its own: pass it through Identity.
    const unique = graph.inputs.some((v) => v.name === name) || outputs.indexOf(name) !== i;
    const outName = unique ? b.op1('Identity', [name]) : name;
    graph.outputs.push({ name: outName, dtype });
  });
  return { graph, types, inputNames };
}

const { onnx } = onnxProto;
const AttributeType = onnx.AttributeProto.AttributeType;

/*
 * A small encoder of its own, so op tests do not depend on the writer stage: lowered single ops
 * only hold in-memory tensors.
 */
function encodeTensor(t: OnnxTensor): onnxProto.onnx.ITensorProto {
  if (t.data.kind !== 'bytes') throw new Error('harness graphs hold in-memory tensors only');
  return { name: t.name, dims: [...t.dims], dataType: ONNX_DTYPE[t.dtype], rawData: t.data.bytes };
}

/** An int64 protobufjs encodes exactly; beyond ±2^63 (INT64_MAX is 2^63 as a JS number) it clamps, as the writer does. */
function int64(n: number): number | { low: number; high: number; unsigned: boolean } {
  if (Number.isSafeInteger(n)) return n;
  const big = BigInt.asUintN(64, n >= 2 ** 63 ? (1n << 63n) - 1n : n < -(2 ** 63) ? -(1n << 63n) : BigInt(n));
  return { low: Number(big & 0xffffffffn) | 0, high: Number(big >> 32n) | 0, unsigned: false };
}

function encodeAttr(name: string, a: OnnxAttr): onnxProto.onnx.IAttributeProto {
  if (typeof a === 'number') return { name, type: AttributeType.INT, i: int64(a) };
  if (typeof a === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a) };
  if (Array.isArray(a)) return { name, type: AttributeType.INTS, ints: (a as number[]).map(int64) };
  const o = a as Exclude<OnnxAttr, number | string | readonly number[]>;
  if ('f' in o) return { name, type: AttributeType.FLOAT, f: o.f };
  if ('floats' in o) return { name, type: AttributeType.FLOATS, floats: [...o.floats] };
  if ('strings' in o) return { name, type: AttributeType.STRINGS, strings: o.strings.map((x) => new TextEncoder().encode(x)) };
  if ('t' in o) return { name, type: AttributeType.TENSOR, t: encodeTensor(o.t) };
  return { name, type: AttributeType.GRAPH, g: encodeGraph(o.g) };
}

function encodeValueInfo(v: OnnxValueInfo): onnxProto.onnx.IValueInfoProto {
  const tensorType: onnxProto.onnx.TypeProto.ITensor = { elemType: ONNX_DTYPE[v.dtype] };
  if (v.shape) tensorType.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
  return { name: v.name, type: v.sequence ? { sequenceType: { elemType: { tensorType } } } : { tensorType } };
}

function encodeGraph(g: OnnxGraph): onnxProto.onnx.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain,
      input: n.inputs,
      output: n.outputs,
      attribute: Object.entries(n.attrs).map(([k, a]) => encodeAttr(k, a)),
    })),
    initializer: g.initializers.map(encodeTensor),
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    valueInfo: g.valueInfo.map(encodeValueInfo),
  };
}

/** IR 7 reads every opset up to 14; later opsets need the IR version that introduced them. */
function irVersion(opset: number): number {
  return opset >= 21 ? 10 : opset >= 19 ? 9 : opset >= 15 ? 8 : 7;
}

export function modelBytes(graph: OnnxGraph, opset: number): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: irVersion(opset),
    producerName: 'tsonnx-test',
    opsetImport: [{ domain: '', version: opset }],
    graph: encodeGraph(graph),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Values for one input: a flat C-order array; numbers are converted to the input's dtype. */
export type InputData = readonly number[] | readonly boolean[];

export interface RunResult {
  dims: number[];
  /** Element values as numbers (int64 converted, bool as 0/1). */
  data: number[];
  dtype: string;
}

function ortTensor(dtype: DType, dims: readonly number[], data: InputData): ort.Tensor {
  const nums = (data as readonly (number | boolean)[]).map(Number);
  switch (dtype) {
    case 'float32': return new ort.Tensor('float32', Float32Array.from(nums), dims);
    case 'float64': return new ort.Tensor('float64', Float64Array.from(nums), dims);
    case 'int64': return new ort.Tensor('int64', BigInt64Array.from(nums.map((n) => BigInt(n))), dims);
    case 'int32': return new ort.Tensor('int32', Int32Array.from(nums), dims);
    case 'int16': return new ort.Tensor('int16', Int16Array.from(nums), dims);
    case 'int8': return new ort.Tensor('int8', Int8Array.from(nums), dims);
    case 'uint8': return new ort.Tensor('uint8', Uint8Array.from(nums), dims);
    case 'bool': return new ort.Tensor('bool', Uint8Array.from(nums), dims);
    default: throw new Error(`harness cannot feed ${dtype} inputs`);
  }
}

/** Runs a graph in onnxruntime with inputs given by graph input name. */
export async function runGraph(graph: OnnxGraph, opset: number, feeds: ReadonlyMap<string, InputData>): Promise<RunResult[]> {
  const session = await ort.InferenceSession.create(modelBytes(graph, opset));
  const inputs: Record<string, ort.Tensor> = {};
  for (const info of graph.inputs) {
    const data = feeds.get(info.name);
    if (data === undefined) throw new Error(`no data for input ${info.name}`);
    const dims = (info.shape ?? []).map((d) => {
      if (typeof d !== 'number') throw new Error(`input ${info.name} has symbolic dims: pass concrete shapes with runOp's shapes option`);
      return d;
    });
    inputs[info.name] = ortTensor(info.dtype, dims, data);
  }
  const results = await session.run(inputs);
  await session.release();
  return graph.outputs.map((o) => {
    const t = results[o.name];
    const data = Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
    return { dims: [...t.dims], data, dtype: t.type };
  });
}

export interface RunOptions {
  opset: number;
  /** Data for each GValue argument (tensors and run-time scalars). */
  feeds: ReadonlyMap<GValue, InputData>;
  /** Concrete shapes for inputs declared with symbolic dims. */
  shapes?: ReadonlyMap<GValue, readonly number[]>;
}

/** Lowers one call and runs it: the one-stop helper for lowering tests. */
export async function runOp(call: Call, options: RunOptions): Promise<RunResult[]> {
  const lowered = lowerOp(call, options.opset);
  const byName = new Map<string, InputData>();
  for (const [v, name] of lowered.inputNames) {
    const data = options.feeds.get(v);
    if (data === undefined) throw new Error(`no data for argument value ${v.hint ?? '(unnamed)'}`);
    byName.set(name, data);
    const shape = options.shapes?.get(v);
    if (shape) {
      const info = lowered.graph.inputs.find((i) => i.name === name)!;
      Object.assign(info, { shape });
    }
  }
  return runGraph(lowered.graph, options.opset, byName);
}

/** 0, 1, 2, ... n-1: easy-to-check input data. */
export function iota(n: number, start = 0): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

/** Op types of a lowered graph's nodes, in order. */
export function opTypes(graph: OnnxGraph): string[] {
  return graph.nodes.map((n) => n.opType);
}

/**
 * `((i·mult) mod m − offset)·scale` for i = 0..n−1: deterministic data that Python reproduces exactly
 * (`[((i*mult) % m - offset)*scale for i in range(n)]`), for comparing with reference numbers from torch.
 * The defaults give distinct values, so max-pool indices are unambiguous.
 */
export function pattern(n: number, mult = 37, m = 101, offset = 50, scale = 0.1): number[] {
  return Array.from({ length: n }, (_, i) => (((i * mult) % m) - offset) * scale);
}

/** Asserts floats match with the op-test tolerance |got − want| ≤ 1e-4 + 1e-3·max|want|, showing a diff if not. */
/** Each value within `tolerance`, relative for values above 1. */
export function expectNear(actual: readonly number[], expected: readonly number[], tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected[i]))));
}

/** The code of the TsonnxError `fn` throws, or undefined when it does not throw. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof TsonnxError) return e.code;
    throw e;
  }
  return undefined;
}

export function expectClose(got: readonly number[], want: readonly number[]): void {
  const tolerance = 1e-4 + 1e-3 * Math.max(0, ...want.map(Math.abs));
  const matched = got.map((g, i) => (Math.abs(g - want[i]) <= tolerance ? want[i] : g));
  expect(matched).toEqual(want);
}

/** One input of a table-driven op case. */
export interface CaseInput {
  dtype?: DType;
  shape: Dim[];
  /** Concrete shape to run with, for inputs declared with symbolic dims. */
  run?: number[];
  /** Element values; 0, 1, 2, ... by default. */
  data?: InputData;
  /** A run-time Python int (a dynamic size or index) with this value, instead of a tensor. */
  int?: number;
  /** A run-time Python float with this value, instead of a tensor. */
  float?: number;
}

/** A table-driven op case: a call on fresh input values and the outputs torch gives. */
export interface OpCase {
  /** The torch expression the reference outputs come from. */
  label: string;
  inputs: CaseInput[];
  call: (values: GValue[]) => Call;
  /** `[shape, values]` of each output. */
  want: Array<[number[], number[]]>;
  /** Opsets to run at; by default the op's lowest opset (at least 7), 13 and 21. */
  opsets?: number[];
  /** Compare floats with expectClose instead of exactly. */
  close?: boolean;
}

export function defaultOpsets(op: string): number[] {
  const def = registry.findOp(op)?.def;
  const keys = def ? Object.keys(def.lower).map(Number) : [];
  const lowest = Math.max(7, ...(keys.length ? [Math.min(...keys)] : []));
  return [...new Set([lowest, 13, 21])].filter((opset) => opset >= lowest);
}

/** Runs an OpCase at each of its opsets and compares every output with torch's. */
export async function checkCase(c: OpCase): Promise<void> {
  const values = c.inputs.map((i) =>
    i.int !== undefined ? scalarValue('int') : i.float !== undefined ? scalarValue('float') : tensorValue(i.dtype ?? 'float32', i.shape),
  );
  const call = c.call(values);
  const feeds = new Map<GValue, InputData>();
  const shapes = new Map<GValue, readonly number[]>();
  c.inputs.forEach((input, i) => {
    const scalar = input.int ?? input.float;
    if (scalar !== undefined) return feeds.set(values[i], [scalar]);
    const concrete = input.run ?? (input.shape as number[]);
    if (input.run) shapes.set(values[i], input.run);
    feeds.set(values[i], input.data ?? iota(concrete.reduce((p, d) => p * d, 1)));
  });
  for (const opset of c.opsets ?? defaultOpsets(call.op)) {
    const results = await runOp(call, { opset, feeds, shapes });
    const where = `${c.label} at opset ${opset}`;
    expect(results.map((r) => r.dims), where).toEqual(c.want.map((w) => w[0]));
    results.forEach((r, i) => {
      if (c.close) expectClose(r.data, c.want[i][1]);
      else expect(r.data, where).toEqual(c.want[i][1]);
    });
  }
}
