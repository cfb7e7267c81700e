/** The legacy `aten::_cast_<Type>` ops that old TorchScript archives (file format 1) call for `.long()` etc. */
import type { DType } from '../../archive/types.js';
import { convertValues } from '../dtypes.js';
import { castTo, shapeOf, tensorOf } from '../helpers.js';
import type { OpDef } from '../registry.js';

/** `_cast_<suffix>` → the dtype it produces (torch's C++ scalar type names). */
const CASTS: ReadonlyArray<[suffix: string, dtype: DType]> = [
  ['Byte', 'uint8'],
  ['Char', 'int8'],
  ['Short', 'int16'],
  ['Int', 'int32'],
  ['Long', 'int64'],
  ['Half', 'float16'],
  ['Float', 'float32'],
  ['Double', 'float64'],
];

const WIDTH_BITS: Partial<Record<DType, { bits: number; signed: boolean }>> = {
  uint8: { bits: 8, signed: false },
  int8: { bits: 8, signed: true },
  int16: { bits: 16, signed: true },
  int32: { bits: 32, signed: true },
};

/** Integer casts wrap around like C++ conversions (300 → uint8 is 44). */
function wrapped(values: number[], dtype: DType): number[] {
  const width = WIDTH_BITS[dtype];
  if (!width) return values;
  const range = 2 ** width.bits;
  return values.map((v) => {
    const u = ((v % range) + range) % range;
    return width.signed && u >= range / 2 ? u - range : u;
  });
}

function castOp(suffix: string, dtype: DType): OpDef {
  return {
    schemas: [`aten::_cast_${suffix}(Tensor self, bool non_blocking=False) -> Tensor`],
    infer: (a) => [tensorOf(dtype, shapeOf(a.tensor('self')))],
    evaluate: (a) => {
      const self = a.tensor('self');
      const known = a.known(self);
      if (!known || dtype === 'float16') return undefined;
      return [{ type: tensorOf(dtype, known.type.shape), values: wrapped(convertValues(known.values, dtype), dtype) }];
    },
    lower: {
      1: (ctx, a) => {
        const self = a.tensor('self');
        return [castTo(ctx, ctx.input(self), self.tensor.dtype, dtype)];
      },
    },
  };
}

export const castOps: readonly OpDef[] = CASTS.map(([suffix, dtype]) => castOp(suffix, dtype));
