/** Torch dtype rules shared by shape inference and lowering: ScalarType codes and type promotion. */
import { type DType, PyFloat } from '../archive/types.js';
import { GValue } from '../ir/torch-graph.js';

/** `dtype=6` in TorchScript code is c10::ScalarType 6 (torchscript-format.md §3.2). */
const SCALAR_TYPES: Array<DType | undefined> = [
  'uint8', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64',
  undefined, 'complex64', 'complex128', 'bool', 'qint8', 'quint8', 'qint32', 'bfloat16',
];

export function dtypeFromScalarType(code: number): DType | undefined {
  return SCALAR_TYPES[code];
}

export function scalarTypeOf(dtype: DType): number {
  return SCALAR_TYPES.indexOf(dtype);
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float16' || dtype === 'float32' || dtype === 'float64' || dtype === 'bfloat16';
}

const COMPLEX_OF: Partial<Record<DType, DType>> = { float32: 'complex64', float64: 'complex128' };
const PART_OF: Partial<Record<DType, DType>> = { complex64: 'float32', complex128: 'float64' };

/** The complex dtype whose parts are `dtype` (float32 → complex64), if there is one. */
export function complexOf(dtype: DType): DType | undefined {
  return COMPLEX_OF[dtype];
}

/**
 * The dtype of a complex dtype's real and imaginary parts (complex64 → float32); undefined for real
 * dtypes. In ONNX a complex tensor is carried as its real view: a trailing dimension of 2 (real, imaginary).
 */
export function complexPartOf(dtype: DType): DType | undefined {
  return PART_OF[dtype];
}

export function isIntegral(dtype: DType, includeBool = false): boolean {
  return (
    dtype === 'uint8' || dtype === 'int8' || dtype === 'int16' || dtype === 'int32' || dtype === 'int64' ||
    (includeBool && dtype === 'bool')
  );
}

type Category = 0 | 1 | 2 | 3; // bool, integer, floating, complex

function category(dtype: DType): Category {
  if (dtype === 'bool') return 0;
  if (isFloating(dtype)) return 2;
  if (dtype === 'complex64' || dtype === 'complex128') return 3;
  return 1;
}

const WIDTH: Partial<Record<DType, number>> = {
  bool: 0, uint8: 1, int8: 1, int16: 2, int32: 3, int64: 4, float16: 1, bfloat16: 1, float32: 2, float64: 3,
  complex64: 0, complex128: 1,
};

/** torch.promote_types for two dtypes. */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  const ca = category(a);
  const cb = category(b);
  if (ca !== cb) return ca > cb ? a : b;
  if ((a === 'uint8' && b === 'int8') || (a === 'int8' && b === 'uint8')) return 'int16';
  if ((a === 'float16' && b === 'bfloat16') || (a === 'bfloat16' && b === 'float16')) return 'float32';
  return (WIDTH[a] ?? 0) >= (WIDTH[b] ?? 0) ? a : b;
}

export type Operand = GValue | number | PyFloat | boolean;

function operandType(o: Operand): { dtype: DType; rank: 'dim' | 'zero' | 'scalar' } {
  if (o instanceof GValue) {
    const t = o.type;
    if (t.kind === 'tensor') return { dtype: t.dtype, rank: t.shape.length > 0 ? 'dim' : 'zero' };
    if (t.kind === 'scalar') {
      return { dtype: t.scalar === 'int' ? 'int64' : t.scalar === 'float' ? 'float32' : 'bool', rank: 'scalar' };
    }
    return { dtype: t.element.dtype, rank: 'dim' };
  }
  if (o instanceof PyFloat) return { dtype: 'float32', rank: 'scalar' };
  if (typeof o === 'boolean') return { dtype: 'bool', rank: 'scalar' };
  return { dtype: 'int64', rank: 'scalar' };
}

/**
 * torch.result_type: tensors with dimensions win over 0-d tensors, which win over Python
 * scalars, unless a lower priority operand is of a higher category (bool < int < float).
 * Python floats join as the default dtype (float32).
 */
export function resultType(operands: readonly Operand[]): DType {
  const groups: Record<'dim' | 'zero' | 'scalar', DType | undefined> = { dim: undefined, zero: undefined, scalar: undefined };
  for (const o of operands) {
    const { dtype, rank } = operandType(o);
    const prev = groups[rank];
    groups[rank] = prev === undefined ? dtype : promoteTypes(prev, dtype);
  }
  let result: DType | undefined;
  for (const rank of ['dim', 'zero', 'scalar'] as const) {
    const d = groups[rank];
    if (d === undefined) continue;
    if (result === undefined) result = d;
    else if (category(d) > category(result)) {
      // A higher-category operand of lower priority gives its category at default width.
      result = rank === 'scalar' && category(d) === 2 ? 'float32' : rank === 'scalar' && category(d) === 1 ? 'int64' : d;
    }
  }
  return result ?? 'float32';
}

/** Element values converted as torch converts them: truncation toward zero, non-zero is true. */
export function convertValues(values: readonly number[], dtype: DType): number[] {
  if (dtype === 'bool') return values.map((v) => (v !== 0 ? 1 : 0));
  if (dtype === 'float32') return values.map(Math.fround);
  if (isFloating(dtype)) return [...values];
  return values.map(Math.trunc);
}
