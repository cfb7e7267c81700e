import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { OnnxGraph, OnnxNode } from '../../src/ir/onnx-graph.js';
import { int64 } from '../../src/onnx/encode.js';
import onnxProto from 'onnx-proto';
import { irVersionForOpset } from '../../src/onnx/versions.js';
import { writeModel } from '../../src/onnx/writer.js';
import { bytesOf, decodeModel, emptyGraph, floatTensor, model, temporaryFolder } from './fixtures.js';

const { onnx } = onnxProto;

const { folder, remove } = temporaryFolder();
afterAll(remove);

const AttributeType = onnx.AttributeProto.AttributeType;

describe('irVersionForOpset', () => {
  it('follows onnx VERSION_TABLE', () => {
    const table = [[7, 3], [8, 3], [9, 4], [10, 5], [11, 6], [12, 7], [14, 7], [15, 8], [18, 8], [19, 9], [20, 9], [21, 10]];
    expect(table.map(([opset]) => [opset, irVersionForOpset(opset!)])).toEqual(table);
  });

  it('rejects opsets outside 7..21', () => {
    expect(() => irVersionForOpset(6)).toThrow(expect.objectContaining({ code: 'OPTION_INVALID' }));
    expect(() => irVersionForOpset(22)).toThrow(/opset 22 is not supported/);
  });
});

describe('int64', () => {
  it('clamps values past the int64 range and keeps exact bits', () => {
    expect(int64(5)).toBe(5);
    expect(int64(9223372036854775807)).toEqual({ low: -1, high: 0x7fffffff, unsigned: false });
    expect(int64(Infinity)).toEqual({ low: -1, high: 0x7fffffff, unsigned: false });
    expect(int64(-9223372036854775808)).toEqual({ low: 0, high: -0x80000000, unsigned: false });
    expect(() => int64(1.5)).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

describe('model round trip', () => {
  for (const [opset, irVersion] of [[9, 4], [11, 6], [13, 7], [17, 8], [21, 10]] as const) {
    it(`opset ${opset} → ir_version ${irVersion}`, async () => {
      const file = path.join(folder, `opset${opset}.onnx`);
      await writeModel(model(emptyGraph(), opset, [['org.pytorch.aten', 1], ['com.microsoft', 1]]), file);
      const decoded = decodeModel(file);
      expect(Number(decoded.irVersion)).toBe(irVersion);
      expect(decoded.opsetImport.map((entry) => [entry.domain, Number(entry.version)])).toEqual([
        ['', opset], ['com.microsoft', 1], ['org.pytorch.aten', 1],
      ]);
      expect(decoded.producerName).toBe('tsonnx');
      expect(decoded.producerVersion).toBe('0.1.0');
      expect(decoded.graph!.name).toBe('main_graph');
    });
  }

  const thenBranch: OnnxGraph = {
    ...emptyGraph('then_graph'),
    nodes: [{ opType: 'Constant', domain: '', inputs: [], outputs: ['then_out'], name: '/Constant', attrs: { value: { t: floatTensor('', [2], [1.5, -2]) } } }],
    outputs: [{ name: 'then_out', dtype: 'float32', shape: [2] }],
  };
  const nodes: OnnxNode[] = [
    {
      opType: 'Slice', domain: '', inputs: ['x', '', 'ends'], outputs: ['sliced'], name: '/Slice',
      attrs: {
        axis: -1,
        ints: [0, 9223372036854775807, -9223372036854775808, 3],
        mode: 'nearest',
        alpha: { f: 0.5 },
        scales: { floats: [1, 2.5] },
        names: { strings: ['a', 'bé'] },
        value: { t: { name: 'c', dtype: 'int64', dims: [2], data: { kind: 'bytes', bytes: bytesOf(BigInt64Array.from([7n, -1n])) } } },
      },
      docString: 'code/__torch__/m.py:3',
    },
    { opType: 'If', domain: '', inputs: ['cond'], outputs: ['y'], name: '/If', attrs: { then_branch: { g: thenBranch } } },
    { opType: 'MyOp', domain: 'com.example', inputs: ['y'], outputs: ['z'], name: '/MyOp', attrs: {} },
  ];
  const graph: OnnxGraph = {
    name: 'main_graph',
    nodes,
    inputs: [
      { name: 'x', dtype: 'float32', shape: ['batch', 3, 224] },
      { name: 'cond', dtype: 'bool', shape: [] },
      { name: 'rank_unknown', dtype: 'int64' },
      { name: 'items', dtype: 'float16', shape: [2, 'n'], sequence: true },
    ],
    outputs: [{ name: 'z', dtype: 'float32', shape: ['batch', 3] }],
    initializers: [
      floatTensor('fc.weight', [2, 3], [1, 2, 3, 4, 5, 6]),
      { name: 'ends', dtype: 'int64', dims: [1], data: { kind: 'bytes', bytes: bytesOf(BigInt64Array.from([9223372036854775807n])) } },
    ],
    valueInfo: [{ name: 'sliced', dtype: 'float32', shape: ['batch', 3, 5] }],
  };

  it('keeps nodes, attributes, value infos and initializers', async () => {
    const file = path.join(folder, 'full.onnx');
    const report = await writeModel(model(graph), file);
    const decoded = decodeModel(file);
    expect(report).toEqual({ path: file, bytes: readFileSync(file).byteLength, initializers: 2, initializerBytes: 32, externalData: undefined });

    const g = decoded.graph!;
    expect(g.node.map((node) => [node.opType, node.domain, node.name, node.input, node.output])).toEqual([
      ['Slice', '', '/Slice', ['x', '', 'ends'], ['sliced']],
      ['If', '', '/If', ['cond'], ['y']],
      ['MyOp', 'com.example', '/MyOp', ['y'], ['z']],
    ]);
    const attrs = Object.fromEntries(g.node[0]!.attribute.map((attribute) => [attribute.name, attribute]));
    expect([attrs.axis!.type, String(attrs.axis!.i)]).toEqual([AttributeType.INT, '-1']);
    expect(attrs.ints!.type).toBe(AttributeType.INTS);
    expect(attrs.ints!.ints.map(String)).toEqual(['0', '9223372036854775807', '-9223372036854775808', '3']);
    expect([attrs.mode!.type, Buffer.from(attrs.mode!.s).toString()]).toEqual([AttributeType.STRING, 'nearest']);
    expect([attrs.alpha!.type, attrs.alpha!.f]).toEqual([AttributeType.FLOAT, 0.5]);
    expect([attrs.scales!.type, attrs.scales!.floats]).toEqual([AttributeType.FLOATS, [1, 2.5]]);
    expect([attrs.names!.type, attrs.names!.strings.map((s) => Buffer.from(s).toString())]).toEqual([AttributeType.STRINGS, ['a', 'bé']]);
    const constant = attrs.value!.t!;
    expect([attrs.value!.type, constant.name, constant.dataType, constant.dims.map(Number)]).toEqual([AttributeType.TENSOR, 'c', 7, [2]]);
    expect([...new BigInt64Array(Uint8Array.from(constant.rawData).buffer)]).toEqual([7n, -1n]);

    const ifAttr = g.node[1]!.attribute[0]!;
    expect([ifAttr.name, ifAttr.type, ifAttr.g!.name]).toEqual(['then_branch', AttributeType.GRAPH, 'then_graph']);
    const inner = ifAttr.g!.node[0]!;
    expect([inner.opType, inner.output, inner.attribute[0]!.t!.dataType]).toEqual(['Constant', ['then_out'], 1]);
    expect([...new Float32Array(Uint8Array.from(inner.attribute[0]!.t!.rawData).buffer)]).toEqual([1.5, -2]);
    expect(ifAttr.g!.output[0]!.type!.tensorType!.shape!.dim.map((dim) => Number(dim.dimValue))).toEqual([2]);

    const [x, cond, rankUnknown, items] = g.input;
    expect(x!.name).toBe('x');
    expect(x!.type!.tensorType!.elemType).toBe(1);
    expect(x!.type!.tensorType!.shape!.dim.map((dim) => dim.dimParam || Number(dim.dimValue))).toEqual(['batch', 3, 224]);
    expect(cond!.type!.tensorType!.elemType).toBe(9);
    expect(cond!.type!.tensorType!.shape!.dim).toEqual([]);
    expect(rankUnknown!.type!.tensorType!.elemType).toBe(7);
    expect(rankUnknown!.type!.tensorType!.shape).toBeNull();
    const element = items!.type!.sequenceType!.elemType!.tensorType!;
    expect([element.elemType, element.shape!.dim.map((dim) => dim.dimParam || Number(dim.dimValue))]).toEqual([10, [2, 'n']]);
    expect(g.output[0]!.type!.tensorType!.shape!.dim.map((dim) => dim.dimParam || Number(dim.dimValue))).toEqual(['batch', 3]);
    expect(g.valueInfo.map((info) => info.name)).toEqual(['sliced']);

    expect(g.initializer.map((tensor) => [tensor.name, tensor.dataType, tensor.dims.map(Number)])).toEqual([
      ['fc.weight', 1, [2, 3]],
      ['ends', 7, [1]],
    ]);
    expect([...new Float32Array(Uint8Array.from(g.initializer[0]!.rawData).buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...new BigInt64Array(Uint8Array.from(g.initializer[1]!.rawData).buffer)]).toEqual([9223372036854775807n]);
  });

  it('computes computed initializers once, when it writes them', async () => {
    let calls = 0;
    const folded: OnnxGraph = {
      ...emptyGraph(),
      initializers: [{
        name: 'conv.weight_fused_bn', dtype: 'float32', dims: [3],
        data: { kind: 'computed', compute: () => (calls++, bytesOf(Float32Array.from([0.5, -1, 4]))) },
      }],
    };
    const file = path.join(folder, 'computed.onnx');
    const report = await writeModel(model(folded), file);
    expect(calls).toBe(1);
    expect(report.initializerBytes).toBe(12);
    const [initializer] = decodeModel(file).graph.initializer;
    expect([initializer!.name, [...new Float32Array(Uint8Array.from(initializer!.rawData).buffer)]]).toEqual(['conv.weight_fused_bn', [0.5, -1, 4]]);
  });

  it('writes node doc strings only when asked', async () => {
    const plain = path.join(folder, 'plain.onnx');
    const verbose = path.join(folder, 'verbose.onnx');
    await writeModel(model(graph), plain);
    await writeModel(model(graph), verbose, { docStrings: true });
    expect(decodeModel(plain).graph!.node.map((node) => node.docString)).toEqual(['', '', '']);
    expect(decodeModel(verbose).graph!.node.map((node) => node.docString)).toEqual(['code/__torch__/m.py:3', '', '']);
  });

  it('lists initializers as inputs after the real inputs when asked', async () => {
    const file = path.join(folder, 'kept.onnx');
    await writeModel(model(graph, 9), file, { keepInitializersAsInputs: true });
    const inputs = decodeModel(file).graph!.input;
    expect(inputs.map((input) => input.name)).toEqual(['x', 'cond', 'rank_unknown', 'items', 'fc.weight', 'ends']);
    expect(inputs[4]!.type!.tensorType!.shape!.dim.map((dim) => Number(dim.dimValue))).toEqual([2, 3]);
    expect(inputs[5]!.type!.tensorType!.elemType).toBe(7);
  });
});
