/**
 * Storage layouts for `aten::as_strided`, which reads its input's storage (strides and offset into the
 * memory the tensor views) rather than its elements. A graph value's layout is known when the tensor
 * it stands for is a fresh contiguous block (a graph input, a contiguous stored tensor, an op's result
 * from contiguous inputs) or a view whose strides and offset follow from its base's by the view op's
 * arguments; anything else (results of linear algebra, which PyTorch lays out column-major, of control
 * flow, of channels-last formats, of views with run-time arguments) is unknown, and as_strided on it
 * is refused rather than guessed.
 */
import type { Arg, GNode, GValue } from '../ir/torch-graph.js';
import type { PyValue } from './values.js';
import { TensorBox } from './values.js';
import type { Interpreter } from './interpreter.js';

/** Where a tensor's elements lie: element i of index (i0, i1, ...) is `root`'s flat element offset + sum(ik * strides[k]). */
interface Layout {
  /** A value whose elements, in row-major order, are the storage. */
  readonly root: GValue;
  readonly strides: readonly number[];
  readonly offset: number;
}

/** A layout, or why it cannot be known. */
type Found = Layout | { readonly unknown: string };

function isUnknown(f: Found): f is { readonly unknown: string } {
  return 'unknown' in f;
}

function contiguousStrides(shape: readonly number[]): number[] {
  const strides = Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * Math.max(shape[i + 1], 1);
  return strides;
}

/** PyTorch's is_contiguous: size-1 dims may have any stride, and empty or one-element tensors always are. */
function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  if (shape.some((d) => d === 0)) return true;
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}

/** PyTorch's computeStride: the strides of a view of (shape, strides) as newShape, or undefined when it needs a copy. */
function viewStrides(shape: readonly number[], strides: readonly number[], newShape: readonly number[]): number[] | undefined {
  if (shape.reduce((a, b) => a * b, 1) === 0) return contiguousStrides(newShape);
  const out = Array<number>(newShape.length).fill(0);
  let viewD = newShape.length - 1;
  let chunkBase = strides[strides.length - 1];
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    tensorNumel *= shape[d];
    if (d === 0 || (shape[d - 1] !== 1 && strides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD];
        viewD--;
      }
      if (viewNumel !== tensorNumel) return undefined;
      if (d > 0) {
        chunkBase = strides[d - 1];
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  return viewD === -1 ? out : undefined;
}

/** Strides for `outShape` when it is `inShape` with size-1 dims added or removed (their strides do not matter). */
function unitDimStrides(inShape: readonly number[], strides: readonly number[], outShape: readonly number[]): number[] | undefined {
  const kept = inShape.map((d, i) => [d, strides[i]]).filter(([d]) => d !== 1);
  const out: number[] = [];
  let k = 0;
  for (const d of outShape) {
    if (d === 1) out.push(1);
    else if (kept[k]?.[0] === d) out.push(kept[k++][1]);
    else return undefined;
  }
  return k === kept.length ? out : undefined;
}

const RESHAPES = new Set(['aten::view', 'aten::reshape', 'aten::flatten', 'aten::unflatten', 'aten::view_as', 'aten::reshape_as', 'aten::_reshape_alias']);
/** Ops that may return their input itself (same storage) rather than a fresh tensor. */
const ALIASES = new Set(['aten::detach', 'aten::alias', 'aten::lift_fresh', 'aten::dropout', 'aten::feature_dropout', 'aten::alpha_dropout', 'aten::feature_alpha_dropout']);
/**
 * Results PyTorch lays out by strides of its own even from contiguous inputs (column-major linear algebra,
 * einsum's permuted products, nonzero's [N, rank] transposed, unique along a dim, FFTs' complex views;
 * found by checking is_contiguous() on PyTorch's results), and views the interpreter knows but no
 * storage rule here places (splits, complex views).
 */
const STRIDED_RESULTS =
  /^aten::(_?linalg_|svd|qr|cholesky|inverse|lu|triangular_solve|lstsq|pinverse|geqrf|orgqr|ormqr|eig|symeig|empty_strided|new_empty_strided|einsum|nonzero|argwhere|_?unique|unique_dim|fft_|_fft|stft|istft|(unsafe_)?(split|chunk)|unbind|tensor_split|[hvd]split|movedim|moveaxis|real$|imag$|view_as_real|view_as_complex|T$|mT$|H$|mH$|adjoint|numpy_T)/;
const CHANNELS_LAST = new Set([2, 3]);

function staticShape(v: GValue): number[] | undefined {
  if (v.type.kind !== 'tensor') return undefined;
  const shape = v.type.shape;
  return shape.every((d) => typeof d === 'number') ? (shape as number[]) : undefined;
}

function tensorInputs(node: GNode): GValue[] {
  const out: GValue[] = [];
  const visit = (a: Arg) => {
    if (Array.isArray(a)) a.forEach(visit);
    else if (a !== null && typeof a === 'object' && 'type' in a && a.type.kind === 'tensor') out.push(a as GValue);
  };
  node.args.forEach(visit);
  return out;
}

function int(node: GNode, name: string, fallback?: number): number | undefined {
  const v = node.args.get(name);
  if (typeof v === 'number') return v;
  return v === null || v === undefined ? fallback : undefined;
}

/** The storage layouts of one interpreter's values, computed on demand and remembered. */
export class StorageLayouts {
  private readonly found = new WeakMap<GValue, Found>();

  constructor(private readonly it: Interpreter) {}

  /** The layout of v, or why it is unknown. */
  of(v: GValue): Found {
    // Iterative: a layout depends on every value behind it, and chains can be thousands of nodes long.
    const pending: GValue[] = [v];
    while (pending.length) {
      const top = pending[pending.length - 1];
      if (this.found.has(top)) {
        pending.pop();
        continue;
      }
      const node = this.it.producers.get(top);
      const missing = node ? this.inputsOf(node).filter((x) => !this.found.has(x)) : [];
      if (missing.length) {
        pending.push(...missing);
        continue;
      }
      this.found.set(top, this.compute(top, node));
      pending.pop();
    }
    return this.found.get(v) as Found;
  }

  /** The values a node's layout is derived from: its view base, or every tensor input. */
  private inputsOf(node: GNode): GValue[] {
    if (node.blocks?.length || STRIDED_RESULTS.test(node.op)) return [];
    return tensorInputs(node);
  }

  private compute(v: GValue, node: GNode | undefined): Found {
    const shape = staticShape(v);
    if (!shape) return { unknown: 'its shape is only known at run time' };
    if (!node) return this.source(v, shape);
    if (node.blocks?.length) return { unknown: `it comes out of ${node.op}` };
    if (STRIDED_RESULTS.test(node.op)) return { unknown: `${node.op} lays out its result by its own strides` };
    const format = node.args.get('memory_format');
    if (typeof format === 'number' && CHANNELS_LAST.has(format)) return { unknown: `${node.op} makes a channels-last tensor` };
    const self = node.args.get('self') ?? node.args.get('input');
    const base = self && typeof self === 'object' && 'type' in self ? this.found.get(self as GValue) : undefined;
    const baseShape = self && typeof self === 'object' && 'type' in self ? staticShape(self as GValue) : undefined;
    const view = base && baseShape ? this.view(node, v, shape, base, baseShape) : undefined;
    if (view) return view;
    return this.fresh(node, v, shape);
  }

  /** A graph input or a stored tensor. */
  private source(v: GValue, shape: readonly number[]): Found {
    const isInput = this.it.userInputs.some((i) => i.value === v) || this.it.stateInputs.some((i) => i.value === v);
    if (isInput) return { root: v, strides: contiguousStrides(shape), offset: 0 };
    const stored = this.it.parameters.find((p) => p.value === v)?.data;
    if (stored && 'storage' in stored) {
      if (stored.storageOffset === 0 && isContiguous(shape, stored.strides)) return { root: v, strides: contiguousStrides(shape), offset: 0 };
      return { unknown: 'it is a stored tensor laid out with an offset or strides into a larger storage' };
    }
    return { unknown: 'it is made by the code at run time (a loop-carried or branch value)' };
  }

  /** A result that is a new tensor: contiguous when every tensor it is computed from is. */
  private fresh(node: GNode, v: GValue, shape: readonly number[]): Found {
    for (const input of tensorInputs(node)) {
      const f = this.found.get(input) as Found;
      if (isUnknown(f)) return { unknown: `${node.op} reads a tensor whose layout is unknown: ${f.unknown}` };
      const inputShape = staticShape(input) as number[];
      if (!isContiguous(inputShape, f.strides)) return { unknown: `${node.op} reads a non-contiguous tensor, and PyTorch may keep its strides` };
    }
    return { root: v, strides: contiguousStrides(shape), offset: 0 };
  }

  /** The layout of a view op's result from its base's, or undefined when the op makes a fresh tensor. */
  private view(node: GNode, v: GValue, shape: readonly number[], base: Found, baseShape: readonly number[]): Found | undefined {
    const op = node.op;
    const unknown = (why: string): Found => ({ unknown: `${op} ${why}` });
    const derived = (strides: readonly number[], offset = (base as Layout).offset): Found => ({ root: (base as Layout).root, strides, offset });
    const rank = baseShape.length;
    const dimArg = (name: string, fallback?: number) => {
      const d = int(node, name, fallback);
      return d === undefined ? undefined : d < 0 ? d + rank : d;
    };
    if (ALIASES.has(op)) return isUnknown(base) ? base : derived(base.strides);
    if (op === 'aten::contiguous') {
      // A contiguous tensor is returned as it is; any other is copied into a fresh block.
      if (isUnknown(base)) return base;
      return isContiguous(baseShape, base.strides) ? derived(base.strides) : { root: v, strides: contiguousStrides(shape), offset: 0 };
    }
    if (op === 'aten::to' || op === 'aten::type_as') {
      const sameDtype = v.type.kind === 'tensor' && (node.args.get('self') as GValue).tensor.dtype === v.type.dtype;
      if (sameDtype && node.args.get('copy') !== true) return isUnknown(base) ? base : derived(base.strides);
      return undefined;
    }
    const isView = RESHAPES.has(op) || VIEW_DERIVATIONS.has(op);
    if (!isView) return undefined;
    if (isUnknown(base)) return base;
    const s = base.strides;
    if (RESHAPES.has(op)) {
      const strides = viewStrides(baseShape, s, shape);
      if (strides) return derived(strides);
      // reshape copies when no view has the new shape; view would have failed in PyTorch.
      return op === 'aten::view' || op === 'aten::_reshape_alias' ? unknown('has no view of this shape') : undefined;
    }
    switch (op) {
      case 'aten::squeeze':
      case 'aten::unsqueeze': {
        const strides = unitDimStrides(baseShape, s, shape);
        return strides ? derived(strides) : unknown('changes more than size-1 dims');
      }
      case 'aten::expand':
      case 'aten::expand_as': {
        const lead = shape.length - rank;
        return derived(shape.map((d, i) => (i < lead || (baseShape[i - lead] === 1 && d !== 1) ? 0 : s[i - lead])));
      }
      case 'aten::transpose':
      case 'aten::swapaxes':
      case 'aten::swapdims': {
        const [a, b] = op === 'aten::swapaxes' ? [dimArg('axis0'), dimArg('axis1')] : [dimArg('dim0'), dimArg('dim1')];
        if (a === undefined || b === undefined) return unknown('has run-time dims');
        const strides = [...s];
        [strides[a], strides[b]] = [strides[b], strides[a]];
        return derived(strides);
      }
      case 'aten::t':
        return derived([...s].reverse());
      case 'aten::permute': {
        const dims = node.args.get('dims');
        if (!Array.isArray(dims) || !dims.every((d) => typeof d === 'number')) return unknown('has run-time dims');
        return derived((dims as number[]).map((d) => s[d < 0 ? d + rank : d]));
      }
      case 'aten::select': {
        const d = dimArg('dim');
        const index = int(node, 'index');
        if (d === undefined || index === undefined) return unknown('has a run-time index');
        const at = index < 0 ? index + baseShape[d] : index;
        return derived(s.filter((_, i) => i !== d), base.offset + at * s[d]);
      }
      case 'aten::slice':
      case 'aten::narrow': {
        const d = dimArg('dim', 0);
        const start = int(node, 'start', 0);
        const step = op === 'aten::slice' ? int(node, 'step', 1) : 1;
        if (d === undefined || start === undefined || step === undefined) return unknown('has run-time bounds');
        const size = baseShape[d];
        const from = Math.min(Math.max(start < 0 ? start + size : start, 0), size);
        return derived(s.map((x, i) => (i === d ? x * step : x)), base.offset + from * s[d]);
      }
      case 'aten::diagonal': {
        const offset = int(node, 'offset', 0);
        const [d1, d2] = [dimArg('dim1', 0), dimArg('dim2', 1)];
        if (offset === undefined || d1 === undefined || d2 === undefined) return unknown('has run-time arguments');
        const start = offset >= 0 ? offset * s[d2] : -offset * s[d1];
        return derived([...s.filter((_, i) => i !== d1 && i !== d2), s[d1] + s[d2]], base.offset + start);
      }
      case 'aten::unfold': {
        const d = dimArg('dimension');
        const step = int(node, 'step');
        if (d === undefined || step === undefined) return unknown('has run-time arguments');
        return derived([...s.map((x, i) => (i === d ? x * step : x)), s[d]]);
      }
      case 'aten::as_strided': {
        const stride = node.args.get('stride');
        const offset = int(node, 'storage_offset', base.offset);
        if (!Array.isArray(stride) || !stride.every((x) => typeof x === 'number') || offset === undefined) return unknown('has run-time strides');
        return derived(stride as number[], offset);
      }
      default:
        return unknown('is a view this converter cannot place in storage');
    }
  }
}

/** View ops whose strides `StorageLayouts.view` derives (reshapes aside). */
const VIEW_DERIVATIONS = new Set([
  'aten::squeeze', 'aten::unsqueeze', 'aten::expand', 'aten::expand_as', 'aten::transpose', 'aten::swapaxes', 'aten::swapdims',
  'aten::t', 'aten::permute', 'aten::select', 'aten::slice', 'aten::narrow', 'aten::diagonal', 'aten::unfold', 'aten::as_strided',
]);

/**
 * The arguments of an `as_strided` call on the storage behind its input: `self` becomes the value whose
 * elements are that storage and the offset becomes absolute (PyTorch's default is the input's own
 * offset), so the op reads its input as a contiguous block. Refused when the storage is unknown.
 */
export function asStridedOnStorage(it: Interpreter, layouts: StorageLayouts, args: readonly PyValue[], kwargs: ReadonlyMap<string, PyValue>): [PyValue[], Map<string, PyValue>] {
  const self = args[0] ?? kwargs.get('self');
  if (!(self instanceof TensorBox)) return [[...args], new Map(kwargs)];
  const layout = layouts.of(self.value);
  if (isUnknown(layout)) {
    return it.fail('TRACE_UNSUPPORTED', `aten::as_strided reads its input's storage, whose layout is not known at conversion time: ${layout.unknown}`);
  }
  const given = args[3] ?? kwargs.get('storage_offset');
  const rest = new Map(kwargs);
  rest.delete('self');
  rest.set('storage_offset', given === undefined || given === null ? layout.offset : given);
  return [[new TensorBox(layout.root), ...args.slice(1, 3)], rest];
}
