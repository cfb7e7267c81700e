/**
 * export_params and keep_initializers_as_inputs (docs/export-semantics.md §1): where the weights go and
 * which graph inputs list them, against torch.onnx.export's files for the same archive.
 */
import { describe, expect, it } from 'vitest';
import { convertCase, reference, TORCH_VERSIONS } from './support.js';

const names = { inputNames: ['a', 'b'], outputNames: ['p', 'q'], opsetVersion: 13 };
const weights: Array<[string, number[]]> = [['fc.weight', [3, 4]], ['fc.bias', [3]]];

describe.each(TORCH_VERSIONS)('archive and references from %s', (torch) => {
  describe('export_params', () => {
    it('true (the default): weights are initializers, not inputs', async () => {
      const { model } = await convertCase('two_inputs', names, { torch });
      expect(model.initializers).toEqual(weights);
      expect(model.inputs.map(([n]) => n)).toEqual(['a', 'b']);
    });

    it('false: no initializers; the weights are inputs after the real ones', async () => {
      const { model, report } = await convertCase('two_inputs', { ...names, exportParams: false }, { torch });
      const want = reference('two_inputs', 'no_params', torch);
      expect(model.initializers).toEqual([]);
      expect(model.inputs).toEqual([['a', [2, 4]], ['b', [2, 4]], ...weights]);
      expect([model.inputs, model.initializers]).toEqual([want.inputs, want.initializers]);
      expect(report.write.initializers).toBe(0);
    });
  });

  describe('keep_initializers_as_inputs', () => {
    it('true: every initializer is also listed in graph.input, after the real inputs', async () => {
      const { model } = await convertCase('two_inputs', { ...names, keepInitializersAsInputs: true }, { torch });
      const want = reference('two_inputs', 'keep_inits', torch);
      expect(model.inputs).toEqual([['a', [2, 4]], ['b', [2, 4]], ...weights]);
      expect(model.initializers).toEqual(weights);
      expect([model.inputs, model.initializers]).toEqual([want.inputs, want.initializers]);
    });

    it('is forced on below opset 9, with a warning when false was asked for', async () => {
      const { model, report } = await convertCase('two_inputs', { ...names, opsetVersion: 8, keepInitializersAsInputs: false }, { torch });
      const want = reference('two_inputs', 'keep_inits_forced_8', torch);
      expect(model.inputs).toEqual(want.inputs);
      expect(model.initializers).toEqual(want.initializers);
      expect(report.warnings).toEqual([{ code: 'INITIALIZERS_AS_INPUTS_FORCED', message: 'keep_initializers_as_inputs is forced on below opset 9 (ONNX IR 3 requires it)' }]);
      const unasked = await convertCase('two_inputs', { ...names, opsetVersion: 7 }, { torch });
      expect(unasked.model.inputs.map(([n]) => n)).toEqual(['a', 'b', 'fc.weight', 'fc.bias']);
      expect(unasked.report.warnings).toEqual([]);
    });

    it('defaults to true in the non-onnx operator export types, false in onnx', async () => {
      const aten = await convertCase('two_inputs', { ...names, operatorExportType: 'onnx_aten_fallback' }, { torch });
      expect(aten.model.inputs.map(([n]) => n)).toEqual(['a', 'b', 'fc.weight', 'fc.bias']);
      const explicit = await convertCase('two_inputs', { ...names, operatorExportType: 'onnx_aten_fallback', keepInitializersAsInputs: false }, { torch });
      expect(explicit.model.inputs.map(([n]) => n)).toEqual(['a', 'b']);
    });
  });
});
