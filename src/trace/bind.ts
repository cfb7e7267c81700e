/**
 * Binding call arguments to aten schemas, the way TorchScript's schema matching does: positional
 * then keyword arguments, defaults for the rest, types checked so overloads can be told apart.
 */
import { PyFloat } from '../archive/types.js';
import type { Schema, SchemaArg, SchemaType } from '../ops/schema.js';
import { GValue, type Arg } from '../ir/torch-graph.js';
import { PyList, PyTuple, TensorBox, TorchbindObject, type PyValue } from './values.js';

/** Why a schema did not fit, for the message when no overload does. */
export class Mismatch {
  constructor(readonly reason: string) {}
}

function isInt(v: PyValue): boolean {
  return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'boolean' || (v instanceof GValue && v.type.kind === 'scalar' && v.type.scalar !== 'float');
}

function isNumber(v: PyValue): boolean {
  return isInt(v) || v instanceof PyFloat || (v instanceof GValue && v.type.kind === 'scalar');
}

function convertElement(base: string, v: PyValue, optionalElement: boolean, strict: boolean): Arg | Mismatch {
  if (v === null) return optionalElement ? null : new Mismatch('None element');
  switch (base) {
    case 'Tensor':
      return v instanceof TensorBox ? v.value : new Mismatch('expected a tensor');
    case 'int':
    case 'ScalarType':
    case 'Layout':
    case 'MemoryFormat':
      if (v instanceof GValue && v.type.kind === 'scalar' && v.type.scalar !== 'float') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      return typeof v === 'number' && Number.isInteger(v) ? v : new Mismatch('expected an int');
    case 'float':
      if (v instanceof PyFloat) return v.value;
      if (v instanceof GValue && v.type.kind === 'scalar' && (!strict || v.type.scalar === 'float')) return v;
      // An int fits a float parameter only once no overload takes it as it is.
      return typeof v === 'number' && !strict ? v : new Mismatch('expected a float');
    case 'bool':
      if (v instanceof GValue && v.type.kind === 'scalar' && v.type.scalar === 'bool') return v;
      return typeof v === 'boolean' ? v : new Mismatch('expected a bool');
    case 'Scalar':
    case 'number':
      if (isNumber(v)) return v as Arg;
      return new Mismatch('expected a number');
    case 'str':
      return typeof v === 'string' ? v : new Mismatch('expected a str');
    case 'Device':
      if (typeof v === 'string') return { kind: 'device', device: v };
      return typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'device' ? (v as Arg) : new Mismatch('expected a device');
    case 'Generator':
      return new Mismatch('generators are not supported');
    case 'Any':
    case 't':
      return toArg(v);
    default:
      if (base.startsWith('__torch__.torch.classes.') && v instanceof TorchbindObject && v.className === base) return toArg(v);
      return new Mismatch(`unsupported argument type ${base}`);
  }
}

/** A Python value as a node argument (tensors become their graph values). */
export function toArg(v: PyValue): Arg | Mismatch {
  if (v instanceof TensorBox) return v.value;
  if (v instanceof PyList || v instanceof PyTuple) {
    const out: Arg[] = [];
    for (const item of v.items) {
      const a = toArg(item);
      if (a instanceof Mismatch) return a;
      out.push(a);
    }
    return out;
  }
  if (v instanceof PyFloat || v instanceof GValue || v === null) return v;
  if (v instanceof TorchbindObject) {
    const state = toArg(v.state);
    return state instanceof Mismatch ? state : { kind: 'torchbind', className: v.className, state };
  }
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'object' && 'kind' in v && v.kind === 'device') return v as Arg;
  return new Mismatch(`cannot pass a ${typeof v === 'object' && 'kind' in v ? v.kind : typeof v} to an op`);
}

function convert(type: SchemaType, v: PyValue, strict: boolean): Arg | Mismatch {
  if (v === null) return type.optional ? null : new Mismatch('None for a non-optional argument');
  if (!type.list) return convertElement(type.base, v, false, strict);
  if (type.listSize && !(v instanceof PyList || v instanceof PyTuple)) {
    // `int[2] stride=1` accepts a single int.
    const one = convertElement(type.base, v, false, strict);
    return one instanceof Mismatch ? one : Array(type.listSize).fill(one);
  }
  if (!(v instanceof PyList || v instanceof PyTuple)) return new Mismatch('expected a list');
  const out: Arg[] = [];
  for (const item of v.items) {
    const a = convertElement(type.base, item, type.elementOptional, strict);
    if (a instanceof Mismatch) return a;
    out.push(a);
  }
  return out;
}

function defaultArg(arg: SchemaArg): Arg {
  const d = arg.default;
  if (d === undefined || d === null) return null;
  if (arg.type.base === 'Device' && typeof d === 'string') return { kind: 'device', device: d };
  return d as Arg;
}

/**
 * Binds positional and keyword arguments to one schema, or says why it does not fit. `strict`
 * refuses implicit int → float conversions, so `torch.tensor(3)` picks the int overload first.
 */
export function bindSchema(schema: Schema, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>, strict: boolean): Map<string, Arg> | Mismatch {
  const positional = schema.args.filter((a) => !a.kwargOnly);
  if (args.length > positional.length) return new Mismatch(`takes at most ${positional.length} positional arguments`);
  for (const k of kwargs.keys()) if (!schema.args.some((a) => a.name === k)) return new Mismatch(`no argument ${k}`);
  const bound = new Map<string, Arg>();
  for (let i = 0; i < schema.args.length; i++) {
    const arg = schema.args[i];
    let value: Arg | Mismatch;
    if (i < args.length && !arg.kwargOnly) value = convert(arg.type, args[i], strict);
    else if (kwargs.has(arg.name)) value = convert(arg.type, kwargs.get(arg.name) as PyValue, strict);
    else if (arg.hasDefault) value = defaultArg(arg);
    else return new Mismatch(`missing argument ${arg.name}`);
    if (value instanceof Mismatch) return new Mismatch(`${arg.name}: ${value.reason}`);
    bound.set(arg.name, value);
  }
  return bound;
}
