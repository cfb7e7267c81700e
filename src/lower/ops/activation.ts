/** Activation functions. */
import { defineOps } from '../registry.js';
import { tensorOf } from '../helpers.js';

defineOps([
  {
    schemas: ['aten::relu(Tensor self) -> Tensor'],
    infer: (a) => [a.tensor('self').type],
    lower: { 1: (ctx, a) => [ctx.b.op1('Relu', [ctx.input(a.tensor('self'))])] },
  },
  {
    schemas: ['aten::sigmoid(Tensor self) -> Tensor'],
    infer: (a) => {
      const t = a.tensor('self').tensor;
      return [tensorOf(t.dtype === 'float64' || t.dtype === 'float16' ? t.dtype : 'float32', t.shape)];
    },
    lower: { 1: (ctx, a) => [ctx.b.op1('Sigmoid', [ctx.input(a.tensor('self'))])] },
  },
]);
