/**
 * The abstract interpreter (design decision 1): runs TorchScript code on abstract values.
 * Python values known at conversion time are computed; tensor ops are recorded as graph nodes
 * with their shapes and dtypes; submodule calls are inlined by running them.
 */
import type { Archive, PickleValue, ScriptObject, TensorRef } from '../archive/types.js';
import { PyFloat } from '../archive/types.js';
import { tensorValues } from '../archive/tensor-data.js';
import { fail, TsonnxError, type SourceLocation, type ConversionWarning, type WarningCode } from '../errors.js';
import { BoundArgs, type FreshDims } from '../ops/args.js';
import { scalarTypeOf } from '../ops/dtypes.js';
import { DEFAULT_QUANTIZED_ENGINE, type QuantizedEngine } from '../ops/quantized-engine.js';
import type { Registry } from '../ops/registry.js';
// The op definitions the interpreter binds calls to and infers shapes with.
import type { Expr, FunctionDef, Pos, Stmt, TypeExpr } from '../script/ast.js';
import { bindSchema, Mismatch } from './bind.js';
import { callBuiltin, NOT_BUILTIN, pythonRange, rangeItems } from './builtins.js';
import type { ClassLoader } from './classes.js';
import { GValue, type Arg, type Dim, type GInput, type GNode, type GParameter, type KnownTensor, type TensorType, type ValueType } from '../ir/torch-graph.js';
import { DEFAULT_TRACE_LIMITS, engineLimit, TraceBudget, type TraceLimits } from './limits.js';
import { callOnQuantized } from './quantized-tensors.js';
import { checkStridedBounds, unsafeCallee, unsafeMessage, unsafeOp } from './safety.js';
import { asStridedOnStorage, StorageLayouts } from './storage-layout.js';
import {
  BoundMethod,
  ClassRef,
  MethodOfValue,
  Namespace,
  PyDict,
  PyList,
  PyObject,
  PyTuple,
  ScriptFunction,
  StackedRows,
  TensorBox,
  TorchbindObject,
  Uninitialized,
  typeName,
  type DictKey,
  type ListItems,
  type PyValue,
} from './values.js';

interface Branch {
  readonly nodes: GNode[];
  readonly env: Map<string, PyValue>;
  /** Tensor variables an in-place op rebound on the branch, with their values at its end. */
  readonly boxes: Map<TensorBox, GValue>;
  /** Lists of the enclosing code the branch changed, with their items at its end. */
  readonly lists: Map<PyList, PyValue[]>;
  /** Lists of run-time length at the branch's end: the enclosing code's and those the branch made so. */
  readonly stacked: ReadonlyMap<PyList, StackedRows>;
  /** Graph values the branch made (its nodes' outputs and its parameters): valid only inside its block. */
  readonly made: ReadonlySet<GValue>;
  readonly raised?: TsonnxError;
}

/**
 * The type of a value that is `a` on one path and `b` on the other. Sizes that differ become dims
 * named `<prefix>_<i>` (axis i), a prefix unique to the If or Loop output, so sizes from different
 * control flow never compare equal.
 */
function mergeTypes(a: ValueType, b: ValueType, prefix: string): ValueType {
  if (a.kind !== b.kind) throw new TsonnxError('TRACE_UNSUPPORTED', `the two paths of control flow on tensor data give a ${a.kind} and a ${b.kind}`);
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    if (a.scalar !== b.scalar) throw new TsonnxError('TRACE_UNSUPPORTED', `the two paths of control flow on tensor data give a ${a.scalar} and a ${b.scalar}`);
    return a.dim === b.dim ? a : { kind: 'scalar', scalar: a.scalar };
  }
  if (a.kind !== 'tensor' || b.kind !== 'tensor') return a;
  if (a.dtype !== b.dtype) throw new TsonnxError('TRACE_UNSUPPORTED', `the two paths of control flow on tensor data give ${a.dtype} and ${b.dtype} tensors`);
  if (a.shape.length !== b.shape.length) return { kind: 'tensor', dtype: a.dtype, shape: a.shape.map((_, i) => `${prefix}_${i}`) };
  return { kind: 'tensor', dtype: a.dtype, shape: a.shape.map((d, i) => (d === b.shape[i] ? d : `${prefix}_${i}`)) };
}

/** Whether tensors of type `b` can be rows of the same list as tensors of type `a`: one dtype and rank, equal known sizes. */
function sameRowType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i] || typeof d !== 'number' || typeof b.shape[i] !== 'number');
}

/** The type of one row of a stacked tensor. */
function rowType(rows: TensorType): TensorType {
  return { kind: 'tensor', dtype: rows.dtype, shape: rows.shape.slice(1) };
}

function describeTensorType(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}

function sameType(a: ValueType, b: ValueType): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'tensor' && b.kind === 'tensor') return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  return true;
}

/** Names a block of statements assigns, nested blocks included. */
function assignedNames(stmts: readonly Stmt[], into = new Set<string>()): Set<string> {
  const target = (e: Expr): void => {
    if (e.kind === 'name') into.add(e.id);
    else if (e.kind === 'tuple' || e.kind === 'list') e.items.forEach(target);
  };
  for (const s of stmts) {
    if (s.kind === 'assign') s.targets.forEach(target);
    else if (s.kind === 'annassign' || s.kind === 'augassign') target(s.target);
    else if (s.kind === 'if') {
      assignedNames(s.body, into);
      assignedNames(s.orelse, into);
    } else if (s.kind === 'for') {
      target(s.target);
      assignedNames(s.body, into);
    } else if (s.kind === 'while' || s.kind === 'with') assignedNames(s.body, into);
  }
  return into;
}

function sameValue(a: PyValue, b: PyValue): boolean {
  if (a instanceof PyFloat && b instanceof PyFloat) return a.value === b.value;
  return a === b;
}

/** Whether `v` is (or holds) a graph value the branch made, which exists only inside its block. */
function madeOn(v: PyValue, branch: Branch): boolean {
  if (v instanceof PyTuple || v instanceof PyList) return v.items.some((x) => madeOn(x, branch));
  const g = v instanceof TensorBox ? v.value : v instanceof GValue ? v : v instanceof StackedRows ? v.box.value : undefined;
  return g !== undefined && branch.made.has(g);
}

/**
 * How a value a loop carries is made of graph values: a tensor, a run-time Python number, a list of tensors as its
 * rows (`StackedRows`), or a tuple of such.
 */
type Layout = 'tensor' | 'number' | 'rows' | { readonly items: readonly Layout[]; readonly className?: string };

function sameLayout(a: Layout, b: Layout): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.items.length === b.items.length && a.items.every((x, i) => sameLayout(x, b.items[i]));
}

/** The value of `layout` made of `values` (taken from `at.next` on). */
function assemble(layout: Layout, values: readonly GValue[], at = { next: 0 }): PyValue {
  if (layout === 'tensor') return new TensorBox(values[at.next++]);
  if (layout === 'number') return values[at.next++];
  if (layout === 'rows') return new StackedRows(new TensorBox(values[at.next++]));
  return new PyTuple(layout.items.map((item) => assemble(item, values, at)), layout.className);
}

/** A name or a tensor written in place that a loop on tensor data carries, as the graph values it is made of. */
interface Carried {
  readonly name: string;
  /** The tensor written in place, when it is one. */
  readonly box?: TensorBox;
  /**
   * Undefined until a pass of the body shows what the name holds, when it held no graph values before the loop: it
   * was uninitialized, or a list (`list`), which the loop carries as its rows.
   */
  layout: Layout | undefined;
  readonly list?: PyList;
  initial: GValue[];
  types: ValueType[];
}

class ReturnSignal {
  constructor(readonly value: PyValue) {}
}
class BreakSignal {}
class ContinueSignal {}

interface Frame {
  readonly env: Map<string, PyValue>;
  readonly file: string;
  /** Module path whose code runs (node scope names). */
  readonly scope: string;
}

/** Ops whose result shares memory with their first argument: in-place writes to it reach the base. */
const VIEW_OPS = new Set([
  'slice', 'select', 'narrow', 'view', 'reshape', 'flatten', 'unflatten', 'squeeze', 'unsqueeze', 'transpose',
  'permute', 't', 'view_as', 'reshape_as', 'contiguous', 'detach', 'alias', 'expand_as', 'expand', 'diagonal', 'linalg_diagonal',
  'as_strided', 'unfold', 'movedim', 'moveaxis', 'swapaxes', 'swapdims', 'real', 'imag', 'view_as_real',
  'view_as_complex',
]);

/** Ops whose list elements are views of their first argument, along `dim`. */
const LIST_VIEW_OPS = new Set(['chunk', 'split', 'unsafe_chunk', 'unsafe_split', 'split_with_sizes', 'unsafe_split_with_sizes', 'unbind']);

/** Views whose writes go back to the base by reshaping: they only change the shape. */
const RESHAPING_VIEWS = new Set(['view', 'reshape', 'flatten', 'unflatten', 'squeeze', 'unsqueeze', 'view_as', 'reshape_as']);

/** Constant tensors with at most this many elements are known to the interpreter. */
const KNOWN_LIMIT = 64;

/**
 * Op results are computed at conversion time (for shape arithmetic and folding) only up to this
 * many elements; larger ones stay graph nodes, so code like `torch.arange(10**9)` costs no memory here.
 */
const EVALUATED_LIMIT = 1_000_000;

export interface InterpreterOptions {
  /** The op definitions calls are bound against and traced with. */
  registry: Registry;
  /** The conversion's fresh dim names. */
  freshDims: FreshDims;
  /** Value of every module's `training` attribute, or 'preserve' to keep the archive's own. */
  training: boolean | 'preserve';
  /**
   * State attributes (module paths) read as what the seed says instead of the archive's stored value:
   * graph inputs (so writes to them can be outputs) or a number's steady value.
   */
  liftedState?: ReadonlyMap<string, StateSeed>;
  /** Budgets bounding the work the code can cause (DEFAULT_TRACE_LIMITS when absent). */
  limits?: TraceLimits;
  /** Every float32 and float64 tensor the archive stores (parameters, buffers, constants) is float16 (`--fp16`). */
  halfTensors?: boolean;
  /** The quantized engine whose arithmetic ops on quantized tensors reproduce (DEFAULT_QUANTIZED_ENGINE when absent). */
  quantizedEngine?: QuantizedEngine;
}

/** A module attribute forward() assigns. */
export interface StateWrite {
  readonly path: string;
  readonly object: PyObject;
  readonly name: string;
}

/**
 * How a state attribute is read when state is lifted: tensors (and each tensor of a list) and
 * numbers forward() updates are graph inputs (a number as a 0-d tensor); a number that keeps one
 * value from call to call is that value.
 */
export type StateSeed =
  | { readonly kind: 'tensor'; readonly type: TensorType }
  | { readonly kind: 'tensors'; readonly types: readonly TensorType[] }
  | { readonly kind: 'number'; readonly scalar: 'int' | 'float' | 'bool' }
  | { readonly kind: 'known'; readonly value: number | boolean | PyFloat }
  /** An int that is the size of an input's named dim (a batch size the model remembers): that size in every call. */
  | { readonly kind: 'size'; readonly dim: string };

/** The 0-d tensor dtype carrying a lifted number, as prim::NumToTensor makes it. */
export const NUMBER_STATE_DTYPE = { int: 'int64', float: 'float64', bool: 'bool' } as const;

/** The conversion of a 0-d tensor back to a number of each kind. */
const NUMBER_FROM_TENSOR = { int: 'Int', float: 'Float', bool: 'Bool' } as const;

export class Interpreter {
  readonly nodes: GNode[] = [];
  /** Where nodes go: the graph body, or the block of a branch being interpreted. */
  private target: GNode[] = this.nodes;
  /** Boxes an in-place op rebinds while a branch runs, with their values before it. */
  private boxWrites: Map<TensorBox, GValue> | undefined;
  /**
   * Lists whose length came to depend on tensor data (appended to on some paths of an if on tensor data, or once
   * per trip of a loop on it), with their rows: every read of such a list by name reads the rows. Each branch
   * runs on its own copy.
   */
  private stackedLists = new Map<PyList, StackedRows>();
  /** Lists read (other than by `append`) while a loop body on tensor data runs: none of them can be a scan output. */
  private listReads: Set<PyList> | undefined;
  readonly parameters: GParameter[] = [];
  readonly warnings: ConversionWarning[] = [];
  /** Symbolic dims carried through 0-d tensors (`NumToTensor(torch.size(x, 0))` in traced code). */
  readonly tensorDims = new WeakMap<GValue, Dim>();
  private readonly paramByRef = new Map<TensorRef, TensorBox>();
  private readonly constants = new Map<number, PyValue>();
  private pos: Pos | undefined;
  private frame: Frame | undefined;
  /** Module attributes assigned by the code, by path, in the order of their first write. */
  readonly stateWrites = new Map<string, StateWrite>();
  /** Graph inputs for forward()'s tensor arguments, in order. */
  readonly userInputs: GInput[] = [];
  /** Graph inputs standing for lifted state attributes. */
  readonly stateInputs: Array<{ name: string; value: GValue }> = [];
  /** Depth of `__setstate__` calls running: their attribute writes rebuild objects, not state. */
  private restoring = 0;
  /** Tensor attributes of modules, so an in-place write to one counts as a state write. */
  private readonly attributeBoxes = new Map<TensorBox, Omit<StateWrite, 'path'> & { path: string }>();
  /** List attributes of modules with their items when read, so changing the list in place counts as a state write. */
  private readonly attributeLists = new Map<PyList, StateWrite & { items: readonly PyValue[]; values: readonly (GValue | undefined)[] }>();
  /** Views made of each tensor variable, refreshed when an in-place op changes it. */
  private readonly views = new Map<TensorBox, Set<TensorBox>>();
  /** The node that made each graph value (storage layouts for as_strided, sizes read from tensor elements). */
  readonly producers = new WeakMap<GValue, GNode>();
  /** Sizes read from one element of a tensor (`int(batch_sizes[0])`), by tensor and `dim:index`. */
  readonly elementDims = new WeakMap<GValue, Map<string, Dim>>();
  /** Where each value's elements lie in storage, for as_strided. */
  private readonly storageLayouts = new StorageLayouts(this);
  readonly budget: TraceBudget;

  constructor(
    readonly archive: Archive,
    readonly loader: ClassLoader,
    readonly options: InterpreterOptions,
  ) {
    this.budget = new TraceBudget(options.limits ?? DEFAULT_TRACE_LIMITS, () => this.location());
  }

  // ---------- locations and errors ----------

  /**
   * Where the code runs now. The Python position is looked up only when a message or doc_string
   * reads it: reading `.debug_pkl` records for every node would cost more than the trace.
   */
  location(): SourceLocation | undefined {
    if (!this.pos || !this.frame) return undefined;
    const { archive } = this;
    const { file } = this.frame;
    const { line, column, offset } = this.pos;
    let python: string | undefined | null = null;
    return {
      file,
      line,
      column,
      get python() {
        if (python === null) python = archive.pythonLocation(file, offset);
        return python;
      },
    };
  }

  fail(code: ConstructorParameters<typeof TsonnxError>[0], message: string): never {
    throw new TsonnxError(code, message, this.location());
  }

  warn(code: WarningCode, message: string): void {
    const loc = this.location();
    const text = loc ? `${loc.file}:${loc.line}: ${message}` : message;
    if (!this.warnings.some((w) => w.message === text)) this.warnings.push({ code, message: text });
  }

  // ---------- modules and attributes ----------

  private root: PyObject | undefined;

  rootObject(): PyObject {
    this.root ??= this.objectFrom(this.archive.module, '');
    return this.root;
  }

  /**
   * A pickled object. One saved with `__getstate__` (form (b), e.g. quantized modules) is rebuilt
   * as PyTorch does: a fresh object whose `__setstate__` runs on the pickled state.
   */
  private objectFrom(pickled: ScriptObject, path: string): PyObject {
    const cls = this.loader.classInfo(pickled.className);
    const setstate = cls.methods.get('__setstate__');
    if (pickled.state === undefined || !setstate) return new PyObject(cls, path, pickled);
    const obj = new PyObject(cls, path, { ...pickled, attributes: new Map() });
    this.restoring++;
    try {
      this.callFunction(setstate, cls.file, path, [obj, this.fromPickle(pickled.state, path)], new Map());
    } finally {
      this.restoring--;
    }
    return obj;
  }

  parameter(ref: TensorRef, name: string): TensorBox {
    const existing = this.paramByRef.get(ref);
    if (existing) return existing;
    const isConstant = name.startsWith('CONSTANTS.');
    // Constants too: frozen and mobile archives keep their weights as constants.
    const halved = this.options.halfTensors && (ref.dtype === 'float32' || ref.dtype === 'float64');
    const perTensor = ref.quant?.scheme === 'per_tensor_affine' ? { scale: ref.quant.scale ?? 1, zeroPoint: ref.quant.zeroPoint ?? 0 } : undefined;
    const type: TensorType = { kind: 'tensor', dtype: halved ? 'float16' : ref.dtype, shape: [...ref.shape], ...(perTensor && { quant: perTensor }) };
    const value = new GValue(type, name);
    const numel = ref.shape.reduce((a, b) => a * b, 1);
    if (isConstant && numel <= KNOWN_LIMIT && !ref.quant) value.known = { type, values: storedValues(ref) };
    this.parameters.push({ name, value, data: ref });
    const box = new TensorBox(value);
    this.paramByRef.set(ref, box);
    return box;
  }

  /** A pickled value as an interpreter value; `declared` is the attribute's annotated type. */
  fromPickle(v: PickleValue, path: string, declared?: TypeExpr): PyValue {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return declared?.name === 'float' ? new PyFloat(v) : v;
    if (typeof v === 'bigint') return Number(v);
    if (v instanceof PyFloat) return v;
    if (Array.isArray(v)) return new PyList(v.map((x, i) => this.fromPickle(x, `${path}.${i}`, declared?.args[0])));
    switch (v.kind) {
      case 'tuple':
        return new PyTuple(v.items.map((x, i) => this.fromPickle(x, `${path}.${i}`, declared?.args[i])));
      case 'dict':
        return new PyDict(new Map(v.entries.map(([k, x]) => [this.fromPickle(k, path) as DictKey, this.fromPickle(x, `${path}.${String(k)}`, declared?.args[1])])));
      case 'tensor':
        return this.parameter(v, path);
      case 'object':
        if (v.className.startsWith('__torch__.torch.classes.')) {
          return new TorchbindObject(v.className, v.state === undefined ? null : this.fromPickle(v.state, path));
        }
        return this.objectFrom(v, path);
      case 'device':
        return { kind: 'device', device: v.device };
      case 'global':
        return `${v.module}.${v.name}`;
    }
  }

  getAttr(obj: PyObject, name: string): PyValue {
    const cached = obj.attrs.get(name);
    if (cached !== undefined || obj.attrs.has(name)) return cached as PyValue;
    let value: PyValue | undefined;
    const path = obj.path ? `${obj.path}.${name}` : name;
    if (name === 'training' && this.options.training !== 'preserve') value = this.options.training;
    else if (this.options.liftedState?.has(path)) {
      value = this.stateValue(path, this.options.liftedState.get(path) as StateSeed);
    } else if (obj.pickled?.attributes.has(name)) {
      value = this.fromPickle(obj.pickled.attributes.get(name) as PickleValue, path, obj.cls.attributeTypes.get(name));
    } else if (obj.cls.constants.has(name)) {
      value = this.withFrame({ env: new Map(), file: obj.cls.file, scope: obj.path }, () => this.eval(obj.cls.constants.get(name) as Expr));
    } else if (obj.cls.methods.has(name)) {
      return new BoundMethod(obj, name, obj.cls.methods.get(name) as FunctionDef);
    } else if (obj.cls.attributeTypes.get(name)?.name === 'NoneType') {
      value = null;
    }
    if (value === undefined) return this.fail('SCRIPT_NAME', `${obj.cls.qualified} has no attribute ${name}`);
    if (value instanceof TensorBox && obj.pickled && !this.attributeBoxes.has(value)) {
      this.attributeBoxes.set(value, { path, object: obj, name });
    }
    if (value instanceof PyList && obj.pickled && !this.attributeLists.has(value)) {
      const items = [...value.items];
      this.attributeLists.set(value, { path, object: obj, name, items, values: items.map((x) => (x instanceof TensorBox ? x.value : undefined)) });
    }
    obj.attrs.set(name, value);
    return value;
  }

  /** A lifted state attribute's value: graph inputs named by its path, or a number's steady value. */
  private stateValue(path: string, seed: StateSeed): PyValue {
    const input = (type: TensorType, name: string): TensorBox => {
      const value = new GValue(type, name);
      this.stateInputs.push({ name, value });
      return new TensorBox(value);
    };
    switch (seed.kind) {
      case 'tensor':
        return input(seed.type, path);
      case 'tensors':
        return new PyList(seed.types.map((type, i) => input(type, `${path}.${i}`)));
      case 'number': {
        const box = input({ kind: 'tensor', dtype: NUMBER_STATE_DTYPE[seed.scalar], shape: [] }, path);
        return this.callOp('aten', NUMBER_FROM_TENSOR[seed.scalar], [box], new Map());
      }
      case 'known':
        return seed.value;
      case 'size':
        for (const { value } of this.userInputs) {
          const axis = value.type.kind === 'tensor' ? value.type.shape.indexOf(seed.dim) : -1;
          if (axis >= 0) return this.callOp('aten', 'size', [new TensorBox(value), axis], new Map());
        }
        return this.fail('INTERNAL', `state ${path} is the size of dim ${seed.dim}, which no input has`);
    }
  }

  /** Module list attributes whose items forward() replaced, added, removed or wrote in place. */
  listWrites(): StateWrite[] {
    const changed: StateWrite[] = [];
    for (const [list, read] of this.attributeLists) {
      const same =
        list.items.length === read.items.length &&
        list.items.every((x, i) => x === read.items[i] && (!(x instanceof TensorBox) || x.value === read.values[i]));
      if (!same) changed.push({ path: read.path, object: read.object, name: read.name });
    }
    return changed;
  }

  private setAttr(obj: PyObject, name: string, value: PyValue): void {
    if (obj.pickled && !this.restoring) {
      const path = obj.path ? `${obj.path}.${name}` : name;
      if (!this.stateWrites.has(path)) this.stateWrites.set(path, { path, object: obj, name });
      if (value instanceof TensorBox && !this.attributeBoxes.has(value)) this.attributeBoxes.set(value, { path, object: obj, name });
    }
    obj.attrs.set(name, value);
  }

  constant(index: number): PyValue {
    if (!this.constants.has(index)) {
      const raw = this.archive.constants[index];
      if (raw === undefined) this.fail('SCRIPT_NAME', `CONSTANTS.c${index} is not in constants.pkl`);
      this.constants.set(index, this.fromPickle(raw, `CONSTANTS.c${index}`));
    }
    return this.constants.get(index) as PyValue;
  }

  // ---------- calls ----------

  withFrame<T>(frame: Frame, run: () => T): T {
    const saved = this.frame;
    const savedPos = this.pos;
    this.frame = frame;
    try {
      return run();
    } finally {
      this.frame = saved;
      this.pos = savedPos;
    }
  }

  callFunction(fn: FunctionDef, file: string, scope: string, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>): PyValue {
    this.budget.enterCall(fn.name);
    // withFrame inlined: each call's frames count against the JS stack.
    const saved = this.frame;
    const savedPos = this.pos;
    const env = new Map<string, PyValue>();
    this.frame = { env, file, scope };
    try {
      this.pos = fn.pos;
      fn.params.forEach((p, i) => {
        let v: PyValue | undefined;
        if (i < args.length) v = args[i];
        else if (kwargs.has(p.name)) v = kwargs.get(p.name) as PyValue;
        else if (p.default) v = this.eval(p.default);
        else this.fail('TRACE_TYPE', `${fn.name}() is missing argument ${p.name}`);
        env.set(p.name, this.coerce(v as PyValue, p.annotation));
      });
      for (const statement of fn.body) this.exec(statement);
      return null;
    } catch (e) {
      if (e instanceof ReturnSignal) return e.value;
      throw e;
    } finally {
      this.frame = saved;
      this.pos = savedPos;
      this.budget.leaveCall();
    }
  }

  /** Ints passed where a float is declared become floats, as in TorchScript. */
  private coerce(v: PyValue, type: TypeExpr | undefined): PyValue {
    if (type?.name === 'float' && typeof v === 'number') return new PyFloat(v);
    return v;
  }

  call(fn: PyValue, args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
    if (fn instanceof BoundMethod) {
      return this.callFunction(fn.fn, fn.self.cls.file, fn.self.path, [fn.self, ...args], kwargs);
    }
    if (fn instanceof ScriptFunction) {
      return this.callFunction(fn.fn, fn.file, this.frame?.scope ?? '', args, kwargs);
    }
    if (fn instanceof ClassRef) return this.construct(fn, args);
    if (fn instanceof Namespace) return this.callNamed(fn.path, args, kwargs);
    if (fn instanceof PyObject) {
      const forward = this.getAttr(fn, 'forward');
      return this.call(forward, args, kwargs);
    }
    return this.fail('TRACE_TYPE', `a ${typeName(fn)} is not callable`);
  }

  private construct(ref: ClassRef, args: PyValue[]): PyValue {
    const base = ref.cls.def.base;
    if (base === 'NamedTuple') return new PyTuple(args, ref.cls.qualified);
    return this.fail('TRACE_UNSUPPORTED', `constructing ${ref.cls.qualified} is not supported`);
  }

  /** `torch.X`, `ops.ns.X`, or a Python builtin. */
  callNamed(path: string, args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
    const unsafe = unsafeCallee(path);
    if (unsafe) return this.fail('UNSAFE_OP', unsafeMessage(unsafe, path));
    if (!path.endsWith('.append')) args.forEach((a) => this.noteListRead(a));
    const builtin = callBuiltin(this, path, args, kwargs);
    if (builtin !== NOT_BUILTIN) return builtin;
    if ([...args, ...kwargs.values()].some((a) => a instanceof StackedRows)) {
      return this.fail('TRACE_UNSUPPORTED', `${path.replace(/^torch\./, '')}() on a list whose length depends on tensor data is not supported (len, indexing, append, extend, +, torch.stack and torch.cat are)`);
    }
    const [head, ...rest] = path.split('.');
    if (head === 'torch' && rest.length === 1) return this.callOp('aten', rest[0], args, kwargs);
    if (head === 'ops' && rest.length === 2) return this.callOp(rest[0], rest[1], args, kwargs);
    return this.fail('OP_UNSUPPORTED', `${path} is not supported`);
  }

  /** Records a registered op as a graph node. In-place `op_` runs `op` and updates its first tensor. */
  callOp(ns: string, name: string, args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
    if (ns === 'aten') {
      const onQuantized = callOnQuantized(
        name,
        args,
        kwargs,
        this.options.quantizedEngine ?? DEFAULT_QUANTIZED_ENGINE,
        (op, opArgs, opKwargs) => this.callRegistered(ns, op, opArgs, opKwargs),
        (box, result) => {
          this.rebind(box, result.value);
          this.writeThrough(box);
        },
      );
      if (onQuantized !== undefined) return onQuantized;
    }
    return this.callRegistered(ns, name, args, kwargs);
  }

  private callRegistered(ns: string, name: string, args: PyValue[], kwargs: Map<string, PyValue>): PyValue {
    const unsafe = unsafeOp(`${ns}::${name}`);
    if (unsafe) return this.fail('UNSAFE_OP', unsafeMessage(unsafe, `${ns}::${name}`));
    if (ns === 'aten') checkStridedBounds(this, name, args, kwargs);
    if (ns === 'aten' && name === 'as_strided_') return this.fail('TRACE_UNSUPPORTED', 'aten::as_strided_ (restriding a tensor in place) is not supported');
    // as_strided binds to the storage behind its input; a view made by it stays a view of `args[0]`.
    const [callArgs, callKwargs] = ns === 'aten' && name === 'as_strided' ? asStridedOnStorage(this, this.storageLayouts, args, kwargs) : [args, kwargs];
    let entry = this.options.registry.findOp(`${ns}::${name}`);
    let inplace = false;
    if (!entry && name.endsWith('_') && !name.endsWith('__')) {
      entry = this.options.registry.findOp(`${ns}::${name.slice(0, -1)}`);
      inplace = entry !== undefined;
    }
    if (!entry) return this.fail('OP_UNSUPPORTED', `${ns}::${name} is not supported`);
    const reasons: string[] = [];
    const candidates = [true, false].flatMap((strict) => entry.schemas.map((schema) => ({ schema, strict })));
    for (const { schema, strict } of candidates) {
      const bound = bindSchema(schema, callArgs, callKwargs, strict);
      if (bound instanceof Mismatch) {
        if (!strict) reasons.push(`${schema.overload || schema.name}: ${bound.reason}`);
        continue;
      }
      const boundArgs = new BoundArgs(schema, bound, this.options.freshDims);
      let types;
      try {
        types = entry.def.infer(boundArgs);
      } catch (e) {
        if (e instanceof TsonnxError) throw e.at(this.location());
        throw e;
      }
      const outputs = types.map((t) => new GValue(t));
      this.emit({
        op: `${ns}::${inplace ? name.slice(0, -1) : name}`,
        overload: schema.overload,
        args: bound,
        outputs,
        scope: this.frame?.scope ?? '',
        location: this.location(),
      });
      this.evaluate(entry.def.evaluate, boundArgs, outputs);
      const results = outputs.map(wrapOutput);
      const self = args[0];
      if (inplace) {
        if (self instanceof TensorBox && results[0] instanceof TensorBox) {
          this.rebind(self, results[0].value);
          this.writeThrough(self);
          return self;
        }
      } else if (VIEW_OPS.has(name) && self instanceof TensorBox && results[0] instanceof TensorBox) {
        results[0] = this.viewOf(self, results[0].value, name, args.slice(1), kwargs);
      } else if (LIST_VIEW_OPS.has(name) && self instanceof TensorBox) {
        this.listViews(self, name, bound, results);
      }
      const ret = schema.returns;
      if (ret.length === 1 && ret[0].list) return new PyList(results);
      if (ret.length === 1) return results[0];
      return new PyTuple(results);
    }
    return this.fail('TRACE_TYPE', `${ns}::${name}: no overload accepts (${args.map(typeName).join(', ')}): ${reasons.join('; ')}`);
  }

  private evaluate(evaluate: ((a: BoundArgs) => KnownTensor[] | undefined) | undefined, a: BoundArgs, outputs: GValue[]): void {
    if (!evaluate) return;
    const tooLarge = (v: GValue) => v.type.kind === 'tensor' && v.type.shape.reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), 1) > EVALUATED_LIMIT;
    if (outputs.some(tooLarge)) return;
    for (const v of a.values.values()) {
      if (v instanceof GValue && !v.known) return;
      if (Array.isArray(v) && v.some((x) => x instanceof GValue && !x.known)) return;
    }
    const known = evaluate(a);
    known?.forEach((k, i) => {
      if (outputs[i]) outputs[i].known = k;
    });
  }

  emit(node: GNode): void {
    this.budget.node();
    this.target.push(node);
    for (const output of node.outputs) this.producers.set(output, node);
  }

  private viewOf(base: TensorBox, value: GValue, op: string, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>): TensorBox {
    const view = new TensorBox(value, { base, op, args, kwargs });
    const siblings = this.views.get(base) ?? new Set();
    siblings.add(view);
    this.views.set(base, siblings);
    return view;
  }

  /**
   * The pieces of chunk/split/unbind are views of their input: each becomes a `slice` (or, for
   * unbind, `select`) view along the split dim, so in-place writes to a piece reach the input.
   */
  private listViews(base: TensorBox, op: string, bound: ReadonlyMap<string, Arg>, pieces: PyValue[]): void {
    const rank = base.value.tensor.shape.length;
    const given = bound.get('dim');
    const dim = typeof given === 'number' ? (given < 0 ? given + rank : given) : 0;
    let start = 0;
    pieces.forEach((piece, i) => {
      if (!(piece instanceof TensorBox)) return;
      if (op === 'unbind') {
        pieces[i] = this.viewOf(base, piece.value, 'select', [dim, i], new Map());
        return;
      }
      const size = piece.value.tensor.shape[dim];
      if (typeof size !== 'number') {
        pieces[i] = this.viewOf(base, piece.value, `${op} along a dynamic dim`, [], new Map());
        return;
      }
      pieces[i] = this.viewOf(base, piece.value, 'slice', [dim, start, start + size, 1], new Map());
      start += size;
    });
  }

  /** After an in-place write to a view, writes the view's new value back into its base, up the chain. */
  private writeThrough(box: TensorBox): void {
    for (let child = box; child.view; child = child.view.base) {
      const { base, op, args, kwargs } = child.view;
      const call = (opName: string, callArgs: PyValue[], callKwargs = new Map<string, PyValue>()) =>
        (this.callOp('aten', opName, callArgs, callKwargs) as TensorBox).value;
      let updated: GValue;
      switch (op) {
        case 'slice':
          updated = call('slice_scatter', [base, child, ...args], new Map(kwargs));
          break;
        case 'select':
          updated = call('select_scatter', [base, child, ...args], new Map(kwargs));
          break;
        case 'diagonal':
          updated = call('diagonal_scatter', [base, child, ...args], new Map(kwargs));
          break;
        case 'linalg_diagonal':
          // Its dims are keyword-only, defaulting to the last two rather than diagonal's first two.
          updated = call('diagonal_scatter', [base, child], new Map([['dim1', -2], ['dim2', -1], ...kwargs]));
          break;
        case 'narrow': {
          const [dim, start, length] = args;
          updated = call('slice_scatter', [base, child, dim, start, this.callNamed('torch.add', [start, length], new Map())]);
          break;
        }
        case 'transpose':
        case 'swapaxes':
        case 'swapdims':
          updated = call('transpose', [child, ...args]);
          break;
        case 'movedim':
        case 'moveaxis':
          updated = call('movedim', [child, args[1], args[0]]);
          break;
        case 't':
          updated = call('t', [child]);
          break;
        case 'permute': {
          const dims = this.iterate(args[0]).map(Number);
          const inverse = dims.map((_, i) => dims.indexOf(i) >= 0 ? dims.indexOf(i) : dims.indexOf(i - dims.length));
          updated = call('permute', [child, new PyList(inverse)]);
          break;
        }
        case 'contiguous':
        case 'detach':
        case 'alias':
          updated = child.value;
          break;
        default:
          if (!RESHAPING_VIEWS.has(op)) return this.fail('TRACE_UNSUPPORTED', `an in-place write through a ${op} view of a tensor is not supported`);
          updated = call('reshape', [child, this.callNamed('torch.size', [base], new Map())]);
      }
      this.rebind(base, updated, child);
    }
  }

  /**
   * Gives a tensor variable a new value after an in-place op. Module attributes so written count
   * as state writes; views taken of the variable earlier are recomputed from its new value
   * (except `from`, the view the write came through).
   */
  private rebind(box: TensorBox, value: GValue, from?: TensorBox): void {
    if (this.boxWrites && !this.boxWrites.has(box)) this.boxWrites.set(box, box.value);
    box.value = value;
    const attribute = this.attributeBoxes.get(box);
    if (attribute && !this.stateWrites.has(attribute.path)) this.stateWrites.set(attribute.path, attribute);
    const views = this.views.get(box);
    for (const view of [...(views ?? [])]) {
      if (view === from || !view.view) continue;
      if (!VIEW_OPS.has(view.view.op)) {
        this.fail('TRACE_UNSUPPORTED', `an in-place write to a tensor after a ${view.view.op} of it is not supported`);
      }
      const fresh = this.callOp('aten', view.view.op, [box, ...view.view.args], new Map(view.view.kwargs)) as TensorBox;
      views?.delete(fresh);
      this.rebind(view, fresh.value, box);
    }
  }

  /** A graph value known at conversion time, recorded as a constant node. */
  knownTensor(known: KnownTensor): TensorBox {
    const value = new GValue(known.type, undefined, known);
    this.emit({ op: 'prim::Constant', args: new Map(), outputs: [value], scope: this.frame?.scope ?? '', location: this.location() });
    return new TensorBox(value);
  }

  // ---------- statements ----------

  execBlock(stmts: readonly Stmt[]): void {
    for (const s of stmts) this.exec(s);
  }

  private env(): Map<string, PyValue> {
    return (this.frame as Frame).env;
  }

  exec(s: Stmt): void {
    this.pos = s.pos;
    this.budget.step();
    this.budget.enterEval();
    try {
      switch (s.kind) {
        case 'assign': {
          const value = this.eval(s.value);
          if (s.targets.length > 1 || s.trailingComma) this.assignMany(s.targets, value);
          else this.assign(s.targets[0], value);
          return;
        }
        case 'annassign':
          if (s.value) this.assign(s.target, this.coerce(this.eval(s.value), s.annotation));
          return;
        case 'augassign':
          this.assign(s.target, this.binary(s.op, this.eval(s.target), this.eval(s.value)));
          return;
        case 'expr':
          this.eval(s.value);
          return;
        case 'return':
          throw new ReturnSignal(s.value ? this.eval(s.value) : null);
        case 'if': {
          const test = this.eval(s.test);
          const decided = this.decide(test);
          if (decided === undefined) this.symbolicIf(test, s.body, s.orelse);
          else this.execBlock(decided ? s.body : s.orelse);
          return;
        }
        case 'for': {
          const rangeArgs = this.rangeArguments(s.iter);
          if (rangeArgs?.some((a) => a instanceof GValue)) {
            const range = this.symbolicRange(rangeArgs);
            this.symbolicLoop(s.body, { trip: range.trip, cond: true, index: { target: s.target, start: range.start, step: range.step } });
          } else {
            // A range is counted through, never built: its length is bounded by the loop's budget, not by memory.
            this.execFor(s.target, rangeArgs ? rangeItems(pythonRange(this, rangeArgs)) : this.iterate(this.eval(s.iter)), s.body);
          }
          return;
        }
        case 'while': {
          const first = this.eval(s.test);
          if (this.decide(first) === undefined) {
            this.symbolicLoop(s.body, { trip: null, cond: first, test: s.test });
            return;
          }
          // Only these can be carried by a loop on tensor data the unrolled trips turn into: TorchScript reads no
          // variable a loop body defines after the loop.
          const definedBefore = new Set((this.frame as Frame).env.keys());
          this.budget.loop(this.location(), (loop) => {
            for (let test = first; ; test = this.eval(s.test)) {
              // A test known before the first trips and read from tensor data after them (a do-while, a `for`
              // with a data-dependent `break` as TorchScript compiles it): the trips run so far stay unrolled, the
              // rest is a loop on tensor data.
              const going = this.decide(test);
              if (going === undefined) {
                this.symbolicLoop(s.body, { trip: null, cond: test, test: s.test, carriable: definedBefore });
                break;
              }
              if (!going) break;
              this.budget.iterate(loop);
              try {
                this.execBlock(s.body);
              } catch (e) {
                if (e instanceof BreakSignal) break;
                if (!(e instanceof ContinueSignal)) throw e;
              } finally {
                this.pos = s.pos;
              }
            }
          });
          return;
        }
        case 'with':
          for (const item of s.items) {
            const ctx = this.eval(item.context);
            if (item.name) this.env().set(item.name, ctx);
          }
          this.execBlock(s.body);
          return;
        case 'pass':
          return;
        case 'break':
          throw new BreakSignal();
        case 'continue':
          throw new ContinueSignal();
        case 'raise':
          return this.fail('TRACE_RAISE', `the model raises ${s.value ? this.describe(this.eval(s.value)) : 'an exception'}`);
        case 'assert':
          if (!this.truthy(this.eval(s.test))) {
            this.fail('TRACE_RAISE', `assertion failed${s.msg ? `: ${this.describe(this.eval(s.msg))}` : ''}`);
          }
          return;
        case 'del':
          for (const t of s.targets) if (t.kind === 'name') this.env().delete(t.id);
          return;
        case 'def':
          this.env().set(s.name, new ScriptFunction(s.name, s, (this.frame as Frame).file));
          return;
      }
    } catch (e) {
      // The engine's own limits (stack, string length) become an error at the innermost statement.
      const limit = engineLimit(e);
      if (limit) this.fail('TRACE_LIMIT', limit);
      throw e;
    } finally {
      this.budget.leaveEval();
    }
  }

  private execFor(target: Expr, items: Iterable<PyValue>, body: readonly Stmt[]): void {
    this.budget.loop(this.location(), (loop) => {
      for (const item of items) {
        this.budget.iterate(loop);
        this.assign(target, item);
        try {
          this.execBlock(body);
        } catch (e) {
          if (e instanceof BreakSignal) break;
          if (e instanceof ContinueSignal) continue;
          throw e;
        }
      }
    });
  }

  /** Notes that the code reads a list while a loop body on tensor data runs. */
  private noteListRead(v: PyValue): void {
    if (this.listReads && v instanceof PyList) this.listReads.add(v);
  }

  iterate(v: PyValue): PyValue[] {
    this.noteListRead(v);
    if (v instanceof PyList || v instanceof PyTuple) return [...v.items];
    if (v instanceof PyDict) return [...v.map.keys()];
    if (typeof v === 'string') return [...v];
    if (v instanceof PyObject) {
      const items: PyValue[] = [];
      for (const key of v.pickled?.attributes.keys() ?? []) {
        if (/^\d+$/.test(key)) items.push(this.getAttr(v, key));
      }
      return items;
    }
    return this.fail('TRACE_UNSUPPORTED', `iterating over a ${typeName(v)} is not supported`);
  }

  private assign(target: Expr, value: PyValue): void {
    switch (target.kind) {
      case 'name':
        this.env().set(target.id, value);
        return;
      case 'tuple':
      case 'list':
        return this.assignMany(target.items, value);
      case 'attribute': {
        const obj = this.eval(target.object);
        if (!(obj instanceof PyObject)) return this.fail('TRACE_TYPE', `cannot set attribute ${target.attr} on a ${typeName(obj)}`);
        this.setAttr(obj, target.attr, value);
        return;
      }
      case 'subscript': {
        const obj = this.eval(target.object);
        const key = this.eval(target.index);
        if (obj instanceof PyList && typeof key === 'number') {
          obj.items[key < 0 ? key + obj.items.length : key] = value;
          return;
        }
        if (obj instanceof PyDict) {
          obj.map.set(key as DictKey, value);
          return;
        }
        return this.fail('TRACE_UNSUPPORTED', `assigning into a ${typeName(obj)} is not supported`);
      }
      default:
        return this.fail('SCRIPT_SYNTAX', `cannot assign to a ${target.kind}`);
    }
  }

  private assignMany(targets: readonly Expr[], value: PyValue): void {
    if (!(value instanceof PyTuple || value instanceof PyList)) {
      return this.fail('TRACE_TYPE', `cannot unpack a ${typeName(value)} into ${targets.length} names`);
    }
    if (value.items.length !== targets.length) {
      return this.fail('TRACE_TYPE', `cannot unpack ${value.items.length} values into ${targets.length} names`);
    }
    targets.forEach((t, i) => this.assign(t, value.items[i]));
  }

  /** The truth of a condition known at conversion time, or undefined when it depends on tensor data. */
  decide(v: PyValue): boolean | undefined {
    if (v instanceof TensorBox || v instanceof GValue) {
      const known = this.knownScalar(v);
      return known === undefined ? undefined : known !== 0;
    }
    return this.truthy(v);
  }

  truthy(v: PyValue): boolean {
    this.noteListRead(v);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (v instanceof PyFloat) return v.value !== 0;
    if (v === null) return false;
    if (typeof v === 'string') return v.length > 0;
    if (v instanceof PyList || v instanceof PyTuple) return v.items.length > 0;
    if (v instanceof PyDict) return v.map.size > 0;
    const known = this.knownScalar(v);
    if (known !== undefined) return known !== 0;
    return this.fail('TRACE_UNSUPPORTED', 'this expression needs a value that depends on tensor data; only `if` statements can branch on one');
  }

  /**
   * A tensor's elements when the conversion can know them: values it computed, or a stored tensor
   * (a buffer or parameter, which the converted model holds as a constant) of at most `limit` elements.
   */
  storedOrKnown(box: TensorBox, limit: number): KnownTensor | undefined {
    if (box.value.known) return box.value.known;
    const stored = this.parameters.find((p) => p.value === box.value)?.data;
    if (!stored || typeof stored === 'function' || stored.quant || stored.shape.reduce((a, b) => a * b, 1) > limit) return undefined;
    return { type: box.value.tensor, values: storedValues(stored) };
  }

  /** The single element of a tensor or symbolic scalar known at conversion time. */
  knownScalar(v: PyValue): number | undefined {
    const g = v instanceof TensorBox ? v.value : v instanceof GValue ? v : undefined;
    if (g?.known && g.known.values.length === 1) return g.known.values[0];
    return undefined;
  }

  /** A value as Python's str() prints it, for messages built by the model (`torch.format`). */
  describe(v: PyValue): string {
    const parts: string[] = [];
    // Lists may hold themselves many times over: the text is paid for as it grows, not after.
    const put = (text: string): void => {
      this.budget.build(text.length, 'the text of a value');
      parts.push(text);
    };
    const visit = (x: PyValue, quoted: boolean): void => {
      if (typeof x === 'string') return put(quoted ? `'${x}'` : x);
      if (!(x instanceof PyList || x instanceof PyTuple)) return put(scalarText(x));
      put(x instanceof PyList ? '[' : '(');
      x.items.forEach((item, i) => {
        if (i) put(', ');
        visit(item, true);
      });
      put(x instanceof PyList ? ']' : x.items.length === 1 ? ',)' : ')');
    };
    visit(v, false);
    return parts.join('');
  }

  /** Runs code into its own block; a raise on it is reported instead of thrown. */
  private runBranch(env: Map<string, PyValue>, run: () => void, params: readonly GValue[] = []): Branch {
    const frame = this.frame as Frame;
    const nodes: GNode[] = [];
    const savedTarget = this.target;
    const savedWrites = this.boxWrites;
    const writes = new Map<TensorBox, GValue>();
    const branchEnv = new Map(env);
    const listsBefore = new Map([...env.values()].filter((v): v is PyList => v instanceof PyList).map((l) => [l, [...l.items]]));
    const savedStacked = this.stackedLists;
    const stacked = new Map(savedStacked);
    this.target = nodes;
    this.boxWrites = writes;
    this.stackedLists = stacked;
    let raised: TsonnxError | undefined;
    try {
      this.withFrame({ ...frame, env: branchEnv }, run);
    } catch (e) {
      if (!(e instanceof TsonnxError && e.code === 'TRACE_RAISE')) throw e;
      raised = e;
    } finally {
      this.target = savedTarget;
      this.boxWrites = savedWrites;
      this.stackedLists = savedStacked;
    }
    // A tensor the branch made is the branch's own: its writes stay in the block, never an output.
    const local = new Set<GValue>(params);
    for (const node of nodes) for (const output of node.outputs) local.add(output);
    const after = new Map<TensorBox, GValue>();
    for (const [box, before] of writes) {
      if (local.has(before)) continue;
      after.set(box, box.value);
      box.value = before;
    }
    const lists = new Map<PyList, PyValue[]>();
    for (const [list, items] of listsBefore) {
      if (list.items.length === items.length && list.items.every((x, i) => x === items[i])) continue;
      lists.set(list, [...list.items]);
      list.items.splice(0, list.items.length, ...items);
    }
    return { nodes, env: branchEnv, boxes: after, lists, stacked, made: local, raised };
  }

  /** Lists the branch made of run-time length (or gave other rows than the enclosing code's). */
  private newlyStacked(branch: Branch): PyList[] {
    return [...branch.stacked].filter(([list, rows]) => this.stackedLists.get(list) !== rows).map(([list]) => list);
  }

  /**
   * An `if` on tensor data: both branches are interpreted into blocks of a `prim::If` node whose
   * outputs are the variables and tensors the branches leave different. A branch that raises is
   * a path the converted model cannot take: the other branch is kept alone, with a warning.
   */
  private symbolicIf(test: PyValue, body: readonly Stmt[], orelse: readonly Stmt[]): void {
    const frame = this.frame as Frame;
    const pos = this.pos;
    const cond = test instanceof TensorBox ? test.value : (test as GValue);
    const then = this.runBranch(frame.env, () => this.execBlock(body));
    const other = this.runBranch(frame.env, () => this.execBlock(orelse));
    this.pos = pos;
    if (then.raised && other.raised) throw then.raised;
    const taken = then.raised ? other : other.raised ? then : undefined;
    if (taken) {
      const dropped = (then.raised ?? other.raised) as TsonnxError;
      this.warn('CHECK_DROPPED', `dropped a check that depends on tensor data (${dropped.message}); the model does not raise`);
      this.target.push(...taken.nodes);
      for (const [k, v] of taken.env) frame.env.set(k, v);
      for (const [box, v] of taken.boxes) this.rebind(box, v);
      for (const [list, items] of taken.lists) list.items.splice(0, list.items.length, ...items);
      for (const list of this.newlyStacked(taken)) this.stackedLists.set(list, taken.stacked.get(list) as StackedRows);
      return;
    }
    const outputs: GValue[] = [];
    const thenResults: GValue[] = [];
    const elseResults: GValue[] = [];
    const dims = this.options.freshDims.next('if');
    const merge = (a: GValue, b: GValue): GValue => {
      const out = new GValue(mergeTypes(a.type, b.type, `${dims}_${outputs.length}`));
      outputs.push(out);
      thenResults.push(a);
      elseResults.push(b);
      return out;
    };
    // A value on a path as a graph value in its block: Python numbers become constants, and an uninitialized value
    // (which that path never reads) a placeholder of the other path's type.
    const onPath = (v: PyValue, path: Branch, like: GValue | undefined, name: string): GValue | undefined => {
      if (v instanceof TensorBox) return v.value;
      if (v instanceof GValue) return v;
      if (v instanceof Uninitialized) return like && this.placeholder(like.type, name, path.nodes);
      return this.numberConstant(v, name, path.nodes);
    };
    const listOn = (v: PyValue, path: Branch): ListItems | undefined => {
      if (v instanceof StackedRows) return v;
      return v instanceof PyList ? (path.stacked.get(v) ?? path.lists.get(v) ?? v.items) : undefined;
    };
    // A value one path leaves uninitialized is the other's, unless that path made it: then it is an If output.
    const mergePaths = (a: PyValue, b: PyValue, name: string, what: string): PyValue => {
      if (a === b || sameValue(a, b)) return a;
      if (a instanceof Uninitialized && !madeOn(b, other)) return b;
      if (b instanceof Uninitialized && !madeOn(a, then)) return a;
      return mergeValues(a, b, name, what);
    };
    // Values that differ between the paths become one If output: tensors, Python numbers as run-time scalars, a
    // value one path leaves uninitialized; tuples and lists item by item, lists as their rows when their lengths differ.
    const mergeValues = (a: PyValue, b: PyValue, name: string, what: string): PyValue => {
      const tuple = a instanceof PyTuple ? a : b instanceof PyTuple ? b : undefined;
      if (tuple) {
        const n = tuple.items.length;
        const itemsOf = (v: PyValue) => (v instanceof PyTuple && v.items.length === n ? v.items : v instanceof Uninitialized ? Array<PyValue>(n).fill(v) : undefined);
        const [ia, ib] = [itemsOf(a), itemsOf(b)];
        if (ia && ib) return new PyTuple(ia.map((x, i) => mergePaths(x, ib[i], name, what)), tuple.className);
      }
      const [la, lb] = [listOn(a, then), listOn(b, other)];
      if (la && lb) {
        const merged = mergeLists(la, lb, what);
        return merged instanceof StackedRows ? merged : new PyList([...merged]);
      }
      const first = a instanceof Uninitialized ? undefined : onPath(a, then, undefined, name);
      const gb = onPath(b, other, first, name);
      const ga = first ?? onPath(a, then, gb, name);
      if (!ga || !gb) return this.fail('TRACE_UNSUPPORTED', `${what} a ${typeName(a)} and a ${typeName(b)} on the two paths of an if on tensor data`);
      const merged = merge(ga, gb);
      return merged.type.kind === 'tensor' ? new TensorBox(merged) : merged;
    };
    const mergeLists = (a: ListItems, b: ListItems, what: string): ListItems => {
      if (a === b) return a;
      if (!(a instanceof StackedRows) && !(b instanceof StackedRows) && a.length === b.length) {
        return a.map((x, i) => mergePaths(x, b[i], 'item', what));
      }
      // Their lengths differ: each path's list as its rows, of a shape the other path's give when it has none.
      const rowOf = (l: ListItems | GValue | undefined) => (l instanceof StackedRows ? rowType(l.box.value.tensor) : l instanceof GValue ? rowType(l.tensor) : undefined);
      const first = a instanceof StackedRows || a.length ? this.emitInto(then.nodes, () => this.rowsTensor(a, rowOf(b))) : undefined;
      const rowsB = this.emitInto(other.nodes, () => this.rowsTensor(b, rowOf(first)));
      const rowsA = first ?? this.emitInto(then.nodes, () => this.rowsTensor(a, rowOf(rowsB)));
      this.requireRow(rowType(rowsA.tensor), rowType(rowsB.tensor));
      return new StackedRows(new TensorBox(merge(rowsA, rowsB)));
    };
    const names = new Set([...then.env.keys(), ...other.env.keys()]);
    for (const name of names) {
      const a = then.env.get(name);
      const b = other.env.get(name);
      // A name only one path defines is one the code after the if does not read.
      if (a !== undefined && b !== undefined) frame.env.set(name, mergePaths(a, b, name, `variable ${name} takes`));
    }
    for (const box of new Set([...then.boxes.keys(), ...other.boxes.keys()])) {
      const merged = merge(then.boxes.get(box) ?? box.value, other.boxes.get(box) ?? box.value);
      this.rebind(box, merged);
    }
    // A list changed on a path keeps its items where both paths leave it as long; else it becomes its rows.
    for (const list of new Set([...then.lists.keys(), ...other.lists.keys(), ...this.newlyStacked(then), ...this.newlyStacked(other)])) {
      const merged = mergeLists(listOn(list, then) as ListItems, listOn(list, other) as ListItems, 'a list holds');
      if (merged instanceof StackedRows) this.stackedLists.set(list, merged);
      else list.items.splice(0, list.items.length, ...merged);
    }
    this.emit({
      op: 'prim::If',
      args: new Map([['cond', cond]]),
      outputs,
      blocks: [
        { params: [], nodes: then.nodes, results: thenResults },
        { params: [], nodes: other.nodes, results: elseResults },
      ],
      scope: frame.scope,
      location: this.location(),
    });
  }

  /** The evaluated arguments of a loop's `range(...)`, or undefined when it loops over something else. */
  private rangeArguments(iter: Expr): PyValue[] | undefined {
    if (iter.kind !== 'call' || iter.func.kind !== 'name' || iter.func.id !== 'range' || iter.keywords.length || this.env().has('range')) return undefined;
    return iter.args.map((a) => this.eval(a));
  }

  /** `range(...)` with a bound that depends on tensor data: its trip count, start and step. */
  private symbolicRange(args: readonly PyValue[]): { trip: GValue; start: PyValue; step: PyValue } {
    const [start, stop, step] = args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1];
    const span = this.callNamed('torch.sub', [stop, start], new Map());
    const trip = this.callNamed('torch.floordiv', [this.callNamed('torch.add', [span, this.callNamed('torch.sub', [step, 1], new Map())], new Map()), step], new Map());
    return { trip: this.graphValue(trip, 'range') as GValue, start, step };
  }

  /** A value a loop on tensor data carries, as its layout and the graph values it is made of. */
  private carriedParts(v: PyValue | undefined, name: string, row?: TensorType): { layout: Layout; values: GValue[] } {
    if (v instanceof StackedRows) return { layout: 'rows', values: [v.box.value] };
    if (v instanceof PyList) return { layout: 'rows', values: [this.rowsTensor(v.items, row)] };
    if (v instanceof PyTuple) {
      const parts = v.items.map((x) => this.carriedParts(x, name));
      return { layout: { items: parts.map((p) => p.layout), className: v.className }, values: parts.flatMap((p) => p.values) };
    }
    const value = this.graphValue(v, name);
    return { layout: value.type.kind === 'tensor' ? 'tensor' : 'number', values: [value] };
  }

  /** A value a loop on tensor data can carry, as a graph value (numbers become constants). */
  private graphValue(v: PyValue | undefined, name: string): GValue {
    if (v instanceof TensorBox) return v.value;
    if (v instanceof GValue) return v;
    const number = v === undefined ? undefined : this.numberConstant(v, name, this.target);
    if (number) return number;
    return this.fail('TRACE_UNSUPPORTED', `a loop on tensor data changes ${name}, a ${v === undefined ? 'value' : typeName(v)}; such loops can only carry tensors and numbers`);
  }

  /** A Python number as a known run-time scalar, its constant node added to `into`; undefined for other values. */
  private numberConstant(v: PyValue, name: string, into: GNode[]): GValue | undefined {
    if (typeof v !== 'number' && typeof v !== 'boolean' && !(v instanceof PyFloat)) return undefined;
    const scalar = v instanceof PyFloat ? 'float' : typeof v === 'boolean' ? 'bool' : 'int';
    const dtype = scalar === 'float' ? 'float64' : scalar === 'bool' ? 'bool' : 'int64';
    const value = new GValue({ kind: 'scalar', scalar }, name, { type: { kind: 'tensor', dtype, shape: [] }, values: [Number(v instanceof PyFloat ? v.value : v)] });
    this.budget.node();
    into.push({ op: 'prim::Constant', args: new Map(), outputs: [value], scope: this.frame?.scope ?? '', location: this.location() });
    return value;
  }

  /** Runs `run` with the nodes it emits going into `nodes` (the block of a path already interpreted). */
  private emitInto<T>(nodes: GNode[], run: () => T): T {
    const saved = this.target;
    this.target = nodes;
    try {
      return run();
    } finally {
      this.target = saved;
    }
  }

  /**
   * A value of `type` where nothing reads it (a variable a path leaves uninitialized, a list with no rows yet), its
   * nodes added to `into`: zeros, with 0 for sizes known only at run time.
   */
  private placeholder(type: ValueType, name: string, into: GNode[]): GValue {
    if (type.kind === 'scalar') return this.numberConstant(type.scalar === 'float' ? new PyFloat(0) : type.scalar === 'bool' ? false : 0, name, into) as GValue;
    if (type.kind !== 'tensor') return this.fail('TRACE_UNSUPPORTED', `${name} is a ${type.kind} on one path of control flow on tensor data and not set on the other`);
    const shape = new PyList(type.shape.map((d) => (typeof d === 'number' ? d : 0)));
    return this.emitInto(into, () => (this.callNamed('torch.zeros', [shape], new Map([['dtype', scalarTypeOf(type.dtype)]])) as TensorBox).value);
  }

  /**
   * A list's tensors stacked along a new first dim (the rows of a list of run-time length as they are), each of
   * type `row` when it is given; a list with no items is no rows of that type.
   */
  rowsTensor(list: ListItems, row: TensorType | undefined): GValue {
    if (list instanceof StackedRows) return list.box.value;
    const rows = list.filter((x): x is TensorBox => x instanceof TensorBox);
    if (rows.length < list.length) {
      const other = list.find((x) => !(x instanceof TensorBox)) as PyValue;
      return this.fail('TRACE_UNSUPPORTED', `a list holding a ${typeName(other)} changes length on the paths of control flow on tensor data; only a list of tensors of one shape can (its items become one stacked tensor)`);
    }
    if (rows.length === 0) {
      if (!row) return this.fail('TRACE_UNSUPPORTED', 'a list whose length depends on tensor data gets no tensor to tell the type of its rows');
      return this.placeholder({ kind: 'tensor', dtype: row.dtype, shape: [0, ...row.shape] }, 'rows', this.target);
    }
    const expected = row ?? rows[0].value.tensor;
    for (const item of rows) this.requireRow(expected, item.value.tensor);
    return (this.callOp('aten', 'stack', [new PyList(rows), 0], new Map()) as TensorBox).value;
  }

  /** Refuses a tensor of type `given` in a list of run-time length whose rows are of type `expected`. */
  private requireRow(expected: TensorType, given: TensorType): void {
    if (!sameRowType(expected, given)) {
      this.fail('TRACE_UNSUPPORTED', `a list whose length depends on tensor data is kept as one stacked tensor, so its tensors must share dtype and shape: ${describeTensorType(expected)} and ${describeTensorType(given)}`);
    }
  }

  /** The rows of `a` followed by those of `b`, lists of which at least one has a run-time length. */
  catRows(a: ListItems, b: ListItems): GValue {
    const stacked = [a, b].find((l): l is StackedRows => l instanceof StackedRows);
    const row = stacked && rowType(stacked.box.value.tensor);
    if (!(a instanceof StackedRows) && a.length === 0) return this.rowsTensor(b, row);
    if (!(b instanceof StackedRows) && b.length === 0) return this.rowsTensor(a, row);
    const first = this.rowsTensor(a, row);
    const second = this.rowsTensor(b, rowType(first.tensor));
    this.requireRow(rowType(first.tensor), rowType(second.tensor));
    return (this.callOp('aten', 'cat', [new PyList([new TensorBox(first), new TensorBox(second)]), 0], new Map()) as TensorBox).value;
  }

  /** `list.extend(items)` (and `append`) where either has a run-time length: the list's rows grow by `items`'. */
  extendRows(list: PyList | StackedRows, items: ListItems): void {
    if (list instanceof StackedRows) this.rebind(list.box, this.catRows(list, items));
    else this.stackedLists.set(list, new StackedRows(new TensorBox(this.catRows(list.items, items))));
  }

  /**
   * A `for` over a range or a `while` whose bound depends on tensor data: the body is interpreted
   * into the block of a `prim::Loop` node, carrying the variables it assigns and the outer tensors
   * it writes in place. The body runs again until the carried set and shapes settle: shapes that
   * change between iterations become symbolic; a pass that finds a new carried value is discarded.
   * A name uninitialized before the loop (a value TorchScript's compiler sets only with a flag, for a `return`
   * inside the loop) starts as a placeholder of the type the body gives it; a list the body appends to on some
   * of its paths only is stacked before the loop and carried as its rows.
   */
  private symbolicLoop(
    body: readonly Stmt[],
    spec: {
      trip: GValue | null;
      cond: PyValue;
      test?: Expr;
      index?: { target: Expr; start: PyValue; step: PyValue };
      /** The names the loop may carry, where not every name the frame holds (see the `while` statement). */
      carriable?: ReadonlySet<string>;
    },
  ): void {
    const frame = this.frame as Frame;
    const pos = this.pos;
    const carried: Carried[] = [...assignedNames(body)]
      .filter((n) => frame.env.has(n) && (spec.carriable?.has(n) ?? true))
      .map((name) => {
        const v = this.current(frame.env.get(name) as PyValue);
        if (v instanceof Uninitialized || v instanceof PyList) return { name, layout: undefined, list: v instanceof PyList ? v : undefined, initial: [], types: [] };
        const { layout, values } = this.carriedParts(v, name);
        return { name, layout, initial: values, types: values.map((x) => x.type) };
      });
    const cond = this.graphValue(spec.cond, 'cond');
    const dims = this.options.freshDims.next('loop');
    for (let pass = 0; pass < 6; pass++) {
      const iteration = new GValue({ kind: 'scalar', scalar: 'int' }, 'iteration');
      const condIn = new GValue({ kind: 'scalar', scalar: 'bool' }, 'cond');
      const params = carried.map((c) => c.types.map((t) => new GValue(t, c.name)));
      const env = new Map(frame.env);
      carried.forEach((c, i) => {
        if (!c.box) env.set(c.name, c.layout ? assemble(c.layout, params[i]) : (c.list ?? new Uninitialized()));
      });
      let results: Array<{ layout: Layout; values: GValue[] } | undefined> = [];
      let condOut: GValue | undefined;
      const views = this.snapshotViews();
      const enclosingReads = this.listReads;
      const reads = new Set<PyList>();
      this.listReads = reads;
      const branch = this.runBranch(
        env,
        () => {
          carried.forEach((c, i) => c.box && this.rebind(c.box, params[i][0]));
          if (spec.index) {
            const { start, step, target } = spec.index;
            const offset = this.callNamed('torch.mul', [iteration, step], new Map());
            this.assign(target, this.callNamed('torch.add', [start, offset], new Map()));
          }
          try {
            this.execBlock(body);
          } catch (e) {
            if (e instanceof BreakSignal || e instanceof ContinueSignal) {
              this.fail('TRACE_UNSUPPORTED', 'a break or continue statement in a loop on tensor data (TorchScript\'s compiler saves none: it makes them a flag the loop condition reads)');
            }
            throw e;
          }
          const env = (this.frame as Frame).env;
          results = carried.map((c) => {
            if (c.box) return { layout: 'tensor', values: [c.box.value] };
            const v = this.current(env.get(c.name) as PyValue);
            // A name still holding the list it held before the loop is that list, which the loop changes in place.
            if (c.list && v === c.list) return undefined;
            if (!(v instanceof Uninitialized)) return this.carriedParts(v, c.name, c.layout === 'rows' ? rowType(c.types[0] as TensorType) : undefined);
            return c.layout && { layout: c.layout, values: c.types.map((t) => this.placeholder(t, c.name, this.target)) };
          });
          condOut = this.graphValue(spec.test ? this.eval(spec.test) : true, 'cond');
        },
        [iteration, condIn, ...params.flat()],
      );
      this.listReads = enclosingReads;
      reads.forEach((list) => enclosingReads?.add(list));
      // Views the body registered refer to its own values: outside the block they mean nothing.
      this.restoreViews(views);
      this.pos = pos;
      if (branch.raised) throw branch.raised;
      // Lists of the enclosing code whose length the body makes depend on tensor data: their rows so far, carried
      // from the next pass on.
      const outerLists = new Set([...frame.env.values()].filter((v): v is PyList => v instanceof PyList));
      const stackedInBody = this.newlyStacked(branch).filter((l) => outerLists.has(l));
      const appendedTo = new Map([...branch.lists].filter(([list]) => !stackedInBody.includes(list)));
      const { scans, toStack } = this.listChanges(appendedTo, reads);
      for (const list of stackedInBody) toStack.push({ list, row: rowType((branch.stacked.get(list) as StackedRows).box.value.tensor) });
      for (const { list, row } of toStack) this.stackedLists.set(list, new StackedRows(new TensorBox(this.rowsTensor(list.items, row))));
      // A name uninitialized before the loop starts as placeholders of what the body gives it, a list as its rows
      // of the type the body's rows have; one the body leaves as it was is not carried.
      const unknown = carried.filter((c) => !c.layout);
      for (const c of unknown) {
        const result = results[carried.indexOf(c)];
        if (!result) continue;
        c.layout = result.layout;
        c.initial = c.list
          ? [this.rowsTensor(c.list.items, result.layout === 'rows' ? rowType(result.values[0].tensor) : undefined)]
          : result.values.map((v) => this.placeholder(v.type, c.name, this.target));
        c.types = c.initial.map((v) => v.type);
      }
      carried.splice(0, carried.length, ...carried.filter((c) => c.layout));
      if (toStack.length || unknown.length) continue;
      for (const [i, c] of carried.entries()) {
        if (!sameLayout(c.layout as Layout, (results[i] as { layout: Layout }).layout)) {
          this.fail('TRACE_UNSUPPORTED', `a loop on tensor data gives ${c.name} another structure than it had before the loop`);
        }
      }
      // A view of a written tensor is recomputed from it after the loop, so only the base is carried.
      const isViewOfWritten = (box: TensorBox): boolean => {
        for (let b = box.view?.base; b; b = b.view?.base) if (branch.boxes.has(b)) return true;
        return false;
      };
      const written = [...branch.boxes.keys()].filter((box) => !carried.some((c) => c.box === box) && !isViewOfWritten(box));
      if (written.length) {
        for (const box of written) carried.push({ name: 'state', box, layout: 'tensor', initial: [box.value], types: [box.value.type] });
        continue;
      }
      let flatIndex = 0;
      const settled = carried.map((c, i) => c.types.map((t, j) => mergeTypes(t, (results[i] as { values: GValue[] }).values[j].type, `${dims}_${flatIndex++}`)));
      if (settled.every((types, i) => types.every((t, j) => sameType(t, carried[i].types[j])))) {
        const outputs = carried.map((c) => c.types.map((t) => new GValue(t, c.name)));
        const trips = this.options.freshDims.next('loop_trips');
        const stacked = scans.map(({ row }) => new GValue({ kind: 'tensor', dtype: row.tensor.dtype, shape: [trips, ...row.tensor.shape] }, 'rows'));
        const bodyResults = results.flatMap((r) => (r as { values: GValue[] }).values);
        this.emit({
          op: 'prim::Loop',
          args: new Map<string, Arg>([['trip', spec.trip], ['cond', cond], ['initial', carried.flatMap((c) => c.initial)]]),
          outputs: [...outputs.flat(), ...stacked],
          blocks: [{ params: [iteration, condIn, ...params.flat()], nodes: branch.nodes, results: [condOut as GValue, ...bodyResults, ...scans.map((s) => s.row)] }],
          scope: frame.scope,
          location: this.location(),
        });
        carried.forEach((c, i) => {
          if (c.box) this.rebind(c.box, outputs[i][0]);
          else frame.env.set(c.name, assemble(c.layout as Layout, outputs[i]));
        });
        // Rows appended before the loop (by the trips a while ran unrolled) come first.
        scans.forEach(({ list }, i) => this.extendRows(list, new StackedRows(new TensorBox(stacked[i]))));
        return;
      }
      carried.forEach((c, i) => (c.types = settled[i]));
    }
    this.fail('TRACE_UNSUPPORTED', 'the values a loop on tensor data carries do not settle');
  }

  /**
   * How a loop body changed lists of the enclosing code (`changed`: each list's items at the body's end; `read`: the
   * lists it read other than by appending). One that got one tensor appended and that the body does not read is a
   * scan output of the Loop; one that got tensors appended otherwise is stacked before the loop and carried as its
   * rows, so the body reads its length and items at run time; any other change has no ONNX form.
   */
  private listChanges(
    changed: ReadonlyMap<PyList, readonly PyValue[]>,
    read: ReadonlySet<PyList>,
  ): { scans: Array<{ list: PyList; row: GValue }>; toStack: Array<{ list: PyList; row: TensorType }> } {
    const scans: Array<{ list: PyList; row: GValue }> = [];
    const toStack: Array<{ list: PyList; row: TensorType }> = [];
    for (const [list, items] of changed) {
      const appended = items.slice(list.items.length);
      if (!appended.length || !list.items.every((v, i) => v === items[i]) || !appended.every((v): v is TensorBox => v instanceof TensorBox)) {
        return this.fail('TRACE_UNSUPPORTED', 'a loop on tensor data changes a list other than by appending tensors to it');
      }
      if (appended.length === 1 && !read.has(list)) scans.push({ list, row: appended[0].value });
      else toStack.push({ list, row: appended[0].value.tensor });
    }
    return { scans, toStack };
  }

  /** The views registered now, to put back after code whose views must not outlive it. */
  private snapshotViews(): Map<TensorBox, Set<TensorBox>> {
    return new Map([...this.views].map(([base, views]) => [base, new Set(views)]));
  }

  private restoreViews(snapshot: Map<TensorBox, Set<TensorBox>>): void {
    this.views.clear();
    for (const [base, views] of snapshot) this.views.set(base, views);
  }

  // ---------- expressions ----------

  eval(e: Expr): PyValue {
    // One function per level of nesting: every frame here counts against the JS stack.
    this.budget.enterEval();
    try {
      switch (e.kind) {
        case 'name':
          return this.lookup(e.id);
        case 'int':
          return Number(e.value);
        case 'float':
          return new PyFloat(e.value);
        case 'str':
          return e.value;
        case 'bool':
          return e.value;
        case 'none':
          return null;
        case 'complex':
        case 'ellipsis':
          return this.fail('TRACE_UNSUPPORTED', `${e.kind} literals are not supported`);
        case 'attribute':
          return this.attribute(this.eval(e.object), e.attr);
        case 'call':
          return this.evalCall(e);
        case 'subscript':
          return this.subscript(this.eval(e.object), e.index);
        case 'tuple':
          return new PyTuple(e.items.map((x) => this.eval(x)));
        case 'list':
          return new PyList(e.items.map((x) => this.eval(x)));
        case 'dict':
          return new PyDict(new Map(e.keys.map((k, i) => [this.eval(k) as DictKey, this.eval(e.values[i])])));
        case 'binary':
          return this.binary(e.op, this.eval(e.left), this.eval(e.right));
        case 'unary': {
          const v = this.eval(e.operand);
          if (e.op === 'not') return this.callNamed('torch.__not__', [v], new Map());
          if (e.op === '-') return this.callNamed('torch.neg', [v], new Map());
          if (e.op === '~') return this.callNamed('torch.bitwise_not', [v], new Map());
          return v;
        }
        case 'compare':
          return this.compare(e);
        case 'boolop': {
          let result: PyValue = e.op === 'and';
          for (const operand of e.values) {
            result = this.eval(operand);
            if (e.op === 'and' ? !this.truthy(result) : this.truthy(result)) return result;
          }
          return result;
        }
        case 'ternary':
          return this.truthy(this.eval(e.test)) ? this.eval(e.body) : this.eval(e.orelse);
        case 'listcomp': {
          const items = this.iterate(this.eval(e.iter));
          return this.budget.loop(this.location(), (loop) => {
            const out: PyValue[] = [];
            for (const item of items) {
              this.budget.iterate(loop);
              this.assign(e.target, item);
              out.push(this.eval(e.element));
            }
            return new PyList(out);
          });
        }
        case 'slice':
          return this.fail('SCRIPT_SYNTAX', 'a slice outside a subscript');
        case 'typearg':
          return this.typeValue(e.type);
      }
    } finally {
      this.budget.leaveEval();
    }
  }

  private typeValue(t: TypeExpr): PyValue {
    if (t.name.startsWith('__torch__.')) return this.resolveQualified(t.name);
    return new Namespace(`builtins.${t.name}`);
  }

  private static readonly OPERATOR: Record<string, string> = {
    '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '//': 'floordiv', '%': 'remainder', '**': 'pow', '@': 'matmul',
    '&': '__and__', '|': '__or__', '^': '__xor__', '<<': '__lshift__', '>>': '__rshift__',
    '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '==': 'eq', '!=': 'ne', is: '__is__', 'is not': '__isnot__',
  };

  private binary(op: string, a: PyValue, b: PyValue): PyValue {
    return this.callNamed(`torch.${Interpreter.OPERATOR[op]}`, [a, b], new Map());
  }

  private compare(e: Extract<Expr, { kind: 'compare' }>): PyValue {
    let left = this.eval(e.left);
    let result: PyValue = true;
    for (let i = 0; i < e.ops.length; i++) {
      const right = this.eval(e.comparators[i]);
      const op = e.ops[i];
      if (op === 'in' || op === 'not in') {
        const r = this.callNamed('torch.__contains__', [right, left], new Map());
        result = op === 'in' ? r : !this.truthy(r);
      } else result = this.binary(op, left, right);
      if (!this.truthy(result)) return result;
      left = right;
    }
    return result;
  }

  lookup(name: string): PyValue {
    const env = this.env();
    if (env.has(name)) return this.current(env.get(name) as PyValue);
    switch (name) {
      case 'torch':
      case 'ops':
      case '__torch__':
      case 'CONSTANTS':
        return new Namespace(name);
      case 'inf':
        return new PyFloat(Infinity);
      case 'nan':
        return new PyFloat(NaN);
    }
    return new Namespace(`builtins.${name}`);
  }

  /** A value as the code reads it now: a list that came to have a run-time length is its rows. */
  current(v: PyValue): PyValue {
    return v instanceof PyList ? (this.stackedLists.get(v) ?? v) : v;
  }

  private resolveQualified(path: string): PyValue {
    const r = this.loader.resolve(path);
    if (r.kind === 'class') return new ClassRef(r.cls);
    if (r.kind === 'function') return new ScriptFunction(r.qualified, r.fn, r.file);
    return new Namespace(path);
  }

  attribute(obj: PyValue, attr: string): PyValue {
    if (obj instanceof Namespace) {
      if (obj.path === 'CONSTANTS') {
        const m = /^c(\d+)$/.exec(attr);
        if (!m) return this.fail('SCRIPT_NAME', `CONSTANTS.${attr} is not a constant`);
        return this.constant(Number(m[1]));
      }
      const path = `${obj.path}.${attr}`;
      return obj.path.startsWith('__torch__') ? this.resolveQualified(path) : new Namespace(path);
    }
    if (obj instanceof PyObject) return this.getAttr(obj, attr);
    if (obj instanceof ClassRef) {
      if (attr === '__new__') return new Namespace(`builtins.__new__`);
      const member = obj.cls.constants.get(attr);
      if (member && obj.cls.def.base === 'Enum') return this.eval(member);
      const method = obj.cls.methods.get(attr);
      if (method) return new ScriptFunction(`${obj.cls.qualified}.${attr}`, method, obj.cls.file);
    }
    if (obj instanceof PyTuple && obj.className) {
      const cls = this.loader.classInfo(obj.className);
      const index = [...cls.attributeTypes.keys()].indexOf(attr);
      if (index >= 0) return obj.items[index];
    }
    if (obj instanceof TensorBox || obj instanceof PyList || obj instanceof PyDict || typeof obj === 'string') {
      return new MethodOfValue(attr, obj);
    }
    return this.fail('SCRIPT_NAME', `a ${typeName(obj)} has no attribute ${attr}`);
  }

  private evalCall(e: Extract<Expr, { kind: 'call' }>): PyValue {
    const fn = this.eval(e.func);
    const args = e.args.map((a) => this.eval(a));
    const kwargs = new Map(e.keywords.map((k) => [k.name, this.eval(k.value)] as [string, PyValue]));
    // Nodes and errors point at the call itself: `.debug_pkl` maps expressions, not whole statements.
    const statement = this.pos;
    this.pos = e.pos;
    try {
      if (fn instanceof MethodOfValue) return this.callNamed(`torch.${fn.name}`, [fn.receiver, ...args], kwargs);
      return this.call(fn, args, kwargs);
    } finally {
      this.pos = statement;
    }
  }

  private subscript(obj: PyValue, index: Expr): PyValue {
    if (index.kind === 'slice') {
      const lower = index.lower ? this.eval(index.lower) : null;
      const upper = index.upper ? this.eval(index.upper) : null;
      const step = index.step ? this.eval(index.step) : 1;
      return this.callNamed('torch.slice', [obj, lower, upper, step], new Map());
    }
    return this.callNamed('torch.__getitem__', [obj, this.eval(index)], new Map());
  }
}

/** Python's str() of a value that is not a string or a sequence. */
function scalarText(v: PyValue): string {
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return 'None';
  if (typeof v !== 'object') return String(v);
  if (v instanceof GValue && v.type.kind === 'scalar' && v.type.dim !== undefined) return String(v.type.dim);
  return typeName(v);
}

/** Op outputs as interpreter values: tensors in boxes, symbolic scalars as they are. */
/** A stored tensor's elements as numbers (int64 ones beyond 2^53 rounded, as known values hold them). */
function storedValues(ref: TensorRef): number[] {
  return Array.from(tensorValues(ref) as ArrayLike<number | bigint>, Number);
}

function wrapOutput(v: GValue): PyValue {
  return v.type.kind === 'tensor' ? new TensorBox(v) : v;
}
