/**
 * `--check`: loads the written model in onnxruntime-node and runs it once on random inputs, so a CI
 * step learns at conversion time that the file loads, runs, and gives outputs of the expected shapes.
 * onnxruntime-node is optional (a devDependency): it is imported only here, when asked for.
 */
import type { DType } from './archive/types.js';
import type { ValueReport } from './convert.js';
import { fail } from './errors.js';
import type { Dim } from './ir/torch-graph.js';

/** The part of onnxruntime-node's API used here, declared so tsonnx's types do not need the package. */
interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

interface OrtSession {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

type OrtTensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** onnxruntime's severities: 0 verbose, 1 info, 2 warning, 3 error, 4 fatal. */
type OrtLogSeverity = 0 | 1 | 2 | 3 | 4;

interface OrtRuntime {
  readonly InferenceSession: { create(path: string, options?: { logSeverityLevel?: OrtLogSeverity }): Promise<OrtSession> };
  readonly Tensor: new (type: string, data: OrtTensorData, dims: readonly number[]) => OrtTensor;
  readonly env: { readonly versions: { readonly common: string } };
}

export const RUNTIME_PACKAGE = 'onnxruntime-node';

export interface CheckOptions {
  /**
   * Sizes for dynamic dims, by graph input position (the `--input` shapes): a numeric dim at the
   * same axis is used, anything else runs at 1.
   */
  sizes?: ReadonlyArray<readonly Dim[] | undefined>;
  /** onnxruntime prints nothing of its own (by default its warnings go to stderr). */
  quiet?: boolean;
}

/** Fatal only: a load or run failure that matters reaches tsonnx as an error anyway. */
const QUIET_LOG_SEVERITY: OrtLogSeverity = 4;

export interface CheckedValue {
  name: string;
  dtype: string;
  shape: number[];
}

export interface CheckReport {
  /** onnxruntime version that ran the model. */
  runtime: string;
  inputs: CheckedValue[];
  outputs: Array<CheckedValue & { nonFinite: number }>;
  /** Every floating-point output element is finite. */
  finite: boolean;
  seconds: number;
}

/** onnxruntime-node, or an OPTION_INVALID error saying how to install it. */
export async function loadRuntime(specifier = RUNTIME_PACKAGE): Promise<OrtRuntime> {
  try {
    const loaded = (await import(specifier)) as OrtRuntime & { default?: OrtRuntime };
    return loaded.default ?? loaded;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      return fail('CHECK_UNAVAILABLE', `--check runs the model in onnxruntime, which is not installed: npm install ${RUNTIME_PACKAGE}`);
    }
    return fail('CHECK_UNAVAILABLE', `--check could not load ${specifier}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A small deterministic generator (mulberry32): the same model gets the same check inputs. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random data of an ONNX input type: floats in [-1, 1), integers 0 or 1 (valid indices), booleans. */
function randomData(dtype: DType, size: number, next: () => number): { type: string; data: OrtTensorData } {
  switch (dtype) {
    case 'float32': return { type: 'float32', data: Float32Array.from({ length: size }, () => next() * 2 - 1) };
    case 'float64': return { type: 'float64', data: Float64Array.from({ length: size }, () => next() * 2 - 1) };
    case 'int64': return { type: 'int64', data: BigInt64Array.from({ length: size }, () => BigInt(Math.floor(next() * 2))) };
    case 'int32': return { type: 'int32', data: Int32Array.from({ length: size }, () => Math.floor(next() * 2)) };
    case 'int16': return { type: 'int16', data: Int16Array.from({ length: size }, () => Math.floor(next() * 2)) };
    case 'int8': return { type: 'int8', data: Int8Array.from({ length: size }, () => Math.floor(next() * 2)) };
    case 'uint8': return { type: 'uint8', data: Uint8Array.from({ length: size }, () => Math.floor(next() * 2)) };
    case 'bool': return { type: 'bool', data: Uint8Array.from({ length: size }, () => (next() < 0.5 ? 1 : 0)) };
    default: return fail('OPTION_INVALID', `--check cannot make random ${dtype} inputs; run the model yourself`);
  }
}

/** The input's shape with each dynamic dim replaced by the given size at that axis, or 1. */
export function concreteShape(shape: readonly (number | string)[], sizes: readonly Dim[] | undefined): number[] {
  return shape.map((d, axis) => {
    if (typeof d === 'number') return d;
    const given = sizes?.[axis];
    return typeof given === 'number' ? given : 1;
  });
}

/** NaN and ±Inf elements of a floating-point tensor (float16 arrives as raw 16-bit patterns). */
function nonFiniteCount(t: OrtTensor): number {
  let n = 0;
  if (t.type === 'float32' || t.type === 'float64') {
    for (const v of t.data as Float32Array | Float64Array) if (!Number.isFinite(v)) n++;
  } else if (t.type === 'float16') {
    for (const bits of t.data as Uint16Array) if ((bits & 0x7c00) === 0x7c00) n++;
  }
  return n;
}

/** Runs the model at `modelPath` once; `inputs` are its graph inputs as the conversion reported them. */
export async function checkModel(modelPath: string, inputs: readonly ValueReport[], options: CheckOptions = {}): Promise<CheckReport> {
  const ort = await loadRuntime();
  const start = performance.now();
  let session: OrtSession;
  try {
    session = await ort.InferenceSession.create(modelPath, options.quiet ? { logSeverityLevel: QUIET_LOG_SEVERITY } : {});
  } catch (e) {
    return fail('CHECK_FAILED', `onnxruntime could not load ${modelPath}: ${(e as Error).message.split('\n')[0]}`);
  }
  const next = random(0x7500);
  const feeds: Record<string, OrtTensor> = {};
  const fed: CheckedValue[] = [];
  inputs.forEach((input, i) => {
    const shape = concreteShape(input.shape, options.sizes?.[i]);
    const { type, data } = randomData(input.dtype as DType, shape.reduce((a, b) => a * b, 1), next);
    feeds[input.name] = new ort.Tensor(type, data, shape);
    fed.push({ name: input.name, dtype: input.dtype, shape });
  });
  const outputNames = [...session.outputNames];
  let results: Record<string, OrtTensor>;
  try {
    results = await session.run(feeds);
  } catch (e) {
    return fail('CHECK_FAILED', `onnxruntime could not run ${modelPath}: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    await session.release();
  }
  const outputs = outputNames.map((name) => {
    const t = results[name];
    return { name, dtype: t.type, shape: [...t.dims], nonFinite: nonFiniteCount(t) };
  });
  return {
    runtime: ort.env.versions.common,
    inputs: fed,
    outputs,
    finite: outputs.every((o) => o.nonFinite === 0),
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * CHECK_NOT_FINITE naming every output with NaN or infinite values. The model file is left in
 * place: it is a valid model, and the values may come from the random inputs rather than a bug.
 */
export function requireFinite(check: CheckReport, modelPath: string): void {
  const bad = check.outputs.filter((o) => o.nonFinite > 0);
  if (bad.length === 0) return;
  const counts = bad.map((o) => `${o.name} (${o.nonFinite} of ${o.shape.reduce((a, b) => a * b, 1)} values)`).join(', ');
  fail('CHECK_NOT_FINITE', `onnxruntime gave NaN or infinite values on random inputs in output${bad.length === 1 ? '' : 's'} ${counts}; ${modelPath} is kept`);
}
