/**
 * operator_export_type and custom_opsets (docs/export-semantics.md §1.3, §2): ATen nodes, fallthrough nodes
 * and opset_import, on `round(relu(x) * 4)` (round has no ONNX form below opset 11), against
 * torch.onnx.export's files for the same archive. The trace's constant 4 is compared apart: torch makes
 * it a float Constant, tsonnx an int64 initializer and a Cast.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { caseDir, convertCase, nodesOf, outputPath, reference, shapeOfNode, TORCH_VERSIONS } from './support.js';

describe.each(TORCH_VERSIONS)('archive and references from %s', (torch) => {
  describe('operator_export_type=onnx', () => {
    it('stops on an op with no ONNX form at the opset, naming the lowest opset that has one', async () => {
      await expect(convert(join(caseDir('round_relu', torch), 'model.pt'), outputPath('round'), { inputs: ['float32[2,5]'], opsetVersion: 9 }))
        .rejects.toMatchObject({ code: 'OP_OPSET', message: 'aten::round cannot be expressed at opset 9; it needs opset 11 or later' });
    });

    it('converts it from that opset on, with the default domain only', async () => {
      const { model } = await convertCase('round_relu', { opsetVersion: 11 }, { torch });
      expect(nodesOf(model, 'Relu', 'Mul', 'Round').map((n) => n.opType)).toEqual(['Relu', 'Mul', 'Round']);
      expect(model.opsetImport).toEqual([['', 11]]);
    });
  });

  describe('operator_export_type=onnx_aten', () => {
    it('writes every aten op as an ATen node in org.pytorch.aten with operator and overload_name', async () => {
      const { model } = await convertCase('round_relu', { opsetVersion: 13, operatorExportType: 'onnx_aten' }, { torch });
      const want = reference('round_relu', 'aten_13', torch);
      const aten = nodesOf(model, 'ATen');
      expect(aten.map((n) => [n.domain, n.attrs.operator])).toEqual([
        ['org.pytorch.aten', 'relu'],
        ['org.pytorch.aten', 'mul'],
        ['org.pytorch.aten', 'round'],
      ]);
      expect(aten.map((n) => [n.domain, n.attrs.operator])).toEqual(nodesOf(want, 'ATen').map((n) => [n.domain, n.attrs.operator]));
      // overload_name is the schema overload the call bound to ('' for single-overload ops), as torch writes it.
      expect(aten.map(shapeOfNode)).toEqual(nodesOf(want, 'ATen').map(shapeOfNode));
      expect(model.opsetImport).toEqual([['', 13], ['org.pytorch.aten', 1]]);
      expect(model.opsetImport).toEqual(want.opsetImport);
      expect(model.nodes.map((n) => n.opType)).toEqual(['ATen', 'ATen', 'ATen']);
    });

    it('custom_opsets sets the version of the org.pytorch.aten import', async () => {
      const { model, report } = await convertCase('round_relu', { opsetVersion: 13, operatorExportType: 'onnx_aten', customOpsets: { 'org.pytorch.aten': 3 } }, { torch });
      expect(model.opsetImport).toEqual([['', 13], ['org.pytorch.aten', 3]]);
      expect(report.warnings).toEqual([]);
    });
  });

  describe('operator_export_type=onnx_aten_fallback', () => {
    it('converts what it can and writes the rest as ATen nodes', async () => {
      const { model } = await convertCase('round_relu', { opsetVersion: 9, operatorExportType: 'onnx_aten_fallback' }, { torch });
      const want = reference('round_relu', 'aten_fallback_9', torch);
      const converted = (m: typeof model) => nodesOf(m, 'Relu', 'Mul', 'ATen').map(shapeOfNode);
      expect(converted(model)).toEqual(converted(want));
      expect(nodesOf(model, 'ATen').map(shapeOfNode)).toEqual([
        { opType: 'ATen', domain: 'org.pytorch.aten', attrs: { operator: 'round', overload_name: '' }, inputCount: 1, outputCount: 1 },
      ]);
      expect(model.opsetImport).toEqual([['', 9], ['org.pytorch.aten', 1]]);
      expect(model.opsetImport).toEqual(want.opsetImport);
      expect(model.outputs).toEqual([['output', [2, 5]]]);
    });
  });

  describe('operator_export_type=onnx_fallthrough', () => {
    it('keeps the op as a node named after it, in org.pytorch.aten, without attributes', async () => {
      const { model } = await convertCase('round_relu', { opsetVersion: 9, operatorExportType: 'onnx_fallthrough' }, { torch });
      const want = reference('round_relu', 'fallthrough_9', torch);
      const custom = model.nodes.filter((n) => n.domain !== '');
      expect(custom.map(shapeOfNode)).toEqual([{ opType: 'round', domain: 'org.pytorch.aten', attrs: {}, inputCount: 1, outputCount: 1 }]);
      const converted = (m: typeof model) => nodesOf(m, 'Relu', 'Mul', 'round').map(shapeOfNode);
      expect(converted(model)).toEqual(converted(want));
      expect(model.opsetImport).toEqual(want.opsetImport);
    });
  });

  describe('custom_opsets', () => {
    it('a listed but unused domain is not imported, with a warning', async () => {
      const { model, report } = await convertCase('two_inputs', { opsetVersion: 13, customOpsets: { 'com.example': 3 } }, { torch });
      expect(model.opsetImport).toEqual(reference('two_inputs', 'custom_opsets', torch).opsetImport);
      expect(model.opsetImport).toEqual([['', 13]]);
      expect(report.warnings).toEqual([{ code: 'CUSTOM_OPSET_UNUSED', message: "custom opset domain 'com.example' is not used in the model and is not imported" }]);
    });
  });
});
