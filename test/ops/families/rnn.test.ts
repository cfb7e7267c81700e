import { describe, expect, it } from 'vitest';
import type { GValue } from '../../../src/ir/torch-graph.js';
import { expectClose, infer, lowerOp, opTypes, runOp, tensorValue, type InputData } from '../harness.js';

/*
 * The packed (`.data`) overloads alone (the op table's packed_* cases reach them through
 * pack_padded_sequence), checked against torch 1.13.1:
 *   torch.lstm(data, batch_sizes, [h0, c0], params, True, 2, 0.0, False, True) and
 *   torch.gru(data, batch_sizes, h0, params, True, 1, 0.0, False, False)
 * with every tensor filled by vals(n, phase) = [round(0.5 * sin(0.7 * i + phase), 4) for i in range(n)].
 */
function vals(n: number, phase: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(0.5 * Math.sin(0.7 * i + phase) * 1e4) / 1e4);
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface Filled {
  value: GValue;
  data: InputData;
}

function filled(shape: number[], phase: number, dtype: 'float32' | 'int64' = 'float32', data?: number[]): Filled {
  return { value: tensorValue(dtype, shape), data: data ?? vals(numel(shape), phase) };
}

function feeds(...inputs: Filled[]): Map<GValue, InputData> {
  return new Map(inputs.map((f) => [f.value, f.data]));
}

describe('packed sequences (aten::lstm.data, aten::gru.data)', () => {
  const I = 2;
  const H = 3;

  it('runs a two-layer bidirectional LSTM over sequences of lengths 3 and 2', async () => {
    const params: Filled[] = [];
    let phase = 0;
    for (let layer = 0; layer < 2; layer++) {
      for (let d = 0; d < 2; d++) {
        const inputSize = layer === 0 ? I : 2 * H;
        for (const shape of [[4 * H, inputSize], [4 * H, H], [4 * H], [4 * H]]) params.push(filled(shape, phase++));
      }
    }
    const data = filled([5, I], 10);
    const batchSizes = filled([3], 0, 'int64', [2, 2, 1]);
    const h0 = filled([4, 2, H], 20);
    const c0 = filled([4, 2, H], 30);
    const call = {
      op: 'aten::lstm',
      overload: 'data',
      args: [data.value, batchSizes.value, [h0.value, c0.value], params.map((p) => p.value), true, 2, 0.0, false, true],
    };
    expect(infer(call)).toEqual([
      { kind: 'tensor', dtype: 'float32', shape: [5, 6] },
      { kind: 'tensor', dtype: 'float32', shape: [4, 2, 3] },
      { kind: 'tensor', dtype: 'float32', shape: [4, 2, 3] },
    ]);
    for (const opset of [11, 21]) {
      const [out, hn, cn] = await runOp(call, { opset, feeds: feeds(data, batchSizes, h0, c0, ...params) });
      expect(out.dims).toEqual([5, 6]);
      expectClose(out.data, [
        0.294312, 0.086066, 0.014481, -0.183819, 0.054073, 0.402183, 0.156388, -0.007907, -0.11765, -0.134779, 0.039339, 0.396477,
        0.297357, 0.038925, -0.038514, -0.155683, 0.029456, 0.353608, 0.237984, 0.004684, -0.124657, -0.146237, 0.188856, 0.403778,
        0.330125, 0.021717, -0.073504, -0.092142, 0.001474, 0.162008,
      ]);
      expectClose(hn.data, [
        0.288183, 0.161109, 0.108398, 0.295553, 0.190329, 0.129992, -0.418449, -0.439732, -0.214482, -0.425981, -0.373447, -0.26462,
        0.330125, 0.021717, -0.073504, 0.237984, 0.004684, -0.124657, -0.183819, 0.054073, 0.402183, -0.134779, 0.039339, 0.396477,
      ]);
      expectClose(cn.data, [
        0.473029, 0.387116, 0.332047, 0.454704, 0.366254, 0.39037, -0.729437, -0.881274, -0.326115, -0.794527, -0.636105, -0.409401,
        0.931711, 0.089149, -0.249112, 0.628134, 0.017211, -0.457766, -0.294347, 0.103221, 0.835724, -0.198274, 0.080748, 0.849848,
      ]);
    }
  });

  it('runs a GRU over sequences of lengths 3 and 1, from opset 9 (Compress, Scatter, NonZero) on', async () => {
    const params = [filled([3 * H, I], 40), filled([3 * H, H], 41), filled([3 * H], 42), filled([3 * H], 43)];
    const data = filled([4, I], 50);
    const batchSizes = filled([3], 0, 'int64', [2, 1, 1]);
    const h0 = filled([1, 2, H], 60);
    const call = {
      op: 'aten::gru',
      overload: 'data',
      args: [data.value, batchSizes.value, h0.value, params.map((p) => p.value), true, 1, 0.0, false, false],
    };
    for (const opset of [9, 11]) {
      const [out, hn] = await runOp(call, { opset, feeds: feeds(data, batchSizes, h0, ...params) });
      expect(out.dims).toEqual([4, 3]);
      expectClose(out.data, [0.015457, -0.283708, -0.487852, -0.248375, -0.009139, 0.188595, 0.125093, -0.230636, -0.457012, 0.334992, -0.161592, -0.548729]);
      expectClose(hn.data, [0.334992, -0.161592, -0.548729, -0.248375, -0.009139, 0.188595]);
    }
    expect(() => lowerOp(call, 8)).toThrow(/opset 9/);
  });

});

describe('recurrent shape rules and lowering', () => {
  const lstmParams = (layers: number, dirs: number, input: number, hidden: number, proj = 0) => {
    const out: GValue[] = [];
    for (let l = 0; l < layers; l++) {
      for (let d = 0; d < dirs; d++) {
        const inputSize = l === 0 ? input : dirs * (proj || hidden);
        out.push(tensorValue('float32', [4 * hidden, inputSize]), tensorValue('float32', [4 * hidden, proj || hidden]));
        out.push(tensorValue('float32', [4 * hidden]), tensorValue('float32', [4 * hidden]));
        if (proj) out.push(tensorValue('float32', [proj, hidden]));
      }
    }
    return out;
  };

  it('keeps batch_first layout and symbolic dims', () => {
    const x = tensorValue('float32', ['batch', 'time', 4]);
    const h = tensorValue('float32', [4, 'batch', 5]);
    const types = infer({ op: 'aten::lstm', overload: 'input', args: [x, [h, h], lstmParams(2, 2, 4, 5), true, 2, 0.0, false, true, true] });
    expect(types.map((t) => (t.kind === 'tensor' ? t.shape : []))).toEqual([['batch', 'time', 10], [4, 'batch', 5], [4, 'batch', 5]]);
  });

  it('lowers one ONNX node per layer with the gates reordered by Split and Concat', () => {
    const x = tensorValue('float32', [3, 2, 4]);
    const h = tensorValue('float32', [2, 2, 5]);
    const { graph } = lowerOp({ op: 'aten::lstm', overload: 'input', args: [x, [h, h], lstmParams(2, 1, 4, 5), true, 2, 0.0, false, false, false] }, 13);
    const types = opTypes(graph);
    expect(types.filter((t) => t === 'LSTM')).toHaveLength(2);
    expect(types.filter((t) => t === 'Split')).toHaveLength(8);
    const lstm = graph.nodes.find((n) => n.opType === 'LSTM')!;
    expect(lstm.attrs).toEqual({ hidden_size: 5, direction: 'forward' });
  });

  it('rejects LSTM projections, which ONNX LSTM cannot express', () => {
    const x = tensorValue('float32', [3, 2, 4]);
    const h = tensorValue('float32', [1, 2, 2]);
    const c = tensorValue('float32', [1, 2, 5]);
    expect(() => infer({ op: 'aten::lstm', overload: 'input', args: [x, [h, c], lstmParams(1, 1, 4, 5, 2), true, 1, 0.0, false, false, false] })).toThrow(
      /proj_size/,
    );
  });
});
