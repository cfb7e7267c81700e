/**
 * `--config export.json`: torch.onnx.export's keyword arguments map one to one onto tsonnx's options,
 * and a model converted from a config equals the one converted from the same options.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, globMatches, optionsFromExportKwargs, parseOperatorExportType, parseTrainingMode, readExportConfig } from '../../src/config.js';
import { convertCase } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'tsonnx-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configFile(content: string): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, content);
  return path;
}

describe('optionsFromExportKwargs', () => {
  it('maps every keyword to its option', () => {
    expect(
      optionsFromExportKwargs({
        opset_version: 13,
        input_names: ['a', 'b'],
        output_names: ['p'],
        dynamic_axes: { a: { 0: 'batch' }, p: [0] },
        export_params: false,
        do_constant_folding: false,
        training: 'TrainingMode.PRESERVE',
        operator_export_type: 'OperatorExportTypes.ONNX_ATEN_FALLBACK',
        keep_initializers_as_inputs: true,
        custom_opsets: { 'com.example': 2 },
        verbose: true,
      }),
    ).toEqual({
      opsetVersion: 13,
      inputNames: ['a', 'b'],
      outputNames: ['p'],
      dynamicAxes: { a: { 0: 'batch' }, p: [0] },
      exportParams: false,
      doConstantFolding: false,
      training: 'preserve',
      operatorExportType: 'onnx_aten_fallback',
      keepInitializersAsInputs: true,
      customOpsets: { 'com.example': 2 },
      verbose: true,
    });
    expect(CONFIG_KEYS).toEqual([
      'opset_version', 'input_names', 'output_names', 'dynamic_axes', 'export_params', 'do_constant_folding',
      'training', 'operator_export_type', 'keep_initializers_as_inputs', 'custom_opsets', 'verbose',
    ]);
  });

  it('treats null as torch\'s default (the option is left unset)', () => {
    expect(optionsFromExportKwargs({ opset_version: null, keep_initializers_as_inputs: null, dynamic_axes: null })).toEqual({});
  });

  it('accepts enum values as Python prints them, bare, or lower case', () => {
    for (const v of ['TrainingMode.TRAINING', 'TRAINING', 'training']) expect(parseTrainingMode(v)).toBe('training');
    for (const v of ['OperatorExportTypes.ONNX_FALLTHROUGH', 'ONNX_FALLTHROUGH', 'onnx_fallthrough']) {
      expect(parseOperatorExportType(v)).toBe('onnx_fallthrough');
    }
  });

  it('names unknown keys in an OPTION_INVALID error', () => {
    expect(() => optionsFromExportKwargs({ opset_version: 13, export_modules_as_functions: true, dynamo: false }, 'export.json')).toThrow(
      expect.objectContaining({
        code: 'OPTION_INVALID',
        message:
          `export.json: unknown keys export_modules_as_functions, dynamo; expected torch.onnx.export keywords: ${CONFIG_KEYS.join(', ')}` +
          "; tsonnx's own: inputs, method, lift_state, state_init, fp16, fp16_io, quantized_engine; files",
      }),
    );
  });

  it('refuses values of the wrong type, naming the key', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ opset_version: '13' }, 'c: opset_version must be a whole number'],
      [{ input_names: 'x' }, 'c: input_names must be a list of strings'],
      [{ export_params: 1 }, 'c: export_params must be true or false'],
      [{ training: 'TrainingMode.TEST' }, 'c: training must be one of eval, preserve, training (or TrainingMode.EVAL, ...), not "TrainingMode.TEST"'],
      [{ operator_export_type: 'ONNX_CAFFE2' }, 'c: operator_export_type must be one of onnx, onnx_aten, onnx_aten_fallback, onnx_fallthrough (or OperatorExportTypes.ONNX_ATEN, ...), not "ONNX_CAFFE2"'],
      [{ dynamic_axes: { x: { first: 'batch' } } }, 'c: dynamic_axes for x: axis first is not a whole number'],
      [{ dynamic_axes: { x: 'batch' } }, 'c: dynamic_axes for x must be {axis: name} or a list of axes'],
      [{ custom_opsets: { 'com.example': 0 } }, 'c: custom_opsets must map domain names to opset versions, e.g. {"com.example": 2}'],
    ];
    for (const [config, message] of cases) {
      expect(() => optionsFromExportKwargs(config, 'c')).toThrow(expect.objectContaining({ code: 'OPTION_INVALID', message }));
    }
    expect(() => optionsFromExportKwargs([1], 'c')).toThrow('c must hold a JSON object of torch.onnx.export keyword arguments');
  });
});

describe('tsonnx keys and per-file entries', () => {
  it('maps tsonnx\'s own keys to their options', () => {
    expect(optionsFromExportKwargs({ inputs: ['float32[1,3,8,8]'], method: 'encode', lift_state: true, state_init: 'zeros', fp16: true, fp16_io: false })).toEqual({
      inputs: ['float32[1,3,8,8]'], method: 'encode', liftState: true, stateInit: 'zeros', fp16: true, fp16Io: false,
    });
    expect(() => optionsFromExportKwargs({ state_init: 'reset' }, 'c')).toThrow('c: state_init must be one of auto, stored, zeros');
    expect(optionsFromExportKwargs({ quantized_engine: 'onednn' })).toEqual({ quantizedEngine: 'onednn' });
    expect(optionsFromExportKwargs({ quantized_engine: 'onednn-torch1' })).toEqual({ quantizedEngine: 'onednn-torch1' });
    expect(() => optionsFromExportKwargs({ quantized_engine: 'arm' })).toThrow('quantized_engine "arm" is not known; choose qnnpack, onednn or onednn-torch1');
    expect(() => optionsFromExportKwargs({ quantized_engine: 'fbgemm' })).toThrow("quantized_engine fbgemm: FBGEMM's arithmetic is not reproduced");
  });

  it('applies the files entries whose glob matches the archive, in order, over the top level', () => {
    const config = {
      opset_version: 13,
      inputs: ['float32[1,3,224,224]'],
      files: {
        'detection/*.pt': { inputs: ['[float32[3,320,320]]'], opset_version: 11 },
        '*.ptl': { opset_version: 14 },
        '**/ssd*.pt': { input_names: ['images'] },
      },
    };
    expect(optionsFromExportKwargs(config, 'c', 'models/resnet.pt')).toEqual({ opsetVersion: 13, inputs: ['float32[1,3,224,224]'] });
    expect(optionsFromExportKwargs(config, 'c', 'detection/ssd.pt')).toEqual({ opsetVersion: 11, inputs: ['[float32[3,320,320]]'], inputNames: ['images'] });
    expect(optionsFromExportKwargs(config, 'c', 'apps/a/b/mobile.ptl')).toEqual({ opsetVersion: 14, inputs: ['float32[1,3,224,224]'] });
  });

  it('checks every files entry, matching or not', () => {
    expect(() => optionsFromExportKwargs({ files: { '*.ptl': { opset_version: 'x' } } }, 'c', 'a.pt')).toThrow('c: files: *.ptl: opset_version must be a whole number');
    expect(() => optionsFromExportKwargs({ files: { '*.ptl': { files: {} } } }, 'c', 'a.pt')).toThrow(/^c: files: \*\.ptl: unknown key files; /);
    expect(() => optionsFromExportKwargs({ files: ['*.pt'] }, 'c')).toThrow('c: files must map file globs to objects of keyword arguments');
  });

  it('matches globs: * and ? within a name, ** across folders, no / for the file name alone', () => {
    const table: Array<[string, string, boolean]> = [
      ['*.pt', 'a/b/model.pt', true],
      ['*.pt', 'model.ptl', false],
      ['model?.pt', 'x/model1.pt', true],
      ['a/*.pt', 'a/m.pt', true],
      ['a/*.pt', 'a/b/m.pt', false],
      ['a/**/*.pt', 'a/b/c/m.pt', true],
      ['a/**/*.pt', 'a/m.pt', true],
      ['a/*.pt', './a/m.pt', true],
      ['[x].pt', '[x].pt', true],
      ['[x].pt', 'x.pt', false],
    ];
    for (const [glob, path, want] of table) expect([glob, path, globMatches(glob, path)]).toEqual([glob, path, want]);
  });
});

describe('readExportConfig', () => {
  it('reads a JSON file', () => {
    expect(readExportConfig(configFile('{"opset_version": 11, "training": "TrainingMode.EVAL"}'))).toEqual({ opsetVersion: 11, training: 'eval' });
  });

  it('refuses a missing file and bad JSON', () => {
    const missing = join(dir, 'missing.json');
    expect(() => readExportConfig(missing)).toThrow(expect.objectContaining({ code: 'INPUT_NOT_FOUND', message: `config ${missing} cannot be read (ENOENT)` }));
    const bad = configFile('{"opset_version": 11,}');
    expect(() => readExportConfig(bad)).toThrow(expect.objectContaining({ code: 'OPTION_INVALID' }));
    expect(() => readExportConfig(bad)).toThrow(`config ${bad} is not valid JSON`);
  });

  it('converts to the same model as the equivalent options', async () => {
    const config = {
      opset_version: 13,
      input_names: ['a', 'b'],
      output_names: ['p', 'q'],
      dynamic_axes: { a: { 0: 'batch' }, q: [0] },
      keep_initializers_as_inputs: true,
      verbose: true,
    };
    const fromConfig = await convertCase('two_inputs', readExportConfig(configFile(JSON.stringify(config))));
    const fromOptions = await convertCase('two_inputs', {
      opsetVersion: 13,
      inputNames: ['a', 'b'],
      outputNames: ['p', 'q'],
      dynamicAxes: { a: { 0: 'batch' }, q: [0] },
      keepInitializersAsInputs: true,
      verbose: true,
    });
    expect(fromConfig.model).toEqual(fromOptions.model);
    expect(fromConfig.model.inputs).toEqual([['a', ['batch', 4]], ['b', [2, 4]], ['fc.weight', [3, 4]], ['fc.bias', [3]]]);
    expect(fromConfig.model.outputs[1]).toEqual(['q', ['q_dynamic_axes_1']]);
    expect(fromConfig.model.nodes.every((n) => n.docString !== '')).toBe(true);
  });
});
