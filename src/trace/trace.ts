/** Entry of the trace stage: runs a method of the archive's root module on the given inputs. */
import type { Archive, PickleValue } from '../archive/types.js';
import { isTensorRef, PyFloat } from '../archive/types.js';
import { fail, TsonnxError, type SourceLocation } from '../errors.js';
import type { QuantizedEngine } from '../ops/quantized-engine.js';
import type { FunctionDef, Param } from '../script/ast.js';
import { ClassLoader } from './classes.js';
import { GValue, type GInput, type TorchGraph } from '../ir/torch-graph.js';
import type { FreshDims } from '../ops/args.js';
import type { Registry } from '../ops/registry.js';
import { formatInputSpec, halfInputSpec, INPUT_SYNTAX, type InputSpec, type TensorSpec } from './inputs.js';
import { Interpreter, type StateSeed } from './interpreter.js';
import { engineLimit, type TraceLimits } from './limits.js';
import { refuseUnsafeCode } from './safety.js';
import { seedOf, settleState, stateOutputs, writesOf, type StateInit } from './state.js';
import { PyDict, PyList, PyTuple, StackedRows, TensorBox, typeName, type PyValue } from './values.js';

export interface TraceOptions {
  /** The op definitions (`createOpRegistry()` from src/ops). */
  registry: Registry;
  /** The conversion's fresh dim names, shared with its lower stage. */
  freshDims: FreshDims;
  /** One spec per forward() argument after self; undefined to use the archive's traced inputs. */
  inputs?: readonly InputSpec[];
  /** Method to convert (default `forward`). */
  method?: string;
  /** Value of `self.training` in every module, or 'preserve' to keep the archive's own. */
  training: boolean | 'preserve';
  /**
   * Make each module attribute forward() writes a graph input (its value before the call) and an
   * output (its value after), so callers can carry the state between calls (src/trace/state.ts).
   */
  liftState?: boolean;
  /** The first call's state recorded for lifted state (default 'auto'). */
  stateInit?: StateInit;
  /** Graph input names replacing forward()'s argument names (torch's input_names). */
  inputNames?: readonly string[];
  /** Input dims to make symbolic, by graph input name: axis → dim name (torch's dynamic_axes). */
  dynamicAxes?: ReadonlyMap<string, ReadonlyMap<number, string>>;
  /**
   * Every float32 and float64 tensor the archive stores (parameters, buffers, constants) is float16,
   * and so is every float32 input, given or stored.
   */
  halfTensors?: boolean;
  /** Budgets bounding the work the archive's code can cause (DEFAULT_TRACE_LIMITS when absent). */
  limits?: TraceLimits;
  /** The quantized engine whose arithmetic ops on quantized tensors reproduce (DEFAULT_QUANTIZED_ENGINE when absent). */
  quantizedEngine?: QuantizedEngine;
}

/** Elements of a `Tuple[Tensor, ...]` (or `Optional[Tuple[...]]`) parameter, else undefined. */
function tensorTupleArity(p: Param): number | undefined {
  let t = p.annotation;
  if (t?.name === 'Optional') t = t.args[0];
  if (t?.name !== 'Tuple' || t.args.length === 0 || !t.args.every((a) => a.name === 'Tensor')) return undefined;
  return t.args.length;
}

/** Whether a parameter's type (an Optional's inner type) is `List[Tensor]`. */
function isTensorList(type: Param['annotation']): boolean {
  const t = type?.name === 'Optional' ? type.args[0] : type;
  return t?.name === 'List' && t.args[0]?.name === 'Tensor';
}

function typeText(p: Param): string {
  const t = p.annotation;
  const show = (x: NonNullable<Param['annotation']>): string => (x.args.length ? `${x.name}[${x.args.map(show).join(', ')}]` : x.name);
  return t ? show(t) : 'Any';
}

export function signatureText(fn: FunctionDef): string {
  return fn.params
    .slice(1)
    .map((p) => `${p.name}: ${typeText(p)}`)
    .join(', ');
}

/** `--input` specs from `traced_inputs.pkl` (PyTorch 2.x traces store their example inputs). */
export function tracedInputSpecs(archive: Archive, method: string): InputSpec[] | undefined {
  const stored = archive.tracedInputs?.get(method);
  if (!stored) return undefined;
  const items: readonly PickleValue[] = Array.isArray(stored) ? stored : typeof stored === 'object' && stored && 'kind' in stored && stored.kind === 'tuple' ? stored.items : [stored];
  const specs: InputSpec[] = [];
  for (const item of items) {
    if (isTensorRef(item)) {
      specs.push({ kind: 'tensor', dtype: item.dtype, shape: item.shape });
    } else return undefined;
  }
  return specs;
}

/**
 * The method to run. Modules scripted with `@torch.jit._overload_method` have no `forward`, only
 * `forward__0`, `forward__1`, ...: the first whose parameters take the given kinds of input is used.
 */
function findMethod(it: Interpreter, name: string, specs: readonly InputSpec[] | undefined): FunctionDef {
  const cls = it.rootObject().cls;
  const fn = cls.methods.get(name);
  if (fn) return fn;
  const overloads = [...cls.methods.keys()].filter((m) => new RegExp(`^${name}__\\d+$`).test(m)).sort();
  const accepts = (f: FunctionDef) =>
    (specs ?? []).every((spec, i) => {
      const t = f.params[i + 1]?.annotation;
      if (!t) return f.params[i + 1] !== undefined;
      const inner = t.name === 'Optional' ? t.args[0] : t;
      if (spec.kind === 'tensors') return isTensorList(inner);
      return spec.kind === 'tensor' ? inner.name === 'Tensor' : inner.name !== 'Tensor';
    });
  const overload = overloads.map((m) => cls.methods.get(m) as FunctionDef).find(accepts);
  if (overload) return overload;
  const available = [...cls.methods.keys()].filter((m) => !m.startsWith('__')).join(', ');
  return fail('TRACE_UNSUPPORTED', `the root module ${cls.qualified} has no method ${name}${available ? `; it has ${available}` : ''}`);
}

function argumentValue(spec: Extract<InputSpec, { kind: 'value' }>, param: Param): PyValue {
  const declared = param.annotation?.name === 'Optional' ? param.annotation.args[0]?.name : param.annotation?.name;
  // `--input '[1,3,32,32]'`: a shape without its dtype.
  if (declared === 'Tensor' && Array.isArray(spec.value) && spec.value.every((d) => typeof d === 'number')) {
    fail('INPUT_SPEC', `--input ${formatInputSpec(spec)} for ${param.name}: Tensor is a list of numbers; a tensor's spec names its dtype, e.g. float32${formatInputSpec(spec).replace(/\s/g, '')}`);
  }
  const convert = (v: unknown): PyValue => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return declared === 'float' || !Number.isInteger(v) ? new PyFloat(v) : v;
    if (Array.isArray(v)) return new PyList(v.map(convert));
    return fail('INPUT_SPEC', `--input for ${param.name}: objects are not supported`);
  };
  return convert(spec.value);
}

/**
 * Flattens forward()'s result: tuples and lists in order, dict values named by their keys. A dict
 * that is item i of a list names its values `<key>_<i>` (a detection model's list of per-image
 * dicts gives boxes_0, labels_0, scores_0, boxes_1, ...), one `_<i>` per enclosing list.
 */
function flattenOutputs(it: Interpreter, v: PyValue, name: string | undefined, out: TorchGraph['outputs'], suffix = ''): void {
  if (v instanceof TensorBox) out.push({ name: name === undefined ? undefined : name + suffix, value: v.value });
  else if (v instanceof GValue && v.type.kind === 'scalar' && v.type.scalar === 'float') {
    // A run-time Python float is written as a known one is: a float32 0-d tensor, as torch.tensor(x) makes it.
    flattenOutputs(it, it.callNamed('torch.tensor', [v], new Map()), name, out, suffix);
  } else if (v instanceof GValue) out.push({ name: name === undefined ? undefined : name + suffix, value: v });
  else if (v instanceof PyTuple) v.items.forEach((x) => flattenOutputs(it, it.current(x), undefined, out, suffix));
  else if (v instanceof PyList) v.items.forEach((x, i) => flattenOutputs(it, it.current(x), undefined, out, `${suffix}_${i}`));
  else if (v instanceof PyDict) for (const [k, x] of v.map) flattenOutputs(it, it.current(x), String(k), out, suffix);
  else if (v instanceof StackedRows) fail('TRACE_UNSUPPORTED', 'forward() returns a list whose length depends on tensor data: ONNX outputs are a fixed set of tensors (return torch.stack(list) instead)');
  else if (typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat) {
    const dtype = v instanceof PyFloat ? 'float32' : typeof v === 'boolean' ? 'bool' : 'int64';
    const value = v instanceof PyFloat ? v.value : Number(v);
    out.push({ name: name === undefined ? undefined : name + suffix, value: it.knownTensor({ type: { kind: 'tensor', dtype, shape: [] }, values: [value] }).value });
  } else if (v !== null) fail('TRACE_UNSUPPORTED', `forward() returns a ${typeName(v)}, which has no ONNX form`);
}

export function trace(archive: Archive, options: TraceOptions): TorchGraph {
  try {
    return traceMethod(archive, options);
  } catch (e) {
    // The budgets keep the code within the engine's limits; this is the backstop for what they miss (deep data, parsing).
    const limit = engineLimit(e);
    if (limit) fail('TRACE_LIMIT', limit);
    throw e;
  }
}

function traceMethod(archive: Archive, options: TraceOptions): TorchGraph {
  const loader = new ClassLoader(archive);
  refuseUnsafeCode(archive, loader);
  const first = run(archive, loader, options, undefined);
  const { run: last, seeds } = options.liftState ? settleState(first, (s) => run(archive, loader, options, s)) : { run: first, seeds: new Map<string, StateSeed>() };
  const { interpreter, graph, entry } = last;
  for (const w of writesOf(interpreter)) {
    if (seeds.has(w.path)) continue;
    const value = w.object.attrs.get(w.name);
    const liftable = seedOf(value) !== undefined;
    graph.warnings.push({
      code: 'STATE_NOT_KEPT',
      message:
        `forward() writes module attribute ${w.path}; the ONNX model reads the stored value and does not keep the write` +
        (liftable ? ' (--lift-state makes it an input and an output)' : ` (a ${typeName(value ?? null)} cannot be lifted)`),
    });
  }
  const inputs = () => [...graph.inputs, ...interpreter.stateInputs];
  const state = seeds.size ? stateOutputs(interpreter, seeds, graph.outputs, inputs, options.stateInit ?? 'auto') : undefined;
  if (graph.outputs.length === 0) {
    // An ONNX graph needs an output: onnxruntime refuses a model without one.
    fail('TRACE_UNSUPPORTED', `${options.method ?? 'forward'}() returns no tensor; nothing to export`, entry);
  }
  return { ...graph, inputs: inputs(), ...(state ? { state } : {}) };
}

function run(
  archive: Archive,
  loader: ClassLoader,
  options: TraceOptions,
  liftedState: ReadonlyMap<string, StateSeed> | undefined,
): { interpreter: Interpreter; graph: TorchGraph; entry: SourceLocation } {
  const it = new Interpreter(archive, loader, { registry: options.registry, freshDims: options.freshDims, training: options.training, liftedState, limits: options.limits, halfTensors: options.halfTensors, quantizedEngine: options.quantizedEngine });
  const method = options.method ?? 'forward';
  const stated = options.inputs?.length ? options.inputs : tracedInputSpecs(archive, method);
  const given = options.halfTensors ? stated?.map(halfInputSpec) : stated;
  const fn = findMethod(it, method, given);
  const params = fn.params.slice(1);
  const specs = given;
  // A Tuple[Tensor, ...] argument takes one --input per element, as torch.onnx.export flattens it.
  const arity = params.map((p) => tensorTupleArity(p) ?? 1);
  const requiredSpecs = params.reduce((n, p, i) => (p.default ? n : n + arity[i]), 0);
  const totalSpecs = arity.reduce((a, b) => a + b, 0);
  if (!specs || specs.length < requiredSpecs) {
    const given = specs?.length ? ` (got ${specs.map(formatInputSpec).join(' ')})` : '';
    fail(
      'INPUT_SPEC',
      `${method}(${signatureText(fn)}) needs ${requiredSpecs === totalSpecs ? '' : 'at least '}${requiredSpecs} --input argument${requiredSpecs === 1 ? '' : 's'}${given}; each is ${INPUT_SYNTAX}`,
    );
  }
  if (specs.length > totalSpecs) {
    fail('INPUT_SPEC', `${method}(${signatureText(fn)}) takes ${totalSpecs} argument${totalSpecs === 1 ? '' : 's'}, but ${specs.length} --input were given`);
  }
  const inputs = it.userInputs;
  const args: PyValue[] = [it.rootObject()];
  const tensorInput = (given: TensorSpec, name: string, p: Param): TensorBox => {
    const graphName = options.inputNames?.[inputs.length] ?? name;
    const axes = options.dynamicAxes?.get(graphName);
    let spec = given;
    if (axes) {
      for (const a of axes.keys()) {
        if (a >= spec.shape.length) fail('OPTION_INVALID', `dynamic axis ${a} of ${name} is beyond its rank ${spec.shape.length}`);
      }
      spec = { ...spec, shape: spec.shape.map((d, axis) => axes.get(axis) ?? d) };
    }
    const ann = p.annotation?.name;
    if (ann && ann !== 'Tensor' && ann !== 'Optional' && ann !== 'Any' && ann !== 'Tuple' && ann !== 'List') {
      fail('INPUT_SPEC', `--input ${formatInputSpec(spec)} is a tensor, but ${p.name} is declared ${typeText(p)}`);
    }
    const value = new GValue({ kind: 'tensor', dtype: spec.dtype, shape: spec.shape }, name);
    inputs.push({ name, value });
    return new TensorBox(value);
  };
  let cursor = 0;
  for (let i = 0; i < params.length && cursor < specs.length; i++) {
    const p = params[i];
    const spec = specs[cursor];
    if (arity[i] > 1 || tensorTupleArity(p) !== undefined) {
      if (spec.kind === 'value' && spec.value === null) {
        args.push(null);
        cursor++;
        continue;
      }
      const items: PyValue[] = [];
      for (let j = 0; j < arity[i]; j++, cursor++) {
        const element = specs[cursor];
        if (!element || element.kind !== 'tensor') fail('INPUT_SPEC', `${p.name} is declared ${typeText(p)}: give ${arity[i]} tensor --input specs for it`);
        items.push(tensorInput(element, `${p.name}_${j}`, p));
      }
      args.push(new PyTuple(items));
      continue;
    }
    cursor++;
    if (spec.kind === 'tensors') {
      // A List[Tensor] argument's tensors are graph inputs of their own, as torch.onnx.export flattens it.
      if (!isTensorList(p.annotation)) fail('INPUT_SPEC', `--input ${formatInputSpec(spec)} is a list of tensors, but ${p.name} is declared ${typeText(p)}`);
      args.push(new PyList(spec.items.map((item, j) => tensorInput(item, `${p.name}_${j}`, p))));
      continue;
    }
    if (spec.kind === 'tensor' && isTensorList(p.annotation)) {
      fail('INPUT_SPEC', `${p.name} is declared ${typeText(p)}: give its tensors as one --input '[${formatInputSpec(spec)},...]'`);
    }
    args.push(spec.kind === 'tensor' ? tensorInput(spec, p.name, p) : argumentValue(spec, p));
  }
  const result = it.callFunction(fn, it.rootObject().cls.file, '', args, new Map());
  const outputs: TorchGraph['outputs'] = [];
  flattenOutputs(it, result, undefined, outputs);
  const file = it.rootObject().cls.file;
  const entry = { file, line: fn.pos.line, python: archive.pythonLocation(file, fn.pos.offset) };
  return { interpreter: it, entry, graph: { inputs, parameters: it.parameters, body: { params: [], nodes: it.nodes, results: [] }, outputs, warnings: it.warnings } };
}
