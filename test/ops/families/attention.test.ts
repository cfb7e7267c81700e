import { describe, expect, it } from 'vitest';
import type { Arg, Dim, GValue } from '../../../src/ir/torch-graph.js';
import { evaluate, expectClose, infer, lowerOp, opTypes, pattern, runOp, tensorValue, type InputData } from '../harness.js';

/*
 * References are computed here from the definitions: softmax(q·kᵀ·scale, masked entries −∞)·v, with
 * nn.MultiheadAttention's projections around it. The op table (test/ops) checks the same ops against
 * PyTorch 1.13 and 2.6 on traced modules.
 */

/** x [n, in] · Wᵀ (W [out, in]) + b. */
function linearRef(x: readonly number[], w: readonly number[], b: readonly number[], n: number, inSize: number, outSize: number): number[] {
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < outSize; o++) {
      let acc = b[o];
      for (let c = 0; c < inSize; c++) acc += x[i * inSize + c] * w[o * inSize + c];
      y.push(acc);
    }
  }
  return y;
}

function softmaxRow(row: readonly number[]): number[] {
  const max = Math.max(...row);
  const e = row.map((s) => Math.exp(s - max));
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
}

/**
 * One attention matrix: q [L, E] and k [S, E] read through accessors, so heads can be picked out of
 * packed rows. Returns probs [L, S] and out [L, Ev].
 */
function attend(
  L: number, S: number, E: number, Ev: number,
  q: (i: number, c: number) => number, k: (j: number, c: number) => number, v: (j: number, c: number) => number,
  scale: number, score: (i: number, j: number, s: number) => number,
): { probs: number[][]; out: number[][] } {
  const probs = Array.from({ length: L }, (_, i) => {
    const row = Array.from({ length: S }, (_, j) => {
      let acc = 0;
      for (let c = 0; c < E; c++) acc += q(i, c) * k(j, c);
      return score(i, j, acc * scale);
    });
    return softmaxRow(row);
  });
  const out = probs.map((p) => Array.from({ length: Ev }, (_, c) => p.reduce((acc, pj, j) => acc + pj * v(j, c), 0)));
  return { probs, out };
}

interface MhaData {
  B: number; T: number; D: number; H: number;
  x: number[]; w: number[]; b: number[]; wo: number[]; bo: number[];
  /** (batch, source) → masked out. */
  padding?: (batch: number, j: number) => boolean;
}

/** nn.MultiheadAttention self-attention: output [B, T, D] and per-head probabilities [B, H, T, T]. */
function mhaRef(m: MhaData): { out: number[]; probs: number[] } {
  const { B, T, D, H } = m;
  const dh = D / H;
  const qkv = linearRef(m.x, m.w, m.b, B * T, D, 3 * D);
  const context: number[] = Array(B * T * D).fill(0);
  const probs: number[] = [];
  for (let batch = 0; batch < B; batch++) {
    for (let h = 0; h < H; h++) {
      const at = (part: number) => (t: number, c: number) => qkv[(batch * T + t) * 3 * D + part * D + h * dh + c];
      const r = attend(T, T, dh, dh, at(0), at(1), at(2), 1 / Math.sqrt(dh), (_, j, s) => (m.padding?.(batch, j) ? -Infinity : s));
      r.out.forEach((row, i) => row.forEach((val, c) => (context[(batch * T + i) * D + h * dh + c] = val)));
      probs.push(...r.probs.flat());
    }
  }
  return { out: linearRef(context, m.wo, m.bo, B * T, D, D), probs };
}

function mhaData(B: number, T: number, D: number, H: number): MhaData {
  return {
    B, T, D, H,
    x: pattern(B * T * D, 37, 101, 50, 0.1),
    w: pattern(3 * D * D, 13, 29, 14, 0.05),
    b: pattern(3 * D, 7, 11, 5, 0.1),
    wo: pattern(D * D, 11, 23, 11, 0.07),
    bo: pattern(D, 3, 7, 3, 0.1),
  };
}

/** Tensor arguments of a native MHA call, plus their feeds. */
function mhaArgs(m: MhaData, batch: Dim = m.B, seq: Dim = m.T) {
  const x = tensorValue('float32', [batch, seq, m.D], 'x');
  const w = tensorValue('float32', [3 * m.D, m.D], 'qkv_weight');
  const b = tensorValue('float32', [3 * m.D], 'qkv_bias');
  const wo = tensorValue('float32', [m.D, m.D], 'proj_weight');
  const bo = tensorValue('float32', [m.D], 'proj_bias');
  const feeds = new Map<GValue, InputData>([[x, m.x], [w, m.w], [b, m.b], [wo, m.wo], [bo, m.bo]]);
  return { x, w, b, wo, bo, feeds };
}

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('_native_multi_head_attention', () => {
  const op = 'aten::_native_multi_head_attention';
  const m = mhaData(2, 3, 4, 2);
  const call = (args: Arg[], kwargs: Record<string, Arg> = {}, batch: Dim = 2, seq: Dim = 3) => {
    const t = mhaArgs(m, batch, seq);
    return { t, call: { op, args: [t.x, t.x, t.x, 4, 2, t.w, t.b, t.wo, t.bo, ...args], kwargs } };
  };

  it('infers the output and the weights each flag asks for, keeping symbolic dims', () => {
    const shapes = (args: Arg[]) => infer(call(args, {}, 'batch', 'seq').call).map((t) => (t.kind === 'tensor' ? t.shape : []));
    expect(shapes([])).toEqual([['batch', 'seq', 4], ['batch', 'seq', 'seq']]);
    expect(shapes([null, true, false])).toEqual([['batch', 'seq', 4], ['batch', 2, 'seq', 'seq']]);
    expect(shapes([null, false])).toEqual([['batch', 'seq', 4], [0]]);
  });

  it('rejects what the kernel rejects', () => {
    const padding = tensorValue('bool', [2, 3]);
    expect(errorCode(() => infer(call([padding]).call))).toBe('TRACE_TYPE'); // no mask_type
    expect(errorCode(() => infer(call([tensorValue('bool', [3, 2]), true, true, 1]).call))).toBe('TRACE_TYPE');
    const x = tensorValue('float32', [2, 3, 6]);
    const { t } = call([]);
    expect(errorCode(() => infer({ op, args: [x, x, x, 4, 2, t.w, t.b, t.wo, t.bo] }))).toBe('TRACE_TYPE');
  });

  it('matches the reference with a key padding mask, per-head and averaged weights', async () => {
    const padding = [[false, false, true], [false, true, true]];
    const want = mhaRef({ ...m, padding: (b, j) => padding[b][j] });
    const mask = tensorValue('bool', [2, 3], 'padding');
    for (const opset of [9, 13, 18, 21]) {
      const perHead = call([mask, true, false, 1]);
      perHead.t.feeds.set(mask, padding.flat());
      const [out, probs] = await runOp(perHead.call, { opset, feeds: perHead.t.feeds });
      expect(out.dims).toEqual([2, 3, 4]);
      expectClose(out.data, want.out);
      expectClose(probs.data, want.probs);

      const averaged = call([mask, true, true, 1]);
      averaged.t.feeds.set(mask, padding.flat());
      const [, mean] = await runOp(averaged.call, { opset, feeds: averaged.t.feeds });
      const headMean = Array.from({ length: 2 * 9 }, (_, i) => {
        const [b, rest] = [Math.floor(i / 9), i % 9];
        return (want.probs[b * 18 + rest] + want.probs[b * 18 + 9 + rest]) / 2;
      });
      expect(mean.dims).toEqual([2, 3, 3]);
      expectClose(mean.data, headMean);
    }
  });

  it('reads a float mask as bool, like the kernel: any non-zero value masks', async () => {
    const floatMask = tensorValue('float32', [2, 3], 'mask');
    const c = call([floatMask, false, true, 1]);
    c.t.feeds.set(floatMask, [0, 0, 0.5, 0, -2, 0]);
    const [out, none] = await runOp(c.call, { opset: 13, feeds: c.t.feeds });
    const masked = [[false, false, true], [false, true, false]];
    expectClose(out.data, mhaRef({ ...m, padding: (b, j) => masked[b][j] }).out);
    expect(none.dims).toEqual([0]);
  });

  it('gives NaN for a fully masked row, as torch does', async () => {
    const mask = tensorValue('bool', [2, 3]);
    const c = call([mask, false, true, 1]);
    c.t.feeds.set(mask, [true, true, true, false, false, false]);
    const [out] = await runOp(c.call, { opset: 17, feeds: c.t.feeds });
    expect(out.data.slice(0, 12).every(Number.isNaN)).toBe(true);
    expectClose(out.data.slice(12), mhaRef(m).out.slice(12));
  });

  it('projects self-attention with one MatMul and distinct inputs with three', () => {
    const { t } = call([]);
    const y = tensorValue('float32', [2, 3, 4]);
    const matmuls = (args: Arg[]) => opTypes(lowerOp({ op, args }, 17).graph).filter((o) => o === 'MatMul').length;
    expect(matmuls([t.x, t.x, t.x, 4, 2, t.w, t.b, t.wo, t.bo])).toBe(4);
    expect(matmuls([t.x, y, y, 4, 2, t.w, t.b, t.wo, t.bo])).toBe(6);
  });

  it('runs with dynamic batch and sequence', async () => {
    const c = call([], {}, 'batch', 'seq');
    const shapes = new Map<GValue, number[]>([[c.t.x, [2, 3, 4]]]);
    const [out] = await runOp(c.call, { opset: 11, feeds: c.t.feeds, shapes });
    expectClose(out.data, mhaRef(m).out);
  });
});

describe('_transformer_encoder_layer_fwd', () => {
  const op = 'aten::_transformer_encoder_layer_fwd';
  const m = mhaData(2, 3, 4, 2);
  const FF = 6;
  const layer = (normFirst: boolean, useGelu: boolean, src: Dim[] = [2, 3, 4]) => {
    const t = mhaArgs(m, src[0], src[1]);
    const params: Array<[string, number[], number[]]> = [
      ['norm_weight_1', [4], [1.5, 0.5, 1, 2]], ['norm_bias_1', [4], [0.1, -0.2, 0, 0.3]],
      ['norm_weight_2', [4], [0.5, 1, 1.5, 1]], ['norm_bias_2', [4], [0, 0.2, -0.1, 0.1]],
      ['ffn_weight_1', [FF, 4], pattern(FF * 4, 5, 13, 6, 0.1)], ['ffn_bias_1', [FF], pattern(FF, 3, 5, 2, 0.1)],
      ['ffn_weight_2', [4, FF], pattern(4 * FF, 7, 17, 8, 0.1)], ['ffn_bias_2', [4], pattern(4, 3, 7, 3, 0.1)],
    ];
    const values = params.map(([name, shape, data]) => {
      const v = tensorValue('float32', shape, name);
      t.feeds.set(v, data);
      return v;
    });
    const args: Arg[] = [t.x, 4, 2, t.w, t.b, t.wo, t.bo, useGelu, normFirst, 1e-5, ...values];
    return { call: { op, args }, feeds: t.feeds, x: t.x };
  };

  it('keeps the input type', () => {
    expect(infer(layer(false, false, ['batch', 'seq', 4]).call)).toEqual([{ kind: 'tensor', dtype: 'float32', shape: ['batch', 'seq', 4] }]);
  });

  it('uses LayerNormalization from opset 17 and its definition before, with the same numbers', async () => {
    for (const [normFirst, useGelu] of [[false, false], [true, true]]) {
      const c = layer(normFirst, useGelu);
      expect(opTypes(lowerOp(c.call, 17).graph)).toContain('LayerNormalization');
      expect(opTypes(lowerOp(c.call, 16).graph)).not.toContain('LayerNormalization');
      const [at16] = await runOp(c.call, { opset: 16, feeds: c.feeds });
      const [at17] = await runOp(c.call, { opset: 17, feeds: c.feeds });
      const [at9] = await runOp(c.call, { opset: 9, feeds: c.feeds });
      expectClose(at16.data, at17.data);
      expectClose(at9.data, at17.data);
    }
  });

  it('matches a reference post-norm ReLU layer', async () => {
    const c = layer(false, false);
    const norm = (x: number[], w: number[], b: number[]) => {
      const out: number[] = [];
      for (let r = 0; r < x.length / 4; r++) {
        const row = x.slice(r * 4, r * 4 + 4);
        const mean = row.reduce((a, v) => a + v, 0) / 4;
        const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / 4;
        row.forEach((v, i) => out.push(((v - mean) / Math.sqrt(variance + 1e-5)) * w[i] + b[i]));
      }
      return out;
    };
    const p = (name: string) => c.feeds.get(c.call.args.find((a) => (a as GValue).hint === name) as GValue) as number[];
    const attended = norm(m.x.map((v, i) => v + mhaRef(m).out[i]), p('norm_weight_1'), p('norm_bias_1'));
    const hidden = linearRef(attended, p('ffn_weight_1'), p('ffn_bias_1'), 6, 4, FF).map((v) => Math.max(v, 0));
    const ff = linearRef(hidden, p('ffn_weight_2'), p('ffn_bias_2'), 6, FF, 4);
    const want = norm(attended.map((v, i) => v + ff[i]), p('norm_weight_2'), p('norm_bias_2'));
    const [out] = await runOp(c.call, { opset: 13, feeds: c.feeds });
    expectClose(out.data, want);
  });
});

describe('scaled_dot_product_attention', () => {
  const op = 'aten::scaled_dot_product_attention';
  const tensors = (...shapes: Dim[][]) => shapes.map((s) => tensorValue('float32', s));

  it('infers broadcast batch dims, grouped heads and symbolic lengths', () => {
    const [q, k, v] = tensors([2, 4, 'L', 8], [2, 2, 'S', 8], [2, 2, 'S', 3]);
    expect(infer({ op, args: [q, k, v], kwargs: { enable_gqa: true } })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [2, 4, 'L', 3] }]);
    const [q3, k3, v3] = tensors([5, 4], [3, 7, 4], [3, 7, 2]);
    expect(infer({ op, args: [q3, k3, v3] })).toEqual([{ kind: 'tensor', dtype: 'float32', shape: [3, 5, 2] }]);
    expect(errorCode(() => infer({ op, args: [q, k, v] }))).toBe('TRACE_TYPE'); // 4 heads against 2 without enable_gqa
    const [q3h] = tensors([2, 3, 5, 8]);
    expect(errorCode(() => infer({ op, args: [q3h, k, v], kwargs: { enable_gqa: true } }))).toBe('TRACE_TYPE');
    const mask = tensorValue('bool', ['L', 'S']);
    expect(errorCode(() => infer({ op, args: [q, k, v, mask, 0, true], kwargs: { enable_gqa: true } }))).toBe('TRACE_TYPE');
  });

  const [L, S, E, Ev] = [3, 4, 2, 2];
  const qData = pattern(L * E, 37, 101, 50, 0.1);
  const kData = pattern(S * E, 13, 29, 14, 0.2);
  const vData = pattern(S * Ev, 7, 11, 5, 0.3);
  const reference = (score: (i: number, j: number, s: number) => number, scale = 1 / Math.sqrt(E)) =>
    attend(L, S, E, Ev, (i, c) => qData[i * E + c], (j, c) => kData[j * E + c], (j, c) => vData[j * Ev + c], scale, score);

  it('applies a causal mask (top-left aligned), statically below opset 11 and with Range from 11', async () => {
    const want = reference((i, j, s) => (j > i ? -Infinity : s)).out.flat();
    for (const [opset, dims] of [[9, [L, S]], [11, ['L', 'S']], [21, ['L', 'S']]] as Array<[number, Dim[]]>) {
      const [q, k, v] = tensors([1, dims[0], E], [1, dims[1], E], [1, dims[1], Ev]);
      const shapes = new Map<GValue, number[]>([[q, [1, L, E]], [k, [1, S, E]], [v, [1, S, Ev]]]);
      const feeds = new Map<GValue, InputData>([[q, qData], [k, kData], [v, vData]]);
      const [out] = await runOp({ op, args: [q, k, v, null, 0, true] }, { opset, feeds, shapes });
      expectClose(out.data, want);
    }
    const [q, k, v] = tensors([1, 'L', E], [1, 'S', E], [1, 'S', Ev]);
    expect(errorCode(() => lowerOp({ op, args: [q, k, v, null, 0, true] }, 10))).toBe('OP_OPSET');
  });

  it('keeps where a bool mask is True, adds a float mask, and zeroes rows with nothing to attend', async () => {
    const keep = [[true, false, true, true], [false, false, false, false], [true, true, false, true]];
    const bias = [[0.5, -1, 0, 2], [-Infinity, -Infinity, -Infinity, -Infinity], [0, 0, 1, -0.5]];
    const [q, k, v] = tensors([L, E], [S, E], [S, Ev]);
    const boolMask = tensorValue('bool', [L, S]);
    const floatMask = tensorValue('float32', [L, S]);
    const feeds = new Map<GValue, InputData>([[q, qData], [k, kData], [v, vData], [boolMask, keep.flat()], [floatMask, bias.flat()]]);
    const safe = (out: number[][], row: number) => out.flat().map((x, i) => (Math.floor(i / Ev) === row ? 0 : x));
    const wantBool = safe(reference((i, j, s) => (keep[i][j] ? s : -Infinity), 0.3).out, 1);
    const wantFloat = safe(reference((i, j, s) => s + bias[i][j]).out, 1);
    for (const opset of [9, 18]) {
      const [withBool] = await runOp({ op, args: [q, k, v, boolMask], kwargs: { scale: 0.3 } }, { opset, feeds });
      expectClose(withBool.data, wantBool);
      const [withFloat] = await runOp({ op, args: [q, k, v, floatMask] }, { opset, feeds });
      expectClose(withFloat.data, wantFloat);
    }
  });

  it('repeats each key/value head for its group of query heads', async () => {
    const [q, k, v] = tensors([1, 4, 1, 2], [1, 2, 2, 2], [1, 2, 2, 1]);
    const qd = pattern(8, 37, 101, 50, 0.1);
    const kd = pattern(8, 13, 29, 14, 0.2);
    const vd = [1, 2, 3, 4];
    const feeds = new Map<GValue, InputData>([[q, qd], [k, kd], [v, vd]]);
    const [out] = await runOp({ op, args: [q, k, v], kwargs: { enable_gqa: true } }, { opset: 13, feeds });
    const want = [0, 1, 2, 3].map((h) => {
      const g = Math.floor(h / 2);
      return attend(1, 2, 2, 1, (_, c) => qd[h * 2 + c], (j, c) => kd[g * 4 + j * 2 + c], (j) => vd[g * 2 + j], 1 / Math.SQRT2, (_, __, s) => s).out[0][0];
    });
    expectClose(out.data, want);
  });
});

describe('_scaled_dot_product_attention (torch 1.13)', () => {
  it('returns the probabilities too, with NaN for a fully masked row', async () => {
    const q = tensorValue('float32', [2, 2]);
    const k = tensorValue('float32', [3, 2]);
    const keep = tensorValue('bool', [2, 3]);
    const feeds = new Map<GValue, InputData>([[q, [1, 0, 0.5, -1]], [k, [1, 2, 0, 1, -1, 0.5]], [keep, [true, true, false, false, false, false]]]);
    const [out, probs] = await runOp({ op: 'aten::_scaled_dot_product_attention', args: [q, k, k, keep, 0, true] }, { opset: 9, feeds });
    const row = softmaxRow([1, 0].map((s) => s / Math.SQRT2));
    expectClose(probs.data.slice(0, 3), [...row, 0]);
    expect(probs.data.slice(3).every(Number.isNaN)).toBe(true);
    expectClose(out.data.slice(0, 2), [row[0] * 1 + row[1] * 0, row[0] * 2 + row[1] * 1]);
  });
});

describe('triu / tril', () => {
  const x = pattern(2 * 3 * 4);
  const keepWhere = (keep: (offset: number) => boolean) => x.map((v, i) => (keep((i % 4) - (Math.floor(i / 4) % 3)) ? v : 0));

  it('zeroes below/above the diagonal at every opset, with Trilu from 14', async () => {
    for (const [name, diagonal, keep] of [
      ['triu', 1, (o: number) => o >= 1],
      ['tril', -1, (o: number) => o <= -1],
      ['triu', 0, (o: number) => o >= 0],
    ] as Array<[string, number, (o: number) => boolean]>) {
      for (const opset of [9, 11, 14, 21]) {
        const self = tensorValue('float32', opset === 11 ? [2, 'rows', 'cols'] : [2, 3, 4]);
        const shapes = new Map<GValue, number[]>([[self, [2, 3, 4]]]);
        const [out] = await runOp({ op: `aten::${name}`, args: [self, diagonal] }, { opset, feeds: new Map([[self, x]]), shapes });
        expect(out.data, `${name}(${diagonal}) at opset ${opset}`).toEqual(Array.from(new Float32Array(keepWhere(keep))));
      }
    }
    const self = tensorValue('float32', [2, 3, 4]);
    expect(opTypes(lowerOp({ op: 'aten::triu', args: [self, 1] }, 14).graph)).toEqual(['Constant', 'Trilu']);
  });

  it('keeps -inf above the diagonal of a causal mask, and folds known inputs', async () => {
    const self = tensorValue('float32', [3, 3]);
    const inf = Array(9).fill(-Infinity);
    const [out] = await runOp({ op: 'aten::triu', args: [self, 1] }, { opset: 13, feeds: new Map([[self, inf]]) });
    expect(out.data).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
    const values = { type: self.tensor, values: inf };
    const folded = evaluate({ op: 'aten::triu', args: [self, 1], known: new Map([[self, values]]) });
    expect(folded?.[0].values).toEqual([0, -Infinity, -Infinity, 0, 0, -Infinity, 0, 0, 0]);
  });
});
