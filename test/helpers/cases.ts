/**
 * Test cases made with real PyTorch: an archive, its inputs and PyTorch's outputs. Reads both the
 * project's fixtures (test/fixtures/{ops,models}/<name>/torch<ver>/, made by scripts/make-fixtures.sh)
 * and the real-world corpus (../shared/corpus/rw_<name>/), which share one layout: model.pt, case.json
 * and raw little-endian C-order in<i>.bin / out<i>.bin.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

export type ArrayData =
  | Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

/** A tensor's values. float16 and bfloat16 hold their raw 16-bit patterns in a Uint16Array; bool is a Uint8Array of 0/1. */
export interface NamedArray {
  dtype: string;
  shape: number[];
  data: ArrayData;
  /** The ONNX value name (runOnnx results) or the dict key of a dict output (cases with output_names). */
  name?: string;
}

/** A case input: `index` is the forward() argument it is given as (non-tensor arguments have no file). */
export interface CaseInput extends NamedArray {
  index: number;
}

export interface Case {
  dir: string;
  name: string;
  source: string;
  /** torch.__version__ that made the archive and the outputs. */
  torch: string;
  /** 'trace' | 'script' for the project's fixtures; 'archive' for corpus archives made elsewhere. */
  mode: string;
  /** One spec per forward() argument: `dtype[d0,d1,...]` for a tensor, a JSON literal otherwise. */
  args: string[];
  inputs: CaseInput[];
  outputs: NamedArray[];
  /** Keys of a dict output, in the order of `outputs`. */
  outputNames?: string[];
  /** Lowest and highest opset the case must pass at. */
  opsets: [number, number];
  /** Absolute bound on |got - want| for float outputs, replacing the default 1e-4 + 1e-3 * max|want|. */
  tolerance?: number;
  description?: string;
  /** Sum of every input value, as Python computed it (the project's fixtures only). */
  checksum?: number;
  /**
   * The conversion options PyTorch's outputs need (case.json `tsonnx_options`, by command-line flag name:
   * `{"quantized-engine": "onednn"}`), under their API names (`{ quantizedEngine: 'onednn' }`).
   */
  options: Record<string, unknown>;
}

export const DEFAULT_OPSETS: [number, number] = [9, 21];

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const fixturesRoot = join(projectRoot, 'test', 'fixtures');
export const corpusRoot = resolve(projectRoot, '..', 'shared', 'corpus');

/** Whether ../shared/corpus is present (it is not in CI): tests of real-world archives skip without it. */
export function corpusAvailable(): boolean {
  return listCases(corpusRoot).length > 0;
}

interface DTypeInfo {
  bytes: number;
  view: (buffer: ArrayBuffer) => ArrayData;
  floating: boolean;
}

const DTYPES: Record<string, DTypeInfo> = {
  float32: { bytes: 4, view: (b) => new Float32Array(b), floating: true },
  float64: { bytes: 8, view: (b) => new Float64Array(b), floating: true },
  float16: { bytes: 2, view: (b) => new Uint16Array(b), floating: true },
  bfloat16: { bytes: 2, view: (b) => new Uint16Array(b), floating: true },
  int64: { bytes: 8, view: (b) => new BigInt64Array(b), floating: false },
  int32: { bytes: 4, view: (b) => new Int32Array(b), floating: false },
  int16: { bytes: 2, view: (b) => new Int16Array(b), floating: false },
  int8: { bytes: 1, view: (b) => new Int8Array(b), floating: false },
  uint8: { bytes: 1, view: (b) => new Uint8Array(b), floating: false },
  bool: { bytes: 1, view: (b) => new Uint8Array(b), floating: false },
};

function dtypeInfo(dtype: string): DTypeInfo {
  const info = DTYPES[dtype];
  if (!info) throw new Error(`unsupported dtype '${dtype}' (known: ${Object.keys(DTYPES).join(', ')})`);
  return info;
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

function readArray(dir: string, entry: ArrayEntry): NamedArray {
  const info = dtypeInfo(entry.dtype);
  const path = join(dir, entry.file);
  // A fresh copy: the typed array views need an ArrayBuffer aligned to the element size.
  const bytes = new Uint8Array(readFileSync(path));
  const expected = elementCount(entry.shape) * info.bytes;
  if (bytes.byteLength !== expected) {
    throw new Error(`${path}: ${bytes.byteLength} bytes, but ${entry.dtype}[${entry.shape.join(',')}] needs ${expected}`);
  }
  return { dtype: entry.dtype, shape: [...entry.shape], data: info.view(bytes.buffer) };
}

interface ArrayEntry {
  dtype: string;
  shape: number[];
  file: string;
}

interface CaseJson {
  name?: string;
  source?: string;
  torch?: string;
  mode?: string;
  args?: string[];
  inputs?: Array<ArrayEntry & { index: number }>;
  outputs?: ArrayEntry[];
  output_names?: string[];
  opsets?: [number, number];
  tolerance?: number;
  description?: string;
  checksum?: number;
  tsonnx_options?: Record<string, unknown>;
}

/** `quantized-engine` → `quantizedEngine`. */
const camelCase = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function loadCase(dir: string): Case {
  const jsonPath = join(dir, 'case.json');
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as CaseJson;
  for (const field of ['name', 'torch', 'mode', 'args', 'inputs', 'outputs'] as const) {
    if (json[field] === undefined) throw new Error(`${jsonPath}: missing field '${field}'`);
  }
  const outputs = json.outputs!.map((entry) => readArray(dir, entry));
  if (json.output_names) {
    if (json.output_names.length !== outputs.length) {
      throw new Error(`${jsonPath}: ${json.output_names.length} output_names for ${outputs.length} outputs`);
    }
    outputs.forEach((output, i) => (output.name = json.output_names![i]));
  }
  return {
    dir,
    name: json.name!,
    source: json.source ?? '',
    torch: json.torch!,
    mode: json.mode!,
    args: json.args!,
    inputs: json.inputs!.map((entry) => ({ index: entry.index, ...readArray(dir, entry) })),
    outputs,
    outputNames: json.output_names,
    opsets: json.opsets ?? DEFAULT_OPSETS,
    tolerance: json.tolerance,
    description: json.description,
    checksum: json.checksum,
    options: Object.fromEntries(Object.entries(json.tsonnx_options ?? {}).map(([flag, value]) => [camelCase(flag), value])),
  };
}

/** Every folder under root (root included) that holds a case.json, as absolute paths, sorted; [] if root is absent. */
export function listCases(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name === 'case.json')) found.push(dir);
    for (const e of entries) if (e.isDirectory()) visit(join(dir, e.name));
  };
  if (existsSync(root)) visit(resolve(root));
  return found.sort();
}

const ORT_TYPES = new Set(['float32', 'float64', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool']);

function toOrtTensor(array: NamedArray): ort.Tensor {
  if (!ORT_TYPES.has(array.dtype)) throw new Error(`onnxruntime-node cannot take a ${array.dtype} input`);
  return new ort.Tensor(array.dtype as 'float32', array.data as Float32Array, array.shape);
}

function fromOrtTensor(name: string, tensor: ort.Tensor): NamedArray {
  if (!ORT_TYPES.has(tensor.type)) throw new Error(`output '${name}' has type ${tensor.type}, which the tests do not read`);
  const data = tensor.data as ArrayData;
  // float16 may come back as a Float16Array where the runtime has one; keep the raw bits like the fixtures.
  const copy = tensor.type === 'float16' && !(data instanceof Uint16Array)
    ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
    : data.slice();
  return { dtype: tensor.type, shape: [...tensor.dims], data: copy, name };
}

/**
 * Runs an ONNX file in onnxruntime and returns its outputs in graph order.
 * ONNX graphs drop unused inputs, so inputs the model does not have are skipped: with inputNames (one
 * per input) each input is fed under its name; without, inputs are fed in the session's input order and
 * the ones past the session's input count are left out.
 */
export async function runOnnx(onnxPath: string, inputs: NamedArray[], inputNames?: string[]): Promise<NamedArray[]> {
  const session = await ort.InferenceSession.create(onnxPath);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    if (inputNames) {
      if (inputNames.length !== inputs.length) {
        throw new Error(`runOnnx: ${inputNames.length} input names for ${inputs.length} inputs`);
      }
      inputNames.forEach((name, i) => {
        if (session.inputNames.includes(name)) feeds[name] = toOrtTensor(inputs[i]);
      });
      const unfed = session.inputNames.filter((name) => !(name in feeds));
      if (unfed.length > 0) throw new Error(`runOnnx: no value for model input(s) ${unfed.join(', ')}`);
    } else {
      if (session.inputNames.length > inputs.length) {
        throw new Error(
          `runOnnx: the model takes ${session.inputNames.length} input(s) (${session.inputNames.join(', ')}) ` +
            `but ${inputs.length} were given`,
        );
      }
      session.inputNames.forEach((name, i) => (feeds[name] = toOrtTensor(inputs[i])));
    }
    const results = await session.run(feeds);
    return session.outputNames.map((name) => fromOrtTensor(name, results[name]));
  } finally {
    await session.release();
  }
}

function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function bfloat16ToNumber(bits: number): number {
  return new Float32Array(new Uint32Array([bits << 16]).buffer)[0];
}

/** The values as plain numbers (float16 and bfloat16 decoded); int64 values beyond 2^53 lose precision. */
export function toNumbers(array: NamedArray): number[] {
  const values = Array.from(array.data as ArrayLike<number | bigint>, Number);
  if (array.dtype === 'float16') return values.map(float16ToNumber);
  if (array.dtype === 'bfloat16') return values.map(bfloat16ToNumber);
  return values;
}

function multiIndex(flat: number, shape: readonly number[]): string {
  const index: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index.unshift(flat % shape[axis]);
    flat = Math.floor(flat / shape[axis]);
  }
  return `[${index.join(',')}]`;
}

function label(array: NamedArray): string {
  return `${array.name ? `'${array.name}' ` : ''}${array.dtype}[${array.shape.join(',')}]`;
}

/**
 * Throws unless got matches want: same dtype and shape; floats within tol (default
 * 1e-4 + 1e-3 * max|want|, NaN matching NaN); integers and booleans exactly equal.
 */
export function expectClose(got: NamedArray, want: NamedArray, tol?: number): void {
  if (got.dtype !== want.dtype || got.shape.join(',') !== want.shape.join(',')) {
    throw new Error(`got ${label(got)}, want ${label(want)}`);
  }
  if (got.data.length !== want.data.length) {
    throw new Error(`got ${got.data.length} values for ${label(want)}, want ${want.data.length}`);
  }
  if (!dtypeInfo(want.dtype).floating) {
    let mismatches = 0;
    let first = -1;
    for (let i = 0; i < want.data.length; i++) {
      if (got.data[i] !== want.data[i]) {
        mismatches++;
        if (first < 0) first = i;
      }
    }
    if (mismatches > 0) {
      throw new Error(
        `${label(want)}: ${mismatches} of ${want.data.length} values differ; first at ${multiIndex(first, want.shape)} ` +
          `(flat ${first}): got ${got.data[first]}, want ${want.data[first]}`,
      );
    }
    return;
  }
  const gotValues = toNumbers(got);
  const wantValues = toNumbers(want);
  const maxAbsWant = wantValues.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  const bound = tol ?? 1e-4 + 1e-3 * maxAbsWant;
  let worst = -1;
  let worstDiff = -1;
  let outside = 0;
  for (let i = 0; i < wantValues.length; i++) {
    const g = gotValues[i];
    const w = wantValues[i];
    if (g === w || (Number.isNaN(g) && Number.isNaN(w))) continue;
    const diff = Math.abs(g - w);
    if (diff <= bound) continue;
    outside++;
    // NaN or infinite differences rank above any finite one.
    const rank = Number.isFinite(diff) ? diff : Infinity;
    if (rank > worstDiff) {
      worstDiff = rank;
      worst = i;
    }
  }
  if (outside > 0) {
    throw new Error(
      `${label(want)}: ${outside} of ${wantValues.length} values outside ${bound.toExponential(2)}; ` +
        `max |got - want| = ${Math.abs(gotValues[worst] - wantValues[worst])} at ${multiIndex(worst, want.shape)} ` +
        `(flat ${worst}): got ${gotValues[worst]}, want ${wantValues[worst]}`,
    );
  }
}

/** expectClose on every output in order; one error listing every output that differs. */
export function compareAll(got: NamedArray[], want: NamedArray[], tol?: number): void {
  if (got.length !== want.length) {
    throw new Error(`got ${got.length} outputs (${got.map(label).join(', ')}), want ${want.length} (${want.map(label).join(', ')})`);
  }
  const problems: string[] = [];
  want.forEach((expected, i) => {
    try {
      expectClose(got[i], expected, tol);
    } catch (error) {
      problems.push(`output ${i}: ${(error as Error).message}`);
    }
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
}
