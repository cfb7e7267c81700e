/**
 * Model-level fields (docs/export-semantics.md §2) at every opset tsonnx accepts: ir_version from the
 * opset table, opset_import, the fields torch never sets, and outputs equal to PyTorch's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionsFromExportKwargs } from '../../src/config.js';
import { convert } from '../../src/index.js';
import { compareAll, projectRoot, runOnnx } from '../helpers/cases.js';
import { caseDir, conformanceCase, convertCase, outputPath, reference, TORCH_VERSIONS } from './support.js';

/** §2's table (7–20), with opset 21 → IR 10 as in onnx's VERSION_TABLE. */
const IR_VERSION: Record<number, number> = {
  7: 3, 8: 3, 9: 4, 10: 5, 11: 6, 12: 7, 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10,
};

const version = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('model fields per opset', () => {
  const c = conformanceCase('conv_bn_dropout');
  for (const opset of Object.keys(IR_VERSION).map(Number)) {
    it(`opset ${opset}: ir_version ${IR_VERSION[opset]}, opset_import [("", ${opset})], outputs equal PyTorch's`, async () => {
      const { report, model, path } = await convertCase('conv_bn_dropout', { opsetVersion: opset });
      expect(model.irVersion).toBe(IR_VERSION[opset]);
      expect(report.irVersion).toBe(IR_VERSION[opset]);
      expect(model.opsetImport).toEqual([['', opset]]);
      expect([model.producerName, model.producerVersion]).toEqual(['tsonnx', version]);
      expect([model.docString, model.graphDocString, model.graphName]).toEqual([`Converted by tsonnx ${version} from the TorchScript archive model.pt`, '', 'main_graph']);
      compareAll(await runOnnx(path, c.inputs), c.outputs);
    });
  }

  it.each(TORCH_VERSIONS)('matches torch.onnx.export (%s) on ir_version and opset_import', async (torch) => {
    for (const opset of [9, 12, 14]) {
      const { model } = await convertCase('conv_bn_dropout', { opsetVersion: opset }, { torch });
      const want = reference('conv_bn_dropout', `eval_${opset}`, torch);
      expect([model.irVersion, model.opsetImport]).toEqual([want.irVersion, want.opsetImport]);
    }
  });

  it('says where the model came from: archive name and SHA-256, tsonnx version, the options as a --config', async () => {
    const options = { opsetVersion: 13, inputNames: ['image'], dynamicAxes: { image: { 0: 'batch' } }, training: 'eval' } as const;
    const { model, path } = await convertCase('conv_bn_dropout', options);
    const archive = join(caseDir('conv_bn_dropout'), 'model.pt');
    expect(model.metadata).toEqual({
      'tsonnx.version': version,
      'tsonnx.source': 'model.pt',
      'tsonnx.source_sha256': createHash('sha256').update(readFileSync(archive)).digest('hex'),
      'tsonnx.export_options': JSON.stringify({
        opset_version: 13, input_names: ['image'], output_names: null, dynamic_axes: { image: { 0: 'batch' } }, export_params: true,
        do_constant_folding: true, training: 'eval', operator_export_type: 'onnx', keep_initializers_as_inputs: false, custom_opsets: {}, verbose: false,
      }),
      'tsonnx.conversion_options': JSON.stringify({ inputs: conformanceCase('conv_bn_dropout').args, method: 'forward', lift_state: false, state_init: 'auto', fp16: false, fp16_io: false, quantized_engine: 'qnnpack' }),
    });
    // The recorded options, given back as a --config, make the same file.
    const again = outputPath('again');
    const config = { ...JSON.parse(model.metadata['tsonnx.export_options']), ...JSON.parse(model.metadata['tsonnx.conversion_options']) };
    await convert(archive, again, optionsFromExportKwargs(config));
    expect(readFileSync(again).equals(readFileSync(path))).toBe(true);
  });

  it('refuses opsets outside 7 to 21', async () => {
    for (const opset of [6, 22]) {
      await expect(convert(join(caseDir('conv_bn_dropout'), 'model.pt'), outputPath('bad'), { inputs: ['float32[2,3,6,6]'], opsetVersion: opset }))
        .rejects.toMatchObject({ code: 'OPTION_INVALID', message: `opset ${opset} is not supported; choose 7 to 21` });
    }
  });
});
