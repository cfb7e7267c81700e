/** Element-wise arithmetic with torch's type promotion. */
import { PyFloat } from '../../archive/types.js';
import { elementwiseType, operand } from '../helpers.js';
import { defineOps, type BoundArgs, type LowerContext } from '../registry.js';

/** `self + alpha * other` for add/sub (alpha is 1 in nearly every model). */
function addLike(opType: 'Add' | 'Sub') {
  return (ctx: LowerContext, a: BoundArgs): string[] => {
    const self = a.scalar('self');
    const other = a.scalar('other');
    const out = elementwiseType([self, other]);
    let rhs = operand(ctx, other, out.dtype);
    const alpha = a.scalar('alpha');
    const alphaValue = alpha instanceof PyFloat ? alpha.value : alpha;
    if (alphaValue !== 1 && alphaValue !== true) rhs = ctx.b.op1('Mul', [rhs, operand(ctx, alpha, out.dtype)]);
    return [ctx.b.op1(opType, [operand(ctx, self, out.dtype), rhs])];
  };
}

defineOps([
  {
    schemas: [
      'aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor',
      'aten::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor',
    ],
    infer: (a) => [elementwiseType([a.scalar('self'), a.scalar('other')])],
    lower: { 7: addLike('Add') },
  },
  {
    schemas: [
      'aten::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor',
      'aten::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor',
    ],
    infer: (a) => [elementwiseType([a.scalar('self'), a.scalar('other')])],
    lower: { 7: addLike('Sub') },
  },
]);
