/**
 * Reads the case layout the test fixtures and the zoo share (case.json, raw little-endian C-order
 * in<i>.bin / out<i>.bin) and compares runtime outputs with PyTorch's by the tests' rule:
 * floats within 1e-4 + 1e-3 * max|want|, everything else exactly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};
const FLOATING = new Set(['float32', 'float64']);

function readArray(dir, entry) {
  const ArrayType = TYPED_ARRAYS[entry.dtype];
  if (!ArrayType) throw new Error(`${dir}: the zoo scripts cannot read ${entry.dtype} arrays`);
  const path = join(dir, entry.file);
  // A fresh copy: typed array views need an ArrayBuffer aligned to the element size.
  const bytes = new Uint8Array(readFileSync(path));
  const count = entry.shape.reduce((n, d) => n * d, 1);
  if (bytes.byteLength !== count * ArrayType.BYTES_PER_ELEMENT) {
    throw new Error(`${path}: ${bytes.byteLength} bytes, but ${entry.dtype}[${entry.shape.join(',')}] needs ${count * ArrayType.BYTES_PER_ELEMENT}`);
  }
  return { dtype: entry.dtype, shape: [...entry.shape], data: new ArrayType(bytes.buffer) };
}

/** A case folder's record with its arrays loaded: { dir, name, torch, args, inputs: [{index, dtype, shape, data}], outputs }. */
export function loadCase(dir) {
  const json = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'));
  return {
    dir,
    name: json.name,
    torch: json.torch,
    args: json.args,
    inputs: json.inputs.map((entry) => ({ index: entry.index, ...readArray(dir, entry) })),
    // Named as tsonnx names them where case.json says (a detection model's boxes_0, labels_0, ...).
    outputs: json.outputs.map((entry, i) => ({ name: json.output_names?.[i], ...readArray(dir, entry) })),
    // An absolute bound replacing the default (a quantized model's: one step of its output).
    tolerance: json.tolerance,
    // The root module's method the case ran (tsonnx --method), when not forward.
    method: json.method ?? 'forward',
    // tsonnx options PyTorch's outputs need, by command-line flag name without its dashes: { 'quantized-engine': 'onednn' }.
    tsonnxOptions: json.tsonnx_options ?? {},
  };
}

/** Whether dir holds case.json and every file it names. */
export function isCompleteCase(dir) {
  const path = join(dir, 'case.json');
  if (!existsSync(path)) return false;
  const json = JSON.parse(readFileSync(path, 'utf8'));
  return ['model.pt', ...[...json.inputs, ...json.outputs].map((e) => e.file)].every((f) => existsSync(join(dir, f)));
}

/** Sub-folders of root, sorted by name; [] if root is absent. */
export function subfolders(root) {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** Floating outputs match when |got − want| ≤ absolute + relative·max|want|; other dtypes must be equal. */
export const DEFAULT_TOLERANCE = { absolute: 1e-4, relative: 1e-3 };

/**
 * Compares every output in order, shapes (so run-time counts such as a detection model's) and values;
 * returns { ok, maxAbsDiff, problem } where maxAbsDiff is the largest |got - want| over float outputs
 * (NaN where a NaN or infinity disagrees) and problem is the first mismatch as one line (naming the
 * output where the case names it), or undefined.
 */
export function compareOutputs(got, want, tolerance = DEFAULT_TOLERANCE) {
  if (got.length !== want.length) {
    return { ok: false, maxAbsDiff: NaN, problem: `got ${got.length} outputs, want ${want.length}` };
  }
  let maxAbsDiff = 0;
  let problem;
  want.forEach((w, i) => {
    const g = got[i];
    const result = compareArray(g, w, tolerance);
    if (result.maxAbsDiff > maxAbsDiff || Number.isNaN(result.maxAbsDiff)) maxAbsDiff = result.maxAbsDiff;
    if (result.problem && !problem) problem = `output ${w.name === undefined ? i : `${i} (${w.name})`}: ${result.problem}`;
  });
  return { ok: !problem, maxAbsDiff, problem };
}

function compareArray(got, want, tolerance) {
  const label = (a) => `${a.dtype}[${a.shape.join(',')}]`;
  if (got.dtype !== want.dtype || got.shape.join(',') !== want.shape.join(',')) {
    // A run-time count (detections, time steps) shows as a differing first dim.
    const count = got.dtype === want.dtype && got.shape.length === want.shape.length && got.shape.slice(1).join(',') === want.shape.slice(1).join(',');
    return { maxAbsDiff: NaN, problem: count ? `${got.shape[0]} rows, want ${want.shape[0]}` : `got ${label(got)}, want ${label(want)}` };
  }
  if (!FLOATING.has(want.dtype)) {
    const differing = want.data.findIndex((w, i) => got.data[i] !== w);
    return differing < 0
      ? { maxAbsDiff: 0 }
      : { maxAbsDiff: NaN, problem: `${label(want)} differs at flat index ${differing}: got ${got.data[differing]}, want ${want.data[differing]}` };
  }
  let maxAbsWant = 0;
  for (const w of want.data) if (Number.isFinite(w)) maxAbsWant = Math.max(maxAbsWant, Math.abs(w));
  const bound = tolerance.absolute + tolerance.relative * maxAbsWant;
  let maxAbsDiff = 0;
  let outside = 0;
  for (let i = 0; i < want.data.length; i++) {
    const g = got.data[i];
    const w = want.data[i];
    if (g === w || (Number.isNaN(g) && Number.isNaN(w))) continue;
    const diff = Math.abs(g - w);
    // A NaN or infinite difference outranks any finite one.
    if (!Number.isFinite(diff)) maxAbsDiff = NaN;
    else if (diff > maxAbsDiff && !Number.isNaN(maxAbsDiff)) maxAbsDiff = diff;
    if (!(diff <= bound)) outside++;
  }
  return outside === 0
    ? { maxAbsDiff }
    : { maxAbsDiff, problem: `${outside} of ${want.data.length} values differ by more than ${bound.toExponential(1)}; max |got - want| = ${formatNumber(maxAbsDiff)}` };
}

/** A short number for tables: 3 significant digits, exponent form when small or large. */
export function formatNumber(x) {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  return Math.abs(x) < 1e-2 || Math.abs(x) >= 1e4 ? x.toExponential(1) : x.toPrecision(3);
}
