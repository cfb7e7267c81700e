/**
 * training (docs/export-semantics.md §1.2) on a scripted Conv2d → BatchNorm2d → Dropout(0.3) → relu,
 * against what torch.onnx.export 1.13 and 2.6 wrote from the same archives (do_constant_folding=False).
 * Scripted archives keep `self.training` as a branch, so the mode decides which form is written.
 */
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../src/check.js';
import { convertCase, nodesOf, reference, shapeOfNode, TORCH_VERSIONS, type ModelView } from './support.js';

/** The nodes the training option decides about, without names and wiring. */
function layers(model: ModelView) {
  return nodesOf(model, 'Conv', 'BatchNormalization', 'Dropout', 'Relu').map(shapeOfNode);
}

/** float32 as torch stores it: 1 - 0.1 → 0.8999999761581421, 0.3 → 0.30000001192092896. */
const f32 = (x: number) => Math.fround(x);

describe.each(TORCH_VERSIONS)('archive and references from %s', (torch) => {
  describe('training=eval', () => {
    for (const opset of [9, 12, 14]) {
      it(`folds BatchNorm into the Conv (with constant folding) and drops Dropout at opset ${opset}`, async () => {
        const folded = await convertCase('conv_bn_dropout', { opsetVersion: opset, training: 'eval' }, { torch });
        expect(layers(folded.model).map((n) => n.opType)).toEqual(['Conv', 'Relu']);
        expect(folded.model.initializers).toEqual([['conv.weight_fused_bn', [4, 3, 3, 3]], ['conv.bias_fused_bn', [4]]]);
        const unfolded = await convertCase('conv_bn_dropout', { opsetVersion: opset, training: 'eval', doConstantFolding: false }, { torch });
        expect(layers(unfolded.model).map((n) => n.opType)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
        // The references were exported with do_constant_folding=False: 1.13 folds in eval regardless,
        // 2.x (like tsonnx) only with folding on (docs/export-semantics.md §8).
        const want = reference('conv_bn_dropout', `eval_${opset}`, torch);
        expect(layers(want).map((n) => n.opType)).toEqual(layers((torch === 'torch113' ? folded : unfolded).model).map((n) => n.opType));
        if (torch === 'torch113') expect(layers(folded.model)).toEqual(layers(want));
      });
    }
  });

  describe('training=preserve on an archive saved in eval mode', () => {
    for (const opset of [9, 12, 14]) {
      it(`keeps Conv and a 1-output BatchNormalization (no folding outside eval), no Dropout, at opset ${opset}`, async () => {
        const { model } = await convertCase('conv_bn_dropout', { opsetVersion: opset, training: 'preserve' }, { torch });
        const want = reference('conv_bn_dropout', `preserve_${opset}`, torch);
        expect(layers(model).map((n) => [n.opType, n.inputCount, n.outputCount])).toEqual(layers(want).map((n) => [n.opType, n.inputCount, n.outputCount]));
        // Parameters in first-use order: F.batch_norm reads the running statistics before weight and bias.
        expect(model.initializers.map(([name]) => name)).toEqual(['conv.weight', 'conv.bias', 'bn.running_mean', 'bn.running_var', 'bn.weight', 'bn.bias']);
        expect(model.initializers).toEqual(want.initializers);
        const [bn] = nodesOf(model, 'BatchNormalization');
        // As torch: the (unused) momentum too, and training_mode=0 from opset 14.
        expect(bn.attrs).toEqual(nodesOf(want, 'BatchNormalization')[0].attrs);
        expect(bn.attrs).toEqual(opset >= 14 ? { epsilon: f32(1e-5), momentum: f32(0.9), training_mode: 0 } : { epsilon: f32(1e-5), momentum: f32(0.9) });
      });
    }
  });

  describe('training=training and training=preserve on an archive saved in training mode', () => {
    const expected: Record<number, unknown[]> = {
      9: [
        { opType: 'Conv', domain: '', attrs: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }, inputCount: 3, outputCount: 1 },
        { opType: 'BatchNormalization', domain: '', attrs: { epsilon: f32(1e-5), momentum: f32(0.9) }, inputCount: 5, outputCount: 5 },
        { opType: 'Dropout', domain: '', attrs: { ratio: f32(0.3) }, inputCount: 1, outputCount: 2 },
        { opType: 'Relu', domain: '', attrs: {}, inputCount: 1, outputCount: 1 },
      ],
      12: [
        { opType: 'Conv', domain: '', attrs: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }, inputCount: 3, outputCount: 1 },
        { opType: 'BatchNormalization', domain: '', attrs: { epsilon: f32(1e-5), momentum: f32(0.9) }, inputCount: 5, outputCount: 5 },
        { opType: 'Dropout', domain: '', attrs: {}, inputCount: 3, outputCount: 2 },
        { opType: 'Relu', domain: '', attrs: {}, inputCount: 1, outputCount: 1 },
      ],
      14: [
        { opType: 'Conv', domain: '', attrs: { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }, inputCount: 3, outputCount: 1 },
        { opType: 'BatchNormalization', domain: '', attrs: { epsilon: f32(1e-5), momentum: f32(0.9), training_mode: 1 }, inputCount: 5, outputCount: 3 },
        { opType: 'Dropout', domain: '', attrs: {}, inputCount: 3, outputCount: 2 },
        { opType: 'Relu', domain: '', attrs: {}, inputCount: 1, outputCount: 1 },
      ],
    };

    for (const opset of [9, 12, 14]) {
      it(`writes PyTorch's BatchNormalization and Dropout forms at opset ${opset}`, async () => {
        const { model } = await convertCase('conv_bn_dropout', { opsetVersion: opset, training: 'training' }, { torch });
        expect(layers(model)).toEqual(expected[opset]);
        const want = reference('conv_bn_dropout', `training_${opset}`, torch);
        expect(layers(model)).toEqual(layers(want));
        expect(model.initializers).toEqual(want.initializers);
      });
    }

    it('feeds Dropout its ratio (float32) and training_mode (bool true) as constant inputs from opset 12', async () => {
      const { model } = await convertCase('conv_bn_dropout', { opsetVersion: 12, training: 'training' }, { torch });
      const [dropout] = nodesOf(model, 'Dropout');
      const constants = new Map(nodesOf(model, 'Constant').map((n) => [n.outputs[0], n.attrs.value]));
      expect(dropout.inputs.slice(1).map((name) => constants.get(name))).toEqual([
        { dtype: 1, dims: [], values: [f32(0.3)] },
        { dtype: 9, dims: [], values: [true] },
      ]);
    });

    for (const opset of [9, 14]) {
      it(`preserve keeps the archive's training mode at opset ${opset}`, async () => {
        const { model } = await convertCase('conv_bn_dropout', { opsetVersion: opset, training: 'preserve' }, { archive: 'model_train.pt', torch });
        expect(layers(model)).toEqual(expected[opset]);
        expect(layers(model)).toEqual(layers(reference('conv_bn_dropout', `preserve_train_${opset}`, torch)));
      });
    }

    it('eval on an archive saved in training mode switches it to eval', async () => {
      const { model } = await convertCase('conv_bn_dropout', { opsetVersion: 14 }, { archive: 'model_train.pt', torch });
      expect(layers(model).map((n) => n.opType)).toEqual(['Conv', 'Relu']);
    });

    it('writes a model onnxruntime loads and runs', async () => {
      const { report, path } = await convertCase('conv_bn_dropout', { opsetVersion: 14, training: 'training' }, { torch });
      const check = await checkModel(path, report.inputs);
      expect(check.outputs.map((o) => [o.name, o.shape, o.nonFinite])).toEqual([['output', [2, 4, 6, 6], 0]]);
    });
  });
});
