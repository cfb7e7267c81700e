import { describe, expect, it } from 'vitest';
import type { TensorType } from '../../../src/ir/torch-graph.js';
import { checkCase, expectClose, infer, lowerOp, opTypes, pattern, runOp, scalarValue, tensorValue, type Call, type CaseInput, type OpCase } from '../harness.js';

/*
 * Reference outputs come from torch 1.13.1 with P(*s) = pattern(numel) (see harness.ts), through
 * torch.ops.aten.<op>(...) with the arguments of each case's label.
 */
const P = (...shape: number[]): CaseInput => ({ shape, data: pattern(shape.reduce((a, b) => a * b, 1)) });

const NEAREST_2X = [
  -5, -5, -1.3, -1.3, 2.4, 2.4, -5, -5, -1.3, -1.3, 2.4, 2.4, -4, -4, -0.3, -0.3, 3.4, 3.4, -4, -4, -0.3, -0.3, 3.4, 3.4,
];

const CASES: OpCase[] = [
  {
    label: 'upsample_nearest2d.vec(P(1,1,2,3), None, [2., 2.])',
    inputs: [P(1, 1, 2, 3)],
    call: ([x]) => ({ op: 'aten::upsample_nearest2d', args: [x, null, [2, 2]] }),
    want: [[[1, 1, 4, 6], NEAREST_2X]],
    opsets: [7, 9, 10, 11, 13, 21],
    close: true,
  },
  {
    label: 'upsample_nearest2d(P(1,1,2,3), [4, 6], 2., 2.)',
    inputs: [P(1, 1, 2, 3)],
    call: ([x]) => ({ op: 'aten::upsample_nearest2d', args: [x, [4, 6], 2, 2] }),
    want: [[[1, 1, 4, 6], NEAREST_2X]],
    opsets: [9, 13],
    close: true,
  },
  {
    label: 'upsample_nearest2d(P(1,1,2,3), [5, 7])',
    inputs: [P(1, 1, 2, 3)],
    call: ([x]) => ({ op: 'aten::upsample_nearest2d', args: [x, [5, 7]] }),
    want: [
      [
        [1, 1, 5, 7],
        [
          -5, -5, -5, -1.3, -1.3, 2.4, 2.4, -5, -5, -5, -1.3, -1.3, 2.4, 2.4, -5, -5, -5, -1.3, -1.3, 2.4, 2.4, -4, -4, -4, -0.3, -0.3, 3.4,
          3.4, -4, -4, -4, -0.3, -0.3, 3.4, 3.4,
        ],
      ],
    ],
    opsets: [11, 13, 21],
    close: true,
  },
  {
    label: 'upsample_nearest2d.vec(P(1,1,4,6), [3, 4], None)',
    inputs: [P(1, 1, 4, 6)],
    call: ([x]) => ({ op: 'aten::upsample_nearest2d', args: [x, [3, 4], null] }),
    want: [[[1, 1, 3, 4], [-5, -1.3, -4, -0.3, -3, 0.7, -2, 1.7, -1, 2.7, 0, 3.7]]],
    opsets: [11, 13, 21],
    close: true,
  },
  {
    label: 'upsample_nearest1d.vec(P(1,2,3), None, [1.5])',
    inputs: [P(1, 2, 3)],
    call: ([x]) => ({ op: 'aten::upsample_nearest1d', args: [x, null, [1.5]] }),
    want: [[[1, 2, 4], [-5, -5, -1.3, 2.4, -4, -4, -0.3, 3.4]]],
    opsets: [10, 11, 13],
    close: true,
  },
  {
    label: 'upsample_nearest3d.vec(P(1,1,2,2,2), None, [2., 1., 2.])',
    inputs: [P(1, 1, 2, 2, 2)],
    call: ([x]) => ({ op: 'aten::upsample_nearest3d', args: [x, null, [2, 1, 2]] }),
    want: [
      [
        [1, 1, 4, 2, 4],
        [
          -5, -5, -1.3, -1.3, 2.4, 2.4, -4, -4, -5, -5, -1.3, -1.3, 2.4, 2.4, -4, -4, -0.3, -0.3, 3.4, 3.4, -3, -3, 0.7, 0.7, -0.3, -0.3,
          3.4, 3.4, -3, -3, 0.7, 0.7,
        ],
      ],
    ],
    close: true,
  },
  {
    label: '_upsample_nearest_exact2d.vec(P(1,1,3,3), [5, 4], None)',
    inputs: [P(1, 1, 3, 3)],
    call: ([x]) => ({ op: 'aten::_upsample_nearest_exact2d', args: [x, [5, 4], null] }),
    want: [[[1, 1, 5, 4], [-5, -1.3, -1.3, 2.4, -5, -1.3, -1.3, 2.4, -4, -0.3, -0.3, 3.4, -3, 0.7, 0.7, 4.4, -3, 0.7, 0.7, 4.4]]],
    close: true,
  },
  {
    label: 'upsample_bilinear2d.vec(P(1,1,2,3), [5, 6], True, None)',
    inputs: [P(1, 1, 2, 3)],
    call: ([x]) => ({ op: 'aten::upsample_bilinear2d', args: [x, [5, 6], true, null] }),
    want: [
      [
        [1, 1, 5, 6],
        [
          -5, -3.52, -2.04, -0.56, 0.92, 2.4, -4.75, -3.27, -1.79, -0.31, 1.17, 2.65, -4.5, -3.02, -1.54, -0.06, 1.42, 2.9, -4.25, -2.77,
          -1.29, 0.19, 1.67, 3.15, -4, -2.52, -1.04, 0.44, 1.92, 3.4,
        ],
      ],
    ],
    close: true,
  },
  {
    label: 'upsample_bilinear2d.vec(P(1,1,3,3), None, False, [2., 2.])',
    inputs: [P(1, 1, 3, 3)],
    call: ([x]) => ({ op: 'aten::upsample_bilinear2d', args: [x, null, false, [2, 2]] }),
    want: [
      [
        [1, 1, 6, 6],
        [
          -5, -4.075, -2.225, -0.375, 1.475, 2.4, -4.75, -3.825, -1.975, -0.125, 1.725, 2.65, -4.25, -3.325, -1.475, 0.375, 2.225, 3.15,
          -3.75, -2.825, -0.975, 0.875, 2.725, 3.65, -3.25, -2.325, -0.475, 1.375, 3.225, 4.15, -3, -2.075, -0.225, 1.625, 3.475, 4.4,
        ],
      ],
    ],
    close: true,
  },
  {
    label: 'upsample_bilinear2d.vec(P(1,1,4,4), [3, 3], False, None)',
    inputs: [P(1, 1, 4, 4)],
    call: ([x]) => ({ op: 'aten::upsample_bilinear2d', args: [x, [3, 3], false, null] }),
    want: [[[1, 1, 3, 3], [-3.6, 0.491667, -2.430556, 1.825, 0.025, -1.775, 0.236111, -0.441667, -1.119444]]],
    close: true,
  },
  {
    label: 'upsample_bicubic2d.vec(P(1,1,3,4), [5, 7], False, None)',
    inputs: [P(1, 1, 3, 4)],
    call: ([x]) => ({ op: 'aten::upsample_bicubic2d', args: [x, [5, 7], false, null] }),
    want: [
      [
        [1, 1, 5, 7],
        [
          -5.818303, -4.477622, -2.178596, 1.621376, 2.71244, -1.652888, -5.182386, -3.95405, -1.948082, 0.702792, 1.018887, -0.177654,
          -1.248113, -1.961625, -0.667101, 1.354338, 3.483929, 0.199999, -3.083928, -0.954336, 1.067101, 3.160976, 2.127524, 0.619261,
          -0.107575, -0.656453, -1.726913, -2.440427, 5.582389, 2.052887, -2.31244, -0.1836, 1.94524, -2.420088, -5.949586,
        ],
      ],
    ],
    close: true,
  },
  {
    label: 'upsample_bicubic2d.vec(P(1,1,3,4), [5, 7], True, None)',
    inputs: [P(1, 1, 3, 4)],
    call: ([x]) => ({ op: 'aten::upsample_bicubic2d', args: [x, [5, 7], true, null] }),
    want: [
      [
        [1, 1, 5, 7],
        [
          -5, -3.496875, -1.3, 1.496875, 2.4, -0.453125, -4, -3.090625, -0.551855, 1.55625, 0.88125, -0.740625, -1.157519, -1.14375, -0.3,
          2.15, 3.4, 0.2, -3, -1.75, 0.7, 2.490625, 2.030957, 1.140625, -0.096582, -1.15625, -1.573144, -1.559375, 4.4, 0.853125, -2, -0.15,
          1.7, -1.153125, -4.7,
        ],
      ],
    ],
    close: true,
  },
  {
    label: 'upsample_linear1d.vec(P(1,1,4), None, False, [2.5])',
    inputs: [P(1, 1, 4)],
    call: ([x]) => ({ op: 'aten::upsample_linear1d', args: [x, null, false, [2.5]] }),
    want: [[[1, 1, 10], [-5, -4.63, -3.15, -1.67, -0.19, 1.29, 1.76, -0.8, -3.36, -4]]],
    close: true,
  },
  {
    label: 'upsample_trilinear3d.vec(P(1,1,2,2,2), [3, 3, 3], True, None)',
    inputs: [P(1, 1, 2, 2, 2)],
    call: ([x]) => ({ op: 'aten::upsample_trilinear3d', args: [x, [3, 3, 3], true, null] }),
    want: [
      [
        [1, 1, 3, 3, 3],
        [
          -5, -3.15, -1.3, -1.3, -1.975, -2.65, 2.4, -0.8, -4, -2.65, -0.8, 1.05, -1.475, -0.8875, -0.3, -0.3, -0.975, -1.65, -0.3, 1.55,
          3.4, -1.65, 0.2, 2.05, -3, -1.15, 0.7,
        ],
      ],
    ],
    close: true,
  },
  {
    label: 'F.interpolate(P(1,2,2,3), size=[3,5], mode="bilinear", align_corners=False) via __interpolate, batch and channels dynamic',
    inputs: [{ ...P(1, 2, 2, 3), shape: ['n', 'c', 2, 3], run: [1, 2, 2, 3] }],
    call: ([x]) => ({ op: 'aten::__interpolate', args: [x, [3, 5], null, 'bilinear', false], overload: 'size_list' }),
    want: [
      [
        [1, 2, 3, 5],
        [
          -5, -3.52, -1.3, 0.92, 2.4, -4.5, -3.02, -0.8, 1.42, 2.9, -4, -2.52, -0.3, 1.92, 3.4, -3, -1.52, 0.7, 2.92, 4.4, -2.5, -1.02, 1.2,
          0.39, -0.15, -2, -0.52, 1.7, -2.14, -4.7,
        ],
      ],
    ],
    opsets: [11, 13, 21],
    close: true,
  },
  {
    label: 'upsample_nearest2d.vec(P(1,1,2,3), [h, 6], None), h a run-time int',
    inputs: [P(1, 1, 2, 3), { shape: [], int: 4 }],
    call: ([x, h]) => ({ op: 'aten::upsample_nearest2d', args: [x, [h, 6], null] }),
    want: [[[1, 1, 4, 6], NEAREST_2X]],
    opsets: [11, 13],
    close: true,
  },
];

describe('resize ops run in onnxruntime like torch', () => {
  for (const c of CASES) it(c.label, () => checkCase(c));
});

const shape = (call: Parameters<typeof infer>[0]) => (infer(call)[0] as TensorType).shape;

describe('shape rules', () => {
  it('takes sizes as given and floors scaled sizes', () => {
    const x = tensorValue('float32', ['n', 3, 5, 'w']);
    const [n, c, h, w] = shape({ op: 'aten::upsample_bilinear2d', args: [x, null, false, [1.5, 2]] });
    expect([n, c, h]).toEqual(['n', 3, 7]);
    expect(typeof w).toBe('string');
    expect(shape({ op: 'aten::upsample_nearest2d', args: [x, [8, 9]] })).toEqual(['n', 3, 8, 9]);
    expect(shape({ op: 'aten::__interpolate', args: [x, 4], overload: '' })).toEqual(['n', 3, 4, 4]);
  });

  it('recomputes sizes from scales when asked', () => {
    const x = tensorValue('float32', [1, 3, 5, 5]);
    const call = { op: 'aten::__interpolate', args: [x, null, [1.5, 1.5], 'nearest', null, true], overload: 'scale_list' };
    expect(shape(call)).toEqual([1, 3, 7, 7]);
    expect(lowerOp(call, 13).graph.nodes.find((n) => n.opType === 'Resize')!.inputs[2]).toBe('');
  });

  it('rejects bad argument combinations', () => {
    const x = tensorValue('float32', [1, 3, 5, 5]);
    expect(() => infer({ op: 'aten::upsample_nearest2d', args: [x, [2, 2], [2, 2]], overload: 'vec' })).toThrow(/exactly one/);
    expect(() => infer({ op: 'aten::upsample_nearest1d', args: [x, null, [2]] })).toThrow(/rank 3/);
    expect(() => infer({ op: 'aten::__interpolate', args: [x, 4, null, 'area'] })).toThrow(/mode "area"/);
  });
});

describe('lowerings', () => {
  const x = tensorValue('float32', [1, 3, 4, 4]);

  it('use Resize with the coordinate mapping of each mode', () => {
    const attrs = (op: string, args: unknown[]) => lowerOp({ op, args: [x, ...args] as never }, 13).graph.nodes.find((n) => n.opType === 'Resize')!.attrs;
    expect(attrs('aten::upsample_nearest2d', [null, [2, 2]])).toEqual({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    expect(attrs('aten::upsample_bilinear2d', [null, true, [2, 2]])).toEqual({ mode: 'linear', coordinate_transformation_mode: 'align_corners' });
    expect(attrs('aten::upsample_bicubic2d', [[8, 8], false, null])).toEqual({
      mode: 'cubic',
      coordinate_transformation_mode: 'half_pixel',
      cubic_coeff_a: { f: -0.75 },
    });
  });

  it('pass empty roi and scales tensors before opset 13', () => {
    const graph = lowerOp({ op: 'aten::upsample_nearest2d', args: [x, [6, 6], null] }, 11).graph;
    expect(opTypes(graph)).toEqual(['Constant', 'Constant', 'Constant', 'Resize']);
    expect(graph.nodes[3].inputs.every((i) => i !== '')).toBe(true);
  });

  it('fail clearly where older opsets differ from torch', () => {
    const dynamic = tensorValue('float32', [1, 3, 'h', 4]);
    expect(() => lowerOp({ op: 'aten::upsample_bilinear2d', args: [dynamic, null, false, [2, 2]] }, 10)).toThrow(/run time needs opset 11/);
    expect(() => lowerOp({ op: 'aten::upsample_bicubic2d', args: [x, null, false, [2, 2]] }, 10)).toThrow(/needs opset 11/);
    expect(opTypes(lowerOp({ op: 'aten::__interpolate', args: [x, 8, null, 'bilinear', false] }, 10).graph)).toContain('Gather');
    const x3 = tensorValue('float32', [1, 1, 3, 3]);
    expect(() => lowerOp({ op: 'aten::upsample_nearest2d', args: [x3, [6, 7]] }, 9)).toThrow(/from 3 to 7 needs opset 11/);
    expect(opTypes(lowerOp({ op: 'aten::upsample_nearest2d', args: [x3, [6, 6]] }, 9).graph)).toEqual(['Constant', 'Upsample']);
    expect(() => lowerOp({ op: 'aten::upsample_nearest2d', args: [x, [2, 2], null] }, 10)).toThrow(/downsampling needs opset 11/);
    expect(() => lowerOp({ op: 'aten::upsample_nearest2d', args: [x, [scalarValue('int'), 8], null] }, 10)).toThrow(/run time needs opset 11/);
  });
});

/** Runs a call on pattern() data at each opset and compares with torch's numbers (from torch 2.6, the call's label). */
async function expectAt(opsets: number[], shape: number[], call: (x: ReturnType<typeof tensorValue>) => Call, want: number[]) {
  const x = tensorValue('float32', shape);
  for (const opset of opsets) {
    const [out] = await runOp(call(x), { opset, feeds: new Map([[x, pattern(shape.reduce((a, b) => a * b, 1))]]) });
    expectClose(out.data, want);
  }
}

describe('linear upsampling before opset 11 (Gathers of source rows)', () => {
  it('upsample_bilinear2d(P(1,1,2,3), [3, 5], align_corners=True)', async () => {
    const want = [-5, -3.15, -1.3, 0.55, 2.4, -4.5, -2.65, -0.8, 1.05, 2.9, -4, -2.15, -0.3, 1.55, 3.4];
    await expectAt([7, 10, 11], [1, 1, 2, 3], (x) => ({ op: 'aten::upsample_bilinear2d', args: [x, [3, 5], true] }), want);
  });

  it('upsample_linear1d.vec(P(1,2,4), None, False, [1.5]) maps with the given scale', async () => {
    const want = [-5, -3.15, -0.683333, 1.783334, -0.8, -4, -0.3, 1.55, 2.333333, -1.933333, -1.15, 0.7];
    await expectAt([7, 11], [1, 2, 4], (x) => ({ op: 'aten::upsample_linear1d', args: [x, null, false, [1.5]], overload: 'vec' }), want);
  });

  it('upsample_bilinear2d(P(1,1,3,3), [5, 2], False) shrinks one axis', async () => {
    const want = [-4.075, 1.475, -3.675, 1.875, -3.075, 2.475, -2.475, 3.075, -2.075, 3.475];
    await expectAt([7, 11], [1, 1, 3, 3], (x) => ({ op: 'aten::upsample_bilinear2d', args: [x, [5, 2], false] }), want);
  });

  it('upsample_trilinear3d.vec(P(1,1,2,2,2), None, True, [1.5, 1, 2]) skips the unchanged axis', async () => {
    const want = [
      -5, -3.766666, -2.533333, -1.3, 2.4, 0.266667, -1.866667, -4, -2.65, -1.416667, -0.183333, 1.05, -0.3, -0.75, -1.2, -1.65,
      -0.3, 0.933333, 2.166667, 3.4, -3, -1.766667, -0.533333, 0.7,
    ];
    await expectAt([7, 11], [1, 1, 2, 2, 2], (x) => ({ op: 'aten::upsample_trilinear3d', args: [x, null, true, [1.5, 1, 2]], overload: 'vec' }), want);
    const { graph } = lowerOp({ op: 'aten::upsample_trilinear3d', args: [tensorValue('float32', [1, 1, 2, 2, 2]), null, true, [1.5, 1, 2]], overload: 'vec' }, 7);
    expect(opTypes(graph).filter((t) => t === 'Gather')).toHaveLength(4);
  });
});

describe('grid_sampler and affine_grid_generator', () => {
  it('affine_grid_generator(0.3·P(1,2,3), [1,1,2,3], False) is the base grid times thetaᵀ', async () => {
    const want = [1.915, 1.865, 0.915, 1.065, -0.085, 0.265, 1.525, 1.775, 0.525, 0.975, -0.475, 0.175];
    const theta = tensorValue('float32', [1, 2, 3]);
    const [out] = await runOp({ op: 'aten::affine_grid_generator', args: [theta, [1, 1, 2, 3], false] }, { opset: 7, feeds: new Map([[theta, pattern(6).map((v) => v * 0.3)]]) });
    expect(out.dims).toEqual([1, 2, 3, 2]);
    expectClose(out.data, want);
  });

  it('rejects what torch rejects', () => {
    const theta = tensorValue('float32', [2, 2, 3]);
    expect(() => infer({ op: 'aten::affine_grid_generator', args: [theta, [2, 1, 4], false] })).toThrow(/4D and 5D/);
    expect(() => infer({ op: 'aten::affine_grid_generator', args: [theta, [3, 1, 4, 4], false] })).toThrow(/theta/);
    expect(infer({ op: 'aten::affine_grid_generator', args: [tensorValue('float32', [2, 3, 4]), [2, 1, 5, 4, 3], true] })[0]).toMatchObject({ shape: [2, 5, 4, 3, 3] });
    const input = tensorValue('float32', [2, 3, 5, 6]);
    const grid = tensorValue('float32', [2, 4, 7, 2]);
    expect(infer({ op: 'aten::grid_sampler', args: [input, grid, 0, 0, false] })[0]).toMatchObject({ shape: [2, 3, 4, 7] });
    expect(() => infer({ op: 'aten::grid_sampler', args: [input, grid, 3, 0, false] })).toThrow(/interpolation_mode 3/);
    expect(() => infer({ op: 'aten::grid_sampler', args: [input, tensorValue('float32', [2, 4, 7, 3]), 0, 0, false] })).toThrow(/grid/);
    const volume = tensorValue('float32', [1, 2, 3, 4, 5]);
    expect(() => infer({ op: 'aten::grid_sampler', args: [volume, tensorValue('float32', [1, 2, 2, 2, 3]), 2, 0, false] })).toThrow(/bicubic/);
    expect(() => lowerOp({ op: 'aten::grid_sampler', args: [volume, tensorValue('float32', [1, 2, 2, 2, 3]), 0, 0, false] }, 19)).toThrow(/needs opset 20/);
  });

  it('samples bilinearly with GatherElements before opset 16, zeros outside the image', async () => {
    const image = tensorValue('float32', [1, 1, 2, 3]);
    const grid = tensorValue('float32', [1, 2, 2, 2]);
    const feeds = new Map([[image, [0, 1, 2, 3, 4, 5]], [grid, [-1, -1, 1, 1, 0, 0, 1.5, 0]]]);
    const { graph } = lowerOp({ op: 'aten::grid_sampler', args: [image, grid, 0, 0, true] }, 11);
    expect(opTypes(graph)).toContain('GatherElements');
    expect(opTypes(graph)).not.toContain('GridSample');
    // (-1, -1) and (1, 1) are corners; (0, 0) lies between 1 and 4; x = 2.5 is half outside: 0.5 * (2 + 5) / 2.
    const [out] = await runOp({ op: 'aten::grid_sampler', args: [image, grid, 0, 0, true] }, { opset: 11, feeds });
    expect(out.dims).toEqual([1, 1, 2, 2]);
    expectClose(out.data, [0, 5, 2.5, 1.75]);
    const bicubic = [image, grid, 2, 0, true];
    expect(() => lowerOp({ op: 'aten::grid_sampler', args: bicubic }, 15)).toThrow(/bicubic grid sampling \(GridSample\) needs opset 16/);
  });

  it('names GridSample modes by opset: bilinear/bicubic at 16, linear/cubic from 20', () => {
    const args = [tensorValue('float32', [1, 1, 4, 4]), tensorValue('float32', [1, 2, 2, 2]), 2, 2, true];
    expect(lowerOp({ op: 'aten::grid_sampler', args }, 16).graph.nodes[0].attrs).toEqual({ align_corners: 1, mode: 'bicubic', padding_mode: 'reflection' });
    expect(lowerOp({ op: 'aten::grid_sampler', args }, 20).graph.nodes[0].attrs).toEqual({ align_corners: 1, mode: 'cubic', padding_mode: 'reflection' });
  });
});

describe('antialiased resizing (_upsample_bilinear2d_aa, _upsample_bicubic2d_aa)', () => {
  it('halving [1, 2, 4, 8] reads three inputs per output with the widened triangle: (3a + 3b + c) / 7', async () => {
    const x = tensorValue('float32', [1, 1, 1, 4]);
    const [out] = await runOp({ op: 'aten::_upsample_bilinear2d_aa', args: [x, [1, 2], false, null, null] }, { opset: 7, feeds: new Map([[x, [1, 2, 4, 8]]]) });
    expect(out.dims).toEqual([1, 1, 1, 2]);
    expectClose(out.data, [13 / 7, 38 / 7]);
  });

  it('multiplies only the axes whose size changes, and needs sizes known now', () => {
    const x = tensorValue('float32', [1, 3, 6, 5]);
    expect(opTypes(lowerOp({ op: 'aten::_upsample_bicubic2d_aa', args: [x, [6, 5], false, null, null] }, 7).graph)).toEqual(['Identity']);
    expect(opTypes(lowerOp({ op: 'aten::_upsample_bicubic2d_aa', args: [x, [3, 5], false, null, null] }, 7).graph)).toEqual(['Constant', 'MatMul']);
    const dynamic = tensorValue('float32', [1, 3, 'h', 5]);
    expect(() => lowerOp({ op: 'aten::_upsample_bilinear2d_aa', args: [dynamic, [3, 5], false, null, null] }, 21)).toThrow(/known at conversion time/);
  });
});
