/**
 * The interpreter's value model: Python values known at conversion time, tensors as graph values,
 * and module objects whose attributes are read lazily from the archive.
 */
import type { ScriptObject } from '../archive/types.js';
import { PyFloat } from '../archive/types.js';
import type { ClassDef, FunctionDef } from '../script/ast.js';
import { GValue, type Device } from '../ir/torch-graph.js';

/** How a tensor variable was made as a view of another: writing to it writes to `base`. */
export interface ViewOf {
  readonly base: TensorBox;
  /** The aten view op (`slice`, `select`, `view`, ...) and its arguments after `self`. */
  readonly op: string;
  readonly args: readonly PyValue[];
  readonly kwargs: ReadonlyMap<string, PyValue>;
}

/** A tensor variable. In-place ops replace `value`, so every alias sees the update. */
export class TensorBox {
  readonly kind = 'tensor';
  constructor(
    public value: GValue,
    readonly view?: ViewOf,
  ) {}
}

export class PyList {
  readonly kind = 'list';
  constructor(readonly items: PyValue[]) {}
}

export class PyTuple {
  readonly kind = 'tuple';
  constructor(
    readonly items: readonly PyValue[],
    /** Qualified class name of a NamedTuple. */
    readonly className?: string,
  ) {}
}

export type DictKey = string | number | boolean;

export class PyDict {
  readonly kind = 'dict';
  constructor(readonly map: Map<DictKey, PyValue>) {}
}

/** A loaded TorchScript class (module, script class, NamedTuple, Enum). */
export interface ClassInfo {
  readonly qualified: string;
  readonly def: ClassDef;
  readonly file: string;
  readonly methods: ReadonlyMap<string, FunctionDef>;
  /** `name : Final[T] = v` and Enum members. */
  readonly constants: ReadonlyMap<string, import('../script/ast.js').Expr>;
  /** Declared attribute types by name (`weight : Tensor`). */
  readonly attributeTypes: ReadonlyMap<string, import('../script/ast.js').TypeExpr>;
  readonly parameters: ReadonlySet<string>;
}

/** A module or script-class instance. */
export class PyObject {
  readonly kind = 'object';
  /** Converted attributes; the pickled object fills the rest on first read. */
  readonly attrs = new Map<string, PyValue>();
  constructor(
    readonly cls: ClassInfo,
    /** Module path from the root (`layer1.0.conv1`), '' for the root. */
    readonly path: string,
    readonly pickled?: ScriptObject,
  ) {}
}

/** A method bound to its receiver. */
export class BoundMethod {
  readonly kind = 'method';
  constructor(
    readonly self: PyObject,
    readonly name: string,
    readonly fn: FunctionDef,
  ) {}
}

/** A free TorchScript function (`__torch__.torch.nn.functional.relu`). */
export class ScriptFunction {
  readonly kind = 'function';
  constructor(
    readonly qualified: string,
    readonly fn: FunctionDef,
    readonly file: string,
  ) {}
}

/** A dotted name not yet resolved to a value: `torch`, `ops.prim`, `__torch__.torch.nn`. */
export class Namespace {
  readonly kind = 'namespace';
  constructor(readonly path: string) {}
}

/** A class used as a value: constructor of a NamedTuple, `__new__` receiver, Enum namespace. */
export class ClassRef {
  readonly kind = 'class';
  constructor(readonly cls: ClassInfo) {}
}

/** A TorchBind object: a C++ class with no TorchScript code, known by its pickled state. */
export class TorchbindObject {
  readonly kind = 'torchbind';
  constructor(
    readonly className: string,
    readonly state: PyValue,
  ) {}
}

/** A method looked up on a non-module value (`d.items()`), called as `torch.<name>(d, ...)`. */
export class MethodOfValue {
  readonly kind = 'valuemethod';
  constructor(
    readonly name: string,
    readonly receiver: PyValue,
  ) {}
}

/**
 * A list of tensors whose length depends on tensor data, as its items stacked along a new first dim: a Loop's
 * scan output (one tensor appended per iteration), or a list appended to on some paths of an if on tensor data.
 * `append` rebinds the box to the rows with one more (so If and Loop merge it as any tensor written in place);
 * `len`, indexing, `+`, `torch.stack` and `torch.cat` read it.
 */
export class StackedRows {
  readonly kind = 'list of run-time length';
  constructor(readonly box: TensorBox) {}
}

/** A list's items, or the rows of a list of run-time length. */
export type ListItems = readonly PyValue[] | StackedRows;

/**
 * `uninitialized(T)`: a value no path that reads it has set: on paths that raise, and where TorchScript's
 * compiler turns a `return` inside a loop into a flag and a value set only when the flag is.
 */
export class Uninitialized {
  readonly kind = 'uninitialized';
}

export type PyValue =
  | null
  | boolean
  | number
  | PyFloat
  | string
  | GValue
  | TensorBox
  | PyList
  | PyTuple
  | PyDict
  | PyObject
  | BoundMethod
  | ScriptFunction
  | Namespace
  | ClassRef
  | Device
  | MethodOfValue
  | TorchbindObject
  | StackedRows
  | Uninitialized;

export { PyFloat };

export function typeName(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof GValue) return `symbolic ${v.type.kind === 'scalar' ? v.type.scalar : v.type.kind}`;
  if (v instanceof PyObject) return v.cls.qualified;
  return v.kind;
}
