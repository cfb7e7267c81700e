/**
 * verbose (docs/export-semantics.md §1): node doc_strings hold the source location (torch writes a source
 * excerpt; tsonnx the TorchScript position and, where the archive's .debug_pkl has it, the Python one),
 * none without verbose, and the graph text the CLI prints.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../../src/index.js';
import { fixturesRoot } from '../helpers/cases.js';
import { convertCase, outputPath, reference } from './support.js';

/** `code/x.py:29 (conv.py:459)` from torch's excerpt: its Serialized location and its Python file and line. */
function torchLocation(doc: string): { torchscript: string; python: string } {
  const python = /File "([^"]*)", line (\d+)/.exec(doc);
  const serialized = /Serialized\s+File "([^"]*)", line (\d+)/.exec(doc);
  if (!python || !serialized) throw new Error(`not a torch source excerpt: ${doc}`);
  return { torchscript: `${serialized[1]}:${serialized[2]}`, python: `${python[1].split('/').at(-1)}:${python[2]}` };
}

describe('verbose', () => {
  // The Python line of F.conv2d's call in torch/nn/modules/conv.py differs between the versions.
  it.each([['torch113', 'conv.py:459'], ['torch26', 'conv.py:549']] as const)('keeps each node\'s source location as its doc_string (%s)', async (torch, convLine) => {
    const { model } = await convertCase('conv_bn_dropout', { opsetVersion: 13, verbose: true }, { torch });
    const want = reference('conv_bn_dropout', 'verbose_13', torch);
    expect(model.nodes.map((n) => [n.opType, n.docString])).toEqual([
      ['Conv', `code/__torch__/torch/nn/modules/conv.py:29 (${convLine})`],
      ['Relu', 'code/__torch__.py:15 (conformance_cases.py:38)'],
    ]);
    const [conv, relu] = want.nodes.map((n) => torchLocation(n.docString));
    expect(conv).toEqual({ torchscript: 'code/__torch__/torch/nn/modules/conv.py:29', python: convLine });
    expect(model.nodes[0].docString).toBe(`${conv.torchscript} (${conv.python})`);
    expect(model.nodes[1].docString).toBe(`${relu.torchscript} (${relu.python})`);
    expect(model.graphDocString).toBe('');
  });

  it('writes no doc_strings without it', async () => {
    const { model, report } = await convertCase('conv_bn_dropout', { opsetVersion: 13 });
    expect(model.nodes.map((n) => n.docString)).toEqual(['', '']);
    expect(report.graph).toBeUndefined();
    expect(reference('conv_bn_dropout', 'eval_9').nodes.map((n) => n.docString)).toEqual(['', '']);
  });

  it('reports the graph as text, one line per node', async () => {
    const { report } = await convertCase('conv_bn_dropout', { opsetVersion: 13, verbose: true });
    expect(report.graph).toBe(
      [
        'graph main_graph(x: float32[2,3,6,6])',
        '  initializer conv.weight_fused_bn: float32[4,3,3,3]',
        '  initializer conv.bias_fused_bn: float32[4]',
        '  /conv/Conv: /conv/Conv_output_0 = Conv(x, conv.weight_fused_bn, conv.bias_fused_bn) dilations=[1,1] group=1 pads=[1,1,1,1] strides=[1,1] kernel_shape=[3,3]  # code/__torch__/torch/nn/modules/conv.py:29 (conv.py:459)',
        '  /Relu: output = Relu(/conv/Conv_output_0)  # code/__torch__.py:15 (conformance_cases.py:38)',
        '  return output: float32[2,4,6,6]',
        '',
      ].join('\n'),
    );
  });

  it('shows domains, constant values and sub-graphs in the graph text', async () => {
    const aten = await convertCase('round_relu', { opsetVersion: 9, operatorExportType: 'onnx_aten_fallback', verbose: true });
    expect(aten.report.graph).toContain('  /ATen: output = org.pytorch.aten.ATen(/Mul_output_0) operator="round" overload_name=""  # code/__torch__.py:9 (conformance_cases.py:45)\n');
    const training = await convertCase('conv_bn_dropout', { opsetVersion: 12, training: 'training', verbose: true });
    expect(training.report.graph).toMatch(/\n {2}\/drop\/Constant: \/drop\/Constant_output_0 = Constant\(\) value=float32\[\] 0\.30000001192092896 {2}# /);
    expect(training.report.graph).toMatch(/\n {2}\/drop\/Constant_1: \/drop\/Constant_1_output_0 = Constant\(\) value=bool\[\] true {2}# /);
    const archive = join(fixturesRoot, 'control', 'if_data_pos', 'torch113', 'model.pt');
    const branch = await convert(archive, outputPath('if'), { inputs: ['float32[2,3]'], verbose: true });
    const lines = (branch.graph ?? '').split('\n');
    expect(lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.split(':')[0])).toEqual(['  /ReduceSum', '  /Constant', '  /Greater', '  /If', '  return output_0']);
    expect(lines).toContain('  /If: output_0, output_1 = If(/Greater_output_0) then_branch=<graph sub_graph1> else_branch=<graph sub_graph2>  # code/__torch__.py:8 (control_cases.py:113)');
    expect(lines).toContain('    graph sub_graph1()');
    expect(lines).toContain('      /Mul: /Mul_output_0 = Mul(x, /Constant_1_output_0)  # code/__torch__.py:9 (control_cases.py:114)');
    expect(lines).toContain('      return /Identity_2_output_0: float32[2,3], /Identity_3_output_0: float32[2,3]');
  });
});
