/**
 * Lifted module state (`--lift-state`): what forward() writes becomes graph inputs and outputs that
 * a caller feeds back, call after call.
 *
 * The stored value of a state attribute is often a placeholder the model replaces on its first call
 * (silero keeps `torch.tensor(0)` until its first chunk gives the LSTM state), so the state's type is
 * found from what forward() writes: run it, read each written attribute's type, run again with those
 * types as inputs, until a run writes what it read (a fixed point). A number that keeps one value from
 * the second call on (a last sample rate, a batch size) is folded into the graph with that value, so
 * reset branches on it are decided at conversion time; a number that changes from call to call (a
 * step counter) is a 0-d tensor input, and branches on it become ONNX `If`s. A tensor whose size
 * keeps changing gets symbolic dims of its own.
 */
import { isTensorRef, PyFloat, type PickleValue } from '../archive/types.js';
import { tensorValues } from '../archive/tensor-data.js';
import { fail } from '../errors.js';
import { GValue, type StateSpec, type TensorType, type TorchGraph } from '../ir/torch-graph.js';
import { NUMBER_STATE_DTYPE, type Interpreter, type StateSeed, type StateWrite } from './interpreter.js';
import { PyList, PyObject, TensorBox, typeName, type PyValue } from './values.js';

/** What the first call feeds: stored where the archive's value fits the state's type (else zeros), always stored, or always zeros. */
export type StateInit = 'auto' | 'stored' | 'zeros';

/** Runs of forward() until the state settles: a placeholder, its first real value, and that value read back, with room for nesting. */
const MAX_STATE_ROUNDS = 6;

/** Stored values written into the model's metadata at most this many elements per state. */
const MAX_STORED_ELEMENTS = 1 << 20;

/** The metadata key prefix of each state (`tsonnx.state.<input>`, `tsonnx.state.folded.<attribute>`). */
export const STATE_METADATA_PREFIX = 'tsonnx.state.';

interface StateRun {
  readonly interpreter: Interpreter;
}

/** Every module attribute a run wrote: assigned, written in place, or a list changed in place. */
export function writesOf(it: Interpreter): StateWrite[] {
  const writes = new Map(it.stateWrites);
  for (const w of it.listWrites()) if (!writes.has(w.path)) writes.set(w.path, w);
  return [...writes.values()];
}

/** The named dims of forward()'s tensor inputs. */
function inputDims(it: Interpreter): Set<string> {
  return new Set(it.userInputs.flatMap(({ value }) => (value.type.kind === 'tensor' ? value.type.shape.filter((d): d is string => typeof d === 'string') : [])));
}

/**
 * How a value written to a state attribute is carried to the next call; undefined for kinds that
 * cannot be (None, strings, objects, empty lists). An int that is the size of an input's named dim
 * (`dims`) stays that size.
 */
export function seedOf(v: PyValue | undefined, dims: ReadonlySet<string> = new Set()): StateSeed | undefined {
  const tensorType = (g: GValue): TensorType | undefined => (g.type.kind === 'tensor' ? { kind: 'tensor', dtype: g.type.dtype, shape: [...g.type.shape] } : undefined);
  if (v instanceof TensorBox) {
    const type = tensorType(v.value);
    return type && { kind: 'tensor', type };
  }
  if (v instanceof GValue) {
    if (v.type.kind === 'scalar') {
      const dim = v.type.dim;
      return v.type.scalar === 'int' && typeof dim === 'string' && dims.has(dim) ? { kind: 'size', dim } : { kind: 'number', scalar: v.type.scalar };
    }
    const type = tensorType(v);
    return type && { kind: 'tensor', type };
  }
  if (v instanceof PyList && v.items.length > 0) {
    const types = v.items.map((x) => (x instanceof TensorBox ? tensorType(x.value) : undefined));
    return types.every((t) => t !== undefined) ? { kind: 'tensors', types: types as TensorType[] } : undefined;
  }
  if (typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat) return { kind: 'known', value: v };
  return undefined;
}

function numberKind(v: number | boolean | PyFloat): 'int' | 'float' | 'bool' {
  return typeof v === 'boolean' ? 'bool' : v instanceof PyFloat ? 'float' : 'int';
}

function plainNumber(v: number | boolean | PyFloat): number | boolean {
  return v instanceof PyFloat ? v.value : v;
}

/** Same dtype and shape; two symbolic dims count as the same (each run names its fresh dims anew). */
function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] || (typeof d === 'string' && typeof b.shape[i] === 'string'));
}

function sameSeed(a: StateSeed, b: StateSeed): boolean {
  if (a.kind === 'tensor' && b.kind === 'tensor') return sameType(a.type, b.type);
  if (a.kind === 'tensors' && b.kind === 'tensors') return a.types.length === b.types.length && a.types.every((t, i) => sameType(t, b.types[i]));
  if (a.kind === 'number' && b.kind === 'number') return a.scalar === b.scalar;
  if (a.kind === 'known' && b.kind === 'known') return numberKind(a.value) === numberKind(b.value) && plainNumber(a.value) === plainNumber(b.value);
  if (a.kind === 'size' && b.kind === 'size') return a.dim === b.dim;
  return false;
}

/**
 * A tensor state whose size changes from call to call (a history that grows, then is cut to a
 * window): the dims that differ become the state's own symbolic dims, `<path>_dim<i>`. Undefined
 * where the dtype or rank changes.
 */
function grown(path: string, before: TensorType, after: TensorType): TensorType | undefined {
  if (before.dtype !== after.dtype || before.shape.length !== after.shape.length) return undefined;
  const shape = before.shape.map((d, i) => (d === after.shape[i] || (typeof d === 'string' && typeof after.shape[i] === 'string') ? d : `${path}_dim${i}`));
  return { kind: 'tensor', dtype: before.dtype, shape };
}

/**
 * The seed for the next run, from what this run read (`before`) and wrote (`after`). A known number
 * written with another value than it was read with changes from call to call: it becomes a lifted
 * number and stays one.
 */
function settle(path: string, before: StateSeed | undefined, after: StateSeed): StateSeed {
  if (!before || sameSeed(before, after)) return before ?? after;
  if (before.kind === 'known' && after.kind === 'known') return { kind: 'number', scalar: numberKind(after.value) };
  if (before.kind === 'tensor' && after.kind === 'tensor') {
    const type = grown(path, before.type, after.type);
    if (type) return { kind: 'tensor', type };
  }
  if (before.kind === 'tensors' && after.kind === 'tensors' && before.types.length === after.types.length) {
    const types = before.types.map((t, i) => grown(`${path}.${i}`, t, after.types[i]));
    if (types.every((t) => t !== undefined)) return { kind: 'tensors', types: types as TensorType[] };
  }
  if (before.kind === 'number' && after.kind === 'known' && numberKind(after.value) === before.scalar) return before;
  return after;
}

function describe(seed: StateSeed | undefined): string {
  if (!seed) return 'its stored value';
  const tensor = (t: TensorType) => `${t.dtype}[${t.shape.join(',')}]`;
  switch (seed.kind) {
    case 'tensor':
      return tensor(seed.type);
    case 'tensors':
      return `[${seed.types.map(tensor).join(', ')}]`;
    case 'number':
      return `a run-time ${seed.scalar}`;
    case 'known':
      return String(plainNumber(seed.value));
    case 'size':
      return `the size of dim ${seed.dim}`;
  }
}

/**
 * Runs forward() until the state it writes is what it read. `first` ran on the archive's stored
 * values; `rerun` runs again reading each state attribute as its seed says.
 */
export function settleState<R extends StateRun>(first: R, rerun: (seeds: ReadonlyMap<string, StateSeed>) => R): { run: R; seeds: ReadonlyMap<string, StateSeed> } {
  let seeds = new Map<string, StateSeed>();
  let current = first;
  for (let round = 0; ; round++) {
    const next = new Map(seeds);
    const changes: string[] = [];
    const dims = inputDims(current.interpreter);
    for (const w of writesOf(current.interpreter)) {
      const after = seedOf(w.object.attrs.get(w.name), dims);
      if (!after) continue;
      const before = seeds.get(w.path);
      const settled = settle(w.path, before, after);
      if (before && sameSeed(before, settled)) continue;
      next.set(w.path, settled);
      changes.push(`${w.path} read as ${describe(before)}, written as ${describe(after)}`);
    }
    if (changes.length === 0) return { run: current, seeds };
    if (round === MAX_STATE_ROUNDS) fail('TRACE_UNSUPPORTED', `the state forward() writes does not settle after ${MAX_STATE_ROUNDS} calls: ${changes.join('; ')}`);
    seeds = next;
    current = rerun(seeds);
  }
}

/** The module object holding a state attribute and the attribute's name, found from its path. */
function owner(it: Interpreter, path: string, written: ReadonlyMap<string, StateWrite>): { object: PyObject; name: string } {
  const w = written.get(path);
  if (w) return w;
  const parts = path.split('.');
  let object: PyValue = it.rootObject();
  for (const part of parts.slice(0, -1)) {
    if (!(object instanceof PyObject)) break;
    object = it.getAttr(object, part);
  }
  if (!(object instanceof PyObject)) return fail('INTERNAL', `state attribute ${path} is not on a module`);
  return { object, name: parts[parts.length - 1] };
}

/**
 * A stored value as numbers, when it fits the state's type: the same dtype and rank, the same size
 * in each dim but the state's own symbolic dims (`shape`: the stored sizes, when it has such dims).
 * A dim that follows an input's (`inputDims`: a dynamic batch) is the caller's, so no stored value fits it.
 */
function storedFitting(stored: PickleValue | undefined, type: TensorType, inputDims: ReadonlySet<string>, readValues = true): { values: number[]; shape?: number[] } | undefined {
  if (type.shape.some((d) => typeof d === 'string' && inputDims.has(d))) return undefined;
  if (typeof stored === 'number' || typeof stored === 'boolean' || typeof stored === 'bigint' || stored instanceof PyFloat) {
    if (type.shape.length !== 0) return undefined;
    return { values: [stored instanceof PyFloat ? stored.value : Number(stored)] };
  }
  // --fp16 traces stored float32/float64 tensors as float16: their values are the state's, rounded.
  const halved = type.dtype === 'float16' && isTensorRef(stored) && (stored.dtype === 'float32' || stored.dtype === 'float64');
  if (!isTensorRef(stored) || (stored.dtype !== type.dtype && !halved) || stored.shape.length !== type.shape.length) return undefined;
  if (stored.shape.some((d, i) => d !== type.shape[i] && typeof type.shape[i] !== 'string')) return undefined;
  if (stored.quant) return undefined;
  const shape = type.shape.some((d) => typeof d === 'string') ? { shape: [...stored.shape] } : {};
  if (!readValues) return { values: [], ...shape };
  const elements = stored.shape.reduce((a, b) => a * b, 1);
  if (elements > MAX_STORED_ELEMENTS) fail('TRACE_UNSUPPORTED', `the stored state has ${elements} elements, more than the ${MAX_STORED_ELEMENTS} the model's metadata keeps; convert with --state-init zeros`);
  return { values: Array.from(tensorValues(stored) as ArrayLike<number | bigint>, Number), ...shape };
}

/** The first call's value of a state input, by the --state-init mode. */
function initialValue(
  path: string,
  stored: PickleValue | undefined,
  type: TensorType,
  mode: StateInit,
  inputDims: ReadonlySet<string>,
): { init: 'stored' | 'zeros'; values?: number[]; initShape?: number[] } {
  if (mode === 'zeros') {
    const shape = storedFitting(stored, type, inputDims, false)?.shape;
    return shape ? { init: 'zeros', initShape: shape } : { init: 'zeros' };
  }
  const fitting = storedFitting(stored, type, inputDims);
  if (!fitting) {
    if (mode === 'stored') {
      const what = isTensorRef(stored) ? `${stored.dtype}[${stored.shape.join(',')}]` : stored === undefined ? 'nothing' : typeof stored;
      fail('TRACE_UNSUPPORTED', `--state-init stored: state ${path} is ${type.dtype}[${type.shape.join(',')}] from the second call on, but the archive stores ${what} (a placeholder forward() replaces); use --state-init auto or zeros`);
    }
    return { init: 'zeros' };
  }
  const { values, shape } = fitting;
  const initShape = shape ? { initShape: shape } : {};
  return values.every((v) => v === 0) ? { init: 'zeros', ...initShape } : { init: 'stored', values, ...initShape };
}

function storedNumber(stored: PickleValue | undefined): number | boolean | null {
  if (typeof stored === 'number' || typeof stored === 'boolean') return stored;
  if (typeof stored === 'bigint') return Number(stored);
  return stored instanceof PyFloat ? stored.value : null;
}

/**
 * Adds each lifted state's value after the call as an output `<input>_out` (a tensor list's
 * elements one by one, a number as a 0-d tensor) and returns what the model's metadata says of
 * each state. `inputs` are the graph's inputs, the state inputs among them.
 */
export function stateOutputs(it: Interpreter, seeds: ReadonlyMap<string, StateSeed>, outputs: TorchGraph['outputs'], inputs: () => TorchGraph['inputs'], mode: StateInit): StateSpec[] {
  const written = new Map(writesOf(it).map((w) => [w.path, w]));
  const dims = inputDims(it);
  const specs: Array<Omit<Extract<StateSpec, { kind: 'lifted' }>, 'input'> | StateSpec> = [];
  // The spec gives the input's type: an output dim of the state's own gets a fresh name each run.
  const lift = (attribute: string, value: GValue, stored: PickleValue | undefined, type: TensorType) => {
    outputs.push({ name: `${attribute}_out`, value });
    specs.push({ kind: 'lifted', attribute, output: outputs.length - 1, dtype: type.dtype, shape: type.shape, ...initialValue(attribute, stored, type, mode, dims) });
  };
  for (const [path, seed] of seeds) {
    const { object, name } = owner(it, path, written);
    const value = it.getAttr(object, name);
    const stored = object.pickled?.attributes.get(name);
    const wrong = () => fail('TRACE_UNSUPPORTED', `state attribute ${path} holds a ${typeName(value)} after forward(), not the ${describe(seed)} it settled to`);
    switch (seed.kind) {
      case 'known':
        specs.push({ kind: 'folded', attribute: path, value: plainNumber(seed.value), stored: storedNumber(stored) });
        break;
      case 'size':
        specs.push({ kind: 'folded', attribute: path, value: seed.dim, stored: storedNumber(stored) });
        break;
      case 'tensor':
        if (!(value instanceof TensorBox)) return wrong();
        lift(path, value.value, stored, seed.type);
        break;
      case 'tensors':
        if (!(value instanceof PyList) || value.items.length !== seed.types.length) return wrong();
        value.items.forEach((item, i) => {
          if (!(item instanceof TensorBox)) return wrong();
          lift(`${path}.${i}`, item.value, Array.isArray(stored) ? stored[i] : undefined, seed.types[i]);
        });
        break;
      case 'number': {
        const dtype = NUMBER_STATE_DTYPE[seed.scalar];
        let tensor: GValue;
        if (value instanceof GValue && value.type.kind === 'scalar') tensor = (it.callOp('prim', 'NumToTensor', [value], new Map()) as TensorBox).value;
        else if (typeof value === 'number' || typeof value === 'boolean' || value instanceof PyFloat) {
          tensor = it.knownTensor({ type: { kind: 'tensor', dtype, shape: [] }, values: [Number(plainNumber(value))] }).value;
        } else return wrong();
        lift(path, tensor, stored, { kind: 'tensor', dtype, shape: [] });
        break;
      }
    }
  }
  const all = inputs();
  return specs.map((s) => {
    if (s.kind === 'folded') return s;
    const input = all.findIndex((i) => i.name === s.attribute);
    if (input < 0) fail('INTERNAL', `state ${s.attribute} has no graph input`);
    return { ...s, input } as StateSpec;
  });
}

/**
 * The model's metadata_props for its state, under the model's final input and output names and the
 * input's dtype (float32 where --fp16 casts a float16 state at the model's boundary).
 */
export function stateMetadata(
  specs: readonly StateSpec[],
  inputs: ReadonlyArray<{ name: string; dtype: string }>,
  outputs: ReadonlyArray<{ name: string }>,
): Array<{ key: string; value: string }> {
  return specs.map((s) => {
    if (s.kind === 'folded') {
      return { key: `${STATE_METADATA_PREFIX}folded.${s.attribute}`, value: JSON.stringify({ attribute: s.attribute, value: s.value, stored: s.stored }) };
    }
    const input = inputs[s.input];
    const value = {
      attribute: s.attribute,
      input: input.name,
      output: outputs[s.output].name,
      dtype: input.dtype,
      shape: s.shape,
      init: s.init,
      ...(s.initShape ? { initShape: s.initShape } : {}),
      ...(s.values ? { values: s.values } : {}),
    };
    return { key: `${STATE_METADATA_PREFIX}${input.name}`, value: JSON.stringify(value) };
  });
}
