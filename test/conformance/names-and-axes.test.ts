/**
 * input_names, output_names and dynamic_axes (docs/export-semantics.md §1, §1.4) on a scripted module with
 * two inputs, two outputs and a Linear, against torch.onnx.export's files for the same archive.
 */
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { convertCase, reference, TORCH_VERSIONS } from './support.js';

const names = { inputNames: ['a', 'b'], outputNames: ['p', 'q'], opsetVersion: 13 };

describe.each(TORCH_VERSIONS)('archive and references from %s', (torch) => {
  describe('input_names and output_names', () => {
    it('default to forward()\'s argument names and output_<i>', async () => {
      const { model } = await convertCase('two_inputs', { opsetVersion: 13 }, { torch });
      expect(model.inputs).toEqual([['x', [2, 4]], ['y', [2, 4]]]);
      expect(model.outputs).toEqual([['output_0', [2, 3]], ['output_1', [2]]]);
    });

    it('rename the graph inputs and outputs as torch does', async () => {
      const { model } = await convertCase('two_inputs', names, { torch });
      const want = reference('two_inputs', 'names', torch);
      expect(model.inputs).toEqual([['a', [2, 4]], ['b', [2, 4]]]);
      expect(model.outputs).toEqual([['p', [2, 3]], ['q', [2]]]);
      expect([model.inputs, model.outputs]).toEqual([want.inputs, want.outputs]);
      expect(model.initializers).toEqual(want.initializers);
    });

    it('fewer names rename only the first values', async () => {
      const { model } = await convertCase('two_inputs', { opsetVersion: 13, inputNames: ['a'], outputNames: ['p'] }, { torch });
      expect(model.inputs.map(([n]) => n)).toEqual(['a', 'y']);
      expect(model.outputs.map(([n]) => n)).toEqual(['p', 'output_1']);
    });
  });

  describe('dynamic_axes', () => {
    it('dict form: the given names become dim_params', async () => {
      const { model, report } = await convertCase('two_inputs', { ...names, dynamicAxes: { a: { 0: 'batch' }, p: { 0: 'batch' } } }, { torch });
      const want = reference('two_inputs', 'dynamic_dict', torch);
      expect(model.inputs).toEqual([['a', ['batch', 4]], ['b', [2, 4]]]);
      expect(model.inputs).toEqual(want.inputs);
      expect(model.outputs[0]).toEqual(['p', ['batch', 3]]);
      expect(model.outputs[0]).toEqual(want.outputs[0]);
      expect(report.inputs[0].shape).toEqual(['batch', 4]);
      expect(report.warnings).toEqual([]);
    });

    it('list form: dims named <key>_dynamic_axes_<i>, with a warning per key', async () => {
      const { model, report } = await convertCase('two_inputs', { ...names, dynamicAxes: { a: [0], b: [0, 1], q: [0] } }, { torch });
      const want = reference('two_inputs', 'dynamic_list', torch);
      expect(model.inputs).toEqual([['a', ['a_dynamic_axes_1', 4]], ['b', ['b_dynamic_axes_1', 'b_dynamic_axes_2']]]);
      expect(model.inputs).toEqual(want.inputs);
      expect(model.outputs[1]).toEqual(['q', ['q_dynamic_axes_1']]);
      expect(model.outputs[1]).toEqual(want.outputs[1]);
      expect(report.warnings.map((w) => `${w.code}: ${w.message}`)).toEqual([
        'DYNAMIC_AXES_LIST: dynamic_axes for a is a list; its dims are named a_dynamic_axes_<i>',
        'DYNAMIC_AXES_LIST: dynamic_axes for b is a list; its dims are named b_dynamic_axes_<i>',
        'DYNAMIC_AXES_LIST: dynamic_axes for q is a list; its dims are named q_dynamic_axes_<i>',
      ]);
    });

    it('keys match the final names: an unknown key only warns', async () => {
      const { model, report } = await convertCase('two_inputs', { ...names, dynamicAxes: { 'x.1': { 0: 'batch' } } }, { torch });
      expect(model.inputs).toEqual([['a', [2, 4]], ['b', [2, 4]]]);
      expect(report.warnings).toEqual([{ code: 'DYNAMIC_AXES_UNUSED', message: 'dynamic_axes names x.1, which is neither an input nor an output; it has no effect' }]);
    });

    it('a list naming an axis twice warns and keeps the first', async () => {
      const { model, report } = await convertCase('two_inputs', { ...names, dynamicAxes: { a: [0, 0] } }, { torch });
      expect(model.inputs[0]).toEqual(['a', ['a_dynamic_axes_1', 4]]);
      expect(report.warnings).toContainEqual({ code: 'DYNAMIC_AXES_REPEATED', message: 'dynamic_axes for a lists axis 0 twice; the repeat is ignored' });
    });

    it('a model with a dynamic batch runs at other batch sizes', async () => {
      const { path } = await convertCase('two_inputs', { ...names, dynamicAxes: { a: { 0: 'n' }, b: { 0: 'n' } } }, { torch });
      const session = await ort.InferenceSession.create(path);
      for (const n of [1, 5]) {
        const feed = (v: number) => new ort.Tensor('float32', new Float32Array(n * 4).fill(v), [n, 4]);
        const out = await session.run({ a: feed(0.25), b: feed(0.5) });
        expect([out.p.dims, out.q.dims]).toEqual([[n, 3], [n]]);
      }
      await session.release();
    });
  });
});
