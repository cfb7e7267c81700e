/**
 * export_params and keep_initializers_as_inputs (export-semantics.md §1): where the weights go and
 * which graph inputs list them, against torch.onnx.export's files for the same archive.
 */
import { describe, expect, it } from 'vitest';
import { convertCase, reference } from './support.js';

const names = { inputNames: ['a', 'b'], outputNames: ['p', 'q'], opsetVersion: 13 };
const weights: Array<[string, number[]]> = [['fc.weight', [3, 4]], ['fc.bias', [3]]];

describe('export_params', () => {
  it('true (the default): weights are initializers, not inputs', async () => {
    const { model } = await convertCase('two_inputs', names);
    expect(model.initializers).toEqual(weights);
    expect(model.inputs.map(([n]) => n)).toEqual(['a', 'b']);
  });

  it('false: no initializers; the weights are inputs after the real ones', async () => {
    const { model, report } = await convertCase('two_inputs', { ...names, exportParams: false });
    const torch = reference('two_inputs', 'no_params');
    expect(model.initializers).toEqual([]);
    expect(model.inputs).toEqual([['a', [2, 4]], ['b', [2, 4]], ...weights]);
    expect([model.inputs, model.initializers]).toEqual([torch.inputs, torch.initializers]);
    expect(report.write.initializers).toBe(0);
  });
});

describe('keep_initializers_as_inputs', () => {
  it('true: every initializer is also listed in graph.input, after the real inputs', async () => {
    const { model } = await convertCase('two_inputs', { ...names, keepInitializersAsInputs: true });
    const torch = reference('two_inputs', 'keep_inits');
    expect(model.inputs).toEqual([['a', [2, 4]], ['b', [2, 4]], ...weights]);
    expect(model.initializers).toEqual(weights);
    expect([model.inputs, model.initializers]).toEqual([torch.inputs, torch.initializers]);
  });

  it('is forced on below opset 9, with a warning when false was asked for', async () => {
    const { model, report } = await convertCase('two_inputs', { ...names, opsetVersion: 8, keepInitializersAsInputs: false });
    const torch = reference('two_inputs', 'keep_inits_forced_8');
    expect(model.inputs).toEqual(torch.inputs);
    expect(model.initializers).toEqual(torch.initializers);
    expect(report.warnings).toEqual(['keep_initializers_as_inputs is forced on below opset 9 (ONNX IR 3 requires it)']);
    const unasked = await convertCase('two_inputs', { ...names, opsetVersion: 7 });
    expect(unasked.model.inputs.map(([n]) => n)).toEqual(['a', 'b', 'fc.weight', 'fc.bias']);
    expect(unasked.report.warnings).toEqual([]);
  });

  it('defaults to true in the non-onnx operator export types, false in onnx', async () => {
    const aten = await convertCase('two_inputs', { ...names, operatorExportType: 'onnx_aten_fallback' });
    expect(aten.model.inputs.map(([n]) => n)).toEqual(['a', 'b', 'fc.weight', 'fc.bias']);
    const explicit = await convertCase('two_inputs', { ...names, operatorExportType: 'onnx_aten_fallback', keepInitializersAsInputs: false });
    expect(explicit.model.inputs.map(([n]) => n)).toEqual(['a', 'b']);
  });
});
