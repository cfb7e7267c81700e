/** Written models run in onnxruntime, with weights streamed from archive-style storages. */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { OnnxGraph, OnnxTensor } from '../../src/ir/onnx-graph.js';
import onnxProto from 'onnx-proto';
import { float16Bits } from '../../src/onnx/tensor-bytes.js';
import { writeModel, type WriteOptions } from '../../src/onnx/writer.js';
import { bytesOf, decodeModel, eighths, model, storageFile, temporaryFolder, tensorRef } from './fixtures.js';

const { onnx } = onnxProto;

const { folder, remove } = temporaryFolder();
afterAll(remove);

async function run(file: string, feeds: Record<string, { dims: number[]; values: number[] }>): Promise<number[]> {
  const session = await ort.InferenceSession.create(file);
  const inputs = Object.fromEntries(
    Object.entries(feeds).map(([name, { dims, values }]) => [name, new ort.Tensor('float32', Float32Array.from(values), dims)]),
  );
  const outputs = await session.run(inputs);
  await session.release();
  return [...(outputs[session.outputNames[0]!]!.data as Float32Array)];
}

function conv2d(x: number[], w: number[], b: number[], [cin, h, width]: number[], [cout, k]: number[]): number[] {
  const out: number[] = [];
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < width; j++) {
        let sum = b[o]!;
        for (let c = 0; c < cin; c++) {
          for (let di = 0; di < k; di++) {
            for (let dj = 0; dj < k; dj++) {
              const [y, xx] = [i + di - 1, j + dj - 1];
              if (y < 0 || y >= h || xx < 0 || xx >= width) continue;
              sum += x[(c * h + y) * width + xx]! * w[((o * cin + c) * k + di) * k + dj]!;
            }
          }
        }
        out.push(sum);
      }
    }
  }
  return out;
}

/** y = x · wᵀ + b, as Gemm with transB=1. */
function gemm(x: number[], w: number[], b: number[], rows: number, inner: number, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let sum = b[c]!;
      for (let k = 0; k < inner; k++) sum += x[r * inner + k]! * w[c * inner + k]!;
      out.push(sum);
    }
  }
  return out;
}

/** The same values with axes (0, 1) swapped, for storing a tensor transposed. */
function transposed01(values: number[], [a, b, ...rest]: number[]): number[] {
  const inner = rest.reduce((n, d) => n * d, 1);
  const out: number[] = [];
  for (let j = 0; j < b!; j++) for (let i = 0; i < a!; i++) out.push(...values.slice((i * b! + j) * inner, (i * b! + j + 1) * inner));
  return out;
}

function convGraph(weight: OnnxTensor, bias: OnnxTensor, castWeight = false): OnnxGraph {
  const weightName = castWeight ? 'weight_float' : weight.name;
  return {
    name: 'main_graph',
    nodes: [
      ...(castWeight ? [{ opType: 'Cast', domain: '', inputs: [weight.name], outputs: [weightName], attrs: { to: 1 }, name: '/Cast' }] : []),
      {
        opType: 'Conv', domain: '', inputs: ['x', weightName, bias.name], outputs: ['y'], name: '/conv/Conv',
        attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
      },
    ],
    inputs: [{ name: 'x', dtype: 'float32', shape: [1, 2, 5, 5] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1, 3, 5, 5] }],
    initializers: [weight, bias],
    valueInfo: [],
  };
}

describe('Conv with archive weights', () => {
  const x = eighths(2 * 5 * 5, 3);
  const w = eighths(3 * 2 * 3 * 3, 5);
  const b = [0.5, -1, 0.25];
  const expected = conv2d(x, w, b, [2, 5, 5], [3, 3]);

  const archive = path.join(folder, 'conv.pt');
  const [packed, transposedF32, halves] = storageFile(archive, [
    // 5 leading floats, then the weight and the bias in one storage: both are views with an offset.
    bytesOf(Float32Array.from([9, 9, 9, 9, 9, ...w, ...b])),
    bytesOf(Float32Array.from(transposed01(w, [3, 2, 3, 3]))),
    bytesOf(Uint16Array.from([...w, ...b].map(float16Bits))),
  ]);
  const bias: OnnxTensor = { name: 'conv.bias', dtype: 'float32', dims: [3], data: { kind: 'archive', ref: tensorRef(packed!, 'float32', [3], { storageOffset: 5 + w.length }) } };
  const contiguous: OnnxTensor = { name: 'conv.weight', dtype: 'float32', dims: [3, 2, 3, 3], data: { kind: 'archive', ref: tensorRef(packed!, 'float32', [3, 2, 3, 3], { storageOffset: 5 }) } };
  // Stored as [in, out, kh, kw]; the view swaps the first two axes back.
  const strided: OnnxTensor = { name: 'conv.weight', dtype: 'float32', dims: [3, 2, 3, 3], data: { kind: 'archive', ref: tensorRef(transposedF32!, 'float32', [3, 2, 3, 3], { strides: [9, 27, 3, 1] }) } };
  const halfRef = tensorRef(halves!, 'float16', [3, 2, 3, 3]);
  const halfBias: OnnxTensor = { name: 'conv.bias', dtype: 'float32', dims: [3], data: { kind: 'archive', ref: tensorRef(halves!, 'float16', [3], { storageOffset: w.length }) } };

  const cases: Array<[string, OnnxGraph, WriteOptions]> = [
    ['contiguous, streamed from the archive file', convGraph(contiguous, bias), { archivePath: archive }],
    ['contiguous, read through the entry', convGraph(contiguous, bias), {}],
    ['strided', convGraph(strided, bias), { archivePath: archive }],
    ['float16 kept as float16 (Cast in the graph)', convGraph({ name: 'conv.weight', dtype: 'float16', dims: [3, 2, 3, 3], data: { kind: 'archive', ref: halfRef } }, bias, true), { archivePath: archive }],
    ['float16 storage written as float32', convGraph({ name: 'conv.weight', dtype: 'float32', dims: [3, 2, 3, 3], data: { kind: 'archive', ref: halfRef } }, halfBias), { archivePath: archive }],
  ];
  cases.forEach(([title, graph, options], index) => {
    it(title, async () => {
      const file = path.join(folder, `conv${index}.onnx`);
      const report = await writeModel(model(graph, 13), file, options);
      expect(report.initializers).toBe(2);
      expect(await run(file, { x: { dims: [1, 2, 5, 5], values: x } })).toEqual(expected);
    });
  });

  it('writes float16 initializers as float16 bits', async () => {
    const file = path.join(folder, 'conv-half.onnx');
    await writeModel(model(cases[3]![1], 13), file, { archivePath: archive });
    const initializer = decodeModel(file).graph!.initializer[0]!;
    expect(initializer.dataType).toBe(10);
    expect([...new Uint16Array(Uint8Array.from(initializer.rawData).buffer)]).toEqual(w.map(float16Bits));
  });
});

describe('Gemm with float64 archive weights', () => {
  it('converts them to float32 while streaming', async () => {
    const xs = eighths(2 * 4, 1);
    const w = eighths(3 * 4, 2);
    const b = [1, 2, 3];
    const archive = path.join(folder, 'gemm.pt');
    const [weights] = storageFile(archive, [bytesOf(Float64Array.from([...b, ...w]))]);
    const graph: OnnxGraph = {
      name: 'main_graph',
      nodes: [{ opType: 'Gemm', domain: '', inputs: ['x', 'fc.weight', 'fc.bias'], outputs: ['y'], name: '/fc/Gemm', attrs: { transB: 1 } }],
      inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: ['batch', 3] }],
      initializers: [
        { name: 'fc.weight', dtype: 'float32', dims: [3, 4], data: { kind: 'archive', ref: tensorRef(weights!, 'float64', [3, 4], { storageOffset: 3 }) } },
        { name: 'fc.bias', dtype: 'float32', dims: [3], data: { kind: 'archive', ref: tensorRef(weights!, 'float64', [3]) } },
      ],
      valueInfo: [],
    };
    const file = path.join(folder, 'gemm.onnx');
    const report = await writeModel(model(graph, 17), file, { archivePath: archive });
    expect(report.initializerBytes).toBe(15 * 4);
    expect(await run(file, { x: { dims: [2, 4], values: xs } })).toEqual(gemm(xs, w, b, 2, 4, 3));
  });
});

describe('external data', () => {
  const xs = eighths(2 * 32, 4);
  const w1 = eighths(48 * 32, 6);
  const b1 = eighths(48, 7);
  const w2 = eighths(24 * 48, 8);
  const b2 = eighths(24, 9);
  const expected = gemm(gemm(xs, w1, b1, 2, 32, 48), w2, b2, 2, 48, 24);

  const archive = path.join(folder, 'mlp.pt');
  const [first, second] = storageFile(archive, [
    bytesOf(Float32Array.from([...w1, ...b1])),
    bytesOf(Float32Array.from(transposed01(w2, [24, 48]))),
  ]);
  const graph: OnnxGraph = {
    name: 'main_graph',
    nodes: [
      { opType: 'Gemm', domain: '', inputs: ['x', 'fc1.weight', 'fc1.bias'], outputs: ['h'], name: '/fc1/Gemm', attrs: { transB: 1 } },
      { opType: 'Gemm', domain: '', inputs: ['h', 'fc2.weight', 'fc2.bias'], outputs: ['y'], name: '/fc2/Gemm', attrs: { transB: 1 } },
    ],
    inputs: [{ name: 'x', dtype: 'float32', shape: [2, 32] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [2, 24] }],
    initializers: [
      { name: 'fc1.weight', dtype: 'float32', dims: [48, 32], data: { kind: 'archive', ref: tensorRef(first!, 'float32', [48, 32]) } },
      { name: 'fc1.bias', dtype: 'float32', dims: [48], data: { kind: 'archive', ref: tensorRef(first!, 'float32', [48], { storageOffset: w1.length }) } },
      { name: 'fc2.weight', dtype: 'float32', dims: [24, 48], data: { kind: 'archive', ref: tensorRef(second!, 'float32', [24, 48], { strides: [1, 24] }) } },
      { name: 'fc2.bias', dtype: 'float32', dims: [24], data: { kind: 'bytes', bytes: bytesOf(Float32Array.from(b2)) } },
    ],
    valueInfo: [],
  };

  it('puts tensors over 1024 elements in <out>.data at 4096-aligned offsets', async () => {
    const file = path.join(folder, 'mlp.onnx');
    const report = await writeModel(model(graph, 17), file, { archivePath: archive, externalData: 'always' });
    expect(report.externalData).toEqual({ path: `${file}.data`, bytes: 8192 + 24 * 48 * 4, tensors: 2 });
    expect(statSync(`${file}.data`).size).toBe(8192 + 24 * 48 * 4);
    expect(report.bytes).toBe(statSync(file).size);
    expect(report.initializerBytes).toBe((w1.length + b1.length + w2.length + b2.length) * 4);

    const initializers = decodeModel(file).graph!.initializer;
    const externalEntries = initializers.map((tensor) => [
      tensor.name,
      tensor.dataLocation,
      Object.fromEntries(tensor.externalData.map(({ key, value }) => [key, value])),
      tensor.rawData.byteLength,
    ]);
    expect(externalEntries).toEqual([
      ['fc1.weight', 1, { location: 'mlp.onnx.data', offset: '0', length: '6144' }, 0],
      ['fc1.bias', 0, {}, 48 * 4],
      ['fc2.weight', 1, { location: 'mlp.onnx.data', offset: '8192', length: '4608' }, 0],
      ['fc2.bias', 0, {}, 24 * 4],
    ]);
    const data = readFileSync(`${file}.data`);
    expect([...new Float32Array(data.buffer.slice(data.byteOffset + 8192, data.byteOffset + 8192 + 4608))]).toEqual(w2);

    expect(await run(file, { x: { dims: [2, 32], values: xs } })).toEqual(expected);
  });

  it('gives the same outputs inline', async () => {
    const file = path.join(folder, 'mlp-inline.onnx');
    const report = await writeModel(model(graph, 17), file, { archivePath: archive });
    expect(report.externalData).toBeUndefined();
    expect(await run(file, { x: { dims: [2, 32], values: xs } })).toEqual(expected);
  });
});
