import { describe, expect, it } from 'vitest';
import { encodeAttribute, encodeGraph, encodeNode, encodeTensor, encodeValueInfo } from '../../src/onnx/encode.js';
import onnxProto from 'onnx-proto';
import { encodeMessage } from '../../src/onnx/proto.js';
import type { OnnxGraph, OnnxTensor } from '../../src/ir/onnx-graph.js';

const { onnx } = onnxProto;

const floats = (values: number[]): OnnxTensor => ({
  name: 'w',
  dtype: 'float32',
  dims: [values.length],
  data: { kind: 'bytes', bytes: new Uint8Array(new Float32Array(values).buffer) },
});

const bigTensor: OnnxTensor = { ...floats(Array.from({ length: 5000 }, (_, i) => i / 7)), name: 'big_ünïcode_名前' };

const subgraph: OnnxGraph = {
  name: 'then_branch',
  nodes: [{ opType: 'Identity', name: 'Identity_0', domain: '', inputs: ['x'], outputs: ['y'], attrs: {} }],
  initializers: [floats([1, 2, 3])],
  inputs: [],
  outputs: [{ name: 'y', dtype: 'float32', shape: [3] }],
  valueInfo: [{ name: 'x', dtype: 'int64', shape: [] }],
} as unknown as OnnxGraph;

describe('proto encoding matches protobufjs byte for byte', () => {
  it('attributes of every kind, int64 edge values included', () => {
    const attrs = [
      encodeAttribute('i', 0, {}),
      encodeAttribute('neg', -1, {}),
      encodeAttribute('big', 2 ** 40 + 3, {}),
      encodeAttribute('max', Number.MAX_SAFE_INTEGER, {}),
      encodeAttribute('end', Infinity, {}),
      encodeAttribute('start', -Infinity, {}),
      encodeAttribute('ints', [0, -5, 2 ** 53 - 1, Infinity, -(2 ** 63) * 2], {}),
      encodeAttribute('empty_ints', [], {}),
      encodeAttribute('f', { f: 0.1 }, {}),
      encodeAttribute('nan', { f: NaN }, {}),
      encodeAttribute('floats', { floats: [1.5, -0, 3e38, 1e-45] }, {}),
      encodeAttribute('s', 'mode', {}),
      encodeAttribute('s_utf8', 'déjà vu ✓ 𝄞', {}),
      encodeAttribute('strings', { strings: ['a', '', 'ü'] }, {}),
      encodeAttribute('t', { t: bigTensor }, {}),
      encodeAttribute('g', { g: subgraph }, {}),
    ];
    for (const attr of attrs) {
      expect(encodeMessage('attribute', attr), attr.name!).toEqual(new Uint8Array(onnx.AttributeProto.encode(attr).finish()));
    }
  });

  it('nodes, value infos and tensors, with lengths past one and two varint bytes', () => {
    const name = 'n'.repeat(20000);
    const node = encodeNode({ opType: 'Conv', name, domain: '', inputs: ['x', '', 'w'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1], auto_pad: 'NOTSET' }, docString: 'at model.py:3' } as never, { docStrings: true });
    expect(encodeMessage('node', node)).toEqual(new Uint8Array(onnx.NodeProto.encode(node).finish()));
    const noDomain = encodeNode({ opType: 'Relu', name: '', inputs: [], outputs: [], attrs: {} } as never, {});
    expect(encodeMessage('node', noDomain)).toEqual(new Uint8Array(onnx.NodeProto.encode(noDomain).finish()));
    for (const value of [
      { name: 'x', dtype: 'float32', shape: [1, 'batch', 0] },
      { name: 'scalar', dtype: 'int64', shape: [] },
      { name: 'unknown', dtype: 'bool' },
      { name: 'seq', dtype: 'float16', shape: [2], sequence: true },
    ] as const) {
      const info = encodeValueInfo(value as never);
      expect(encodeMessage('valueInfo', info), value.name).toEqual(new Uint8Array(onnx.ValueInfoProto.encode(info).finish()));
    }
    const tensor = encodeTensor(bigTensor);
    expect(encodeMessage('tensor', tensor)).toEqual(new Uint8Array(onnx.TensorProto.encode(tensor).finish()));
    const external = { ...tensor, rawData: undefined, externalData: [{ key: 'location', value: 'm.onnx.data' }, { key: 'offset', value: '4096' }], dataLocation: 1 };
    expect(encodeMessage('tensor', external)).toEqual(new Uint8Array(onnx.TensorProto.encode(external).finish()));
  });

  it('graphs and models, and messages protobufjs decoded (defaults on their prototypes)', () => {
    const graph = encodeGraph(subgraph, {});
    expect(encodeMessage('graph', graph)).toEqual(new Uint8Array(onnx.GraphProto.encode(graph).finish()));
    const model = {
      irVersion: 8,
      producerName: 'tsonnx',
      producerVersion: '0.1.0',
      docString: 'converted',
      graph,
      opsetImport: [{ domain: '', version: 17 }, { domain: 'com.example', version: 2 }],
      metadataProps: [{ key: 'k', value: 'v' }],
    };
    const bytes = onnx.ModelProto.encode(model).finish();
    expect(encodeMessage('model', model)).toEqual(new Uint8Array(bytes));
    expect(encodeMessage('model', onnx.ModelProto.decode(bytes))).toEqual(new Uint8Array(bytes));
  });

  it('refuses a field it does not know instead of dropping it', () => {
    expect(() => encodeMessage('node', { opType: 'Relu', overload: 'x' })).toThrow(/NodeProto\.overload/);
    expect(encodeMessage('node', { opType: 'Relu', overload: undefined })).toEqual(new Uint8Array(onnx.NodeProto.encode({ opType: 'Relu' }).finish()));
  });
});
