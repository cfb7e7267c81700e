/**
 * The ONNX rules written models broke (docs/onnx-validity.md, found by scripts/validate-onnx.py with onnx's
 * checker), asserted without Python on every fixture conversion (scripts/lib/fixture-runs.mjs) at its
 * lowest opset, where the opset-dependent forms differ most: every op exists at the model's opset,
 * Constant holds only floats below opset 9, no negative axes below opset 11, and axes are an attribute
 * or an input as the op's version at the opset says.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertAtLowestOpset, fixtureCases } from '../../scripts/lib/fixture-runs.mjs';
import { convert } from '../../src/index.js';
import onnxProto from 'onnx-proto';
import { tempPath } from '../helpers/convert-case.js';

const { onnx } = onnxProto;

/** Ops tsonnx writes that do not exist (or are deprecated) somewhere in opsets 7–21: [first, last] valid opset. */
const OP_OPSETS: Record<string, [number, number]> = {
  BitwiseAnd: [18, 21], BitwiseNot: [18, 21], BitwiseOr: [18, 21], BitwiseXor: [18, 21], Celu: [12, 21],
  Compress: [9, 21], ConstantOfShape: [9, 21], Cosh: [9, 21], CumSum: [11, 21], Einsum: [12, 21], Erf: [9, 21],
  Expand: [8, 21], EyeLike: [9, 21], GatherElements: [11, 21], GatherND: [11, 21], Gelu: [20, 21],
  GreaterOrEqual: [12, 21], HardSwish: [14, 21], IsInf: [10, 21], IsNaN: [9, 21], LayerNormalization: [17, 21],
  LessOrEqual: [12, 21], MatMulInteger: [10, 21], Mish: [18, 21], Mod: [10, 21], NonZero: [9, 21], OneHot: [9, 21],
  Range: [11, 21], Resize: [10, 21], Round: [11, 21], STFT: [17, 21], ScatterElements: [11, 21], ScatterND: [11, 21],
  Shrink: [9, 21], Sign: [9, 21], Sinh: [9, 21], Trilu: [14, 21], Upsample: [7, 9], Where: [9, 21],
};

/** TensorProto data types Constant-1 (opsets 7 and 8) holds: float, float16, double. */
const CONSTANT_1_TYPES = new Set([1, 10, 11]);
const INT64 = 7;
// AttributeProto.AttributeType
const GRAPH = 5;
const GRAPHS = 10;

interface Tensor {
  name: string;
  dataType: number;
  rawData: Uint8Array;
}

interface Attribute {
  name: string;
  type: number;
  i: number;
  ints: number[];
  t: Tensor;
  g: Graph;
  graphs: Graph[];
}

interface Node {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: Attribute[];
}

interface Graph {
  node: Node[];
  initializer: Tensor[];
}

function readModel(path: string): { opset: number; graph: Graph } {
  const message = onnx.ModelProto.decode(readFileSync(path));
  const model = onnx.ModelProto.toObject(message, { longs: Number, defaults: true, arrays: true }) as {
    opsetImport: Array<{ domain: string; version: number }>;
    graph: Graph;
  };
  const opset = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version;
  if (opset === undefined) throw new Error(`${path}: no default-domain opset`);
  return { opset, graph: model.graph };
}

function int64Values(t: Tensor): number[] {
  const bytes = Buffer.from(t.rawData);
  return t.dataType === INT64 ? Array.from({ length: bytes.length / 8 }, (_, i) => Number(bytes.readBigInt64LE(i * 8))) : [];
}

/** Squeeze, Unsqueeze and ReduceSum take their axes as an input from opset 13, the other Reduce* ops from 18. */
function axesInputFrom(opType: string): number | undefined {
  if (['Squeeze', 'Unsqueeze', 'ReduceSum'].includes(opType)) return 13;
  return opType.startsWith('Reduce') ? 18 : undefined;
}

/** The rules `graph` (sub-graphs included) breaks at `opset`, one line per node and rule. */
function ruleViolations(graph: Graph, opset: number): string[] {
  const problems: string[] = [];
  const int64Constants = new Map(graph.initializer.map((t) => [t.name, int64Values(t)]));
  for (const n of graph.node) {
    const value = n.attribute.find((a) => a.name === 'value');
    if (n.opType === 'Constant' && value) int64Constants.set(n.output[0], int64Values(value.t));
  }
  for (const n of graph.node) {
    const at = `${n.opType} ${n.name}`;
    const attr = (name: string) => n.attribute.find((a) => a.name === name);
    for (const a of n.attribute) {
      if (a.type === GRAPH) problems.push(...ruleViolations(a.g, opset));
      if (a.type === GRAPHS) for (const g of a.graphs) problems.push(...ruleViolations(g, opset));
    }
    if (n.domain !== '') continue;

    const [first, last] = OP_OPSETS[n.opType] ?? [7, 21];
    if (opset < first || opset > last) problems.push(`${at}: no ${n.opType} at opset ${opset} (valid ${first}–${last})`);

    const value = attr('value');
    if (n.opType === 'Constant' && opset < 9 && value && !CONSTANT_1_TYPES.has(value.t.dataType)) {
      problems.push(`${at}: Constant of data type ${value.t.dataType} below opset 9`);
    }

    if (opset < 11) {
      for (const name of ['axis', 'axes']) {
        const a = attr(name);
        const values = a ? (name === 'axes' ? a.ints : [a.i]) : [];
        // OneHot-9 defines axis=-1, its default.
        if (values.some((v) => v < 0) && !(n.opType === 'OneHot' && values.join() === '-1')) {
          problems.push(`${at}: ${name}=[${values.join(', ')}] below opset 11`);
        }
      }
      const sliceAxes = n.opType === 'Slice' ? (int64Constants.get(n.input[3] ?? '') ?? []) : [];
      if (sliceAxes.some((v) => v < 0)) problems.push(`${at}: axes input [${sliceAxes.join(', ')}] below opset 11`);
    }

    const inputFrom = axesInputFrom(n.opType);
    const axesInput = n.input.length > 1 && n.input[1] !== '';
    if (inputFrom !== undefined && opset >= inputFrom && attr('axes')) problems.push(`${at}: axes attribute at opset ${opset} (an input from ${inputFrom})`);
    if (inputFrom !== undefined && opset < inputFrom && axesInput) problems.push(`${at}: axes input at opset ${opset} (an attribute before ${inputFrom})`);
  }
  return problems;
}

describe('written models keep the ONNX rules at their lowest opset', () => {
  for (const fixture of fixtureCases()) {
    it(`${fixture.family}/${fixture.name} (${fixture.torch})`, async () => {
      const out = tempPath(`${fixture.name.replace(/\W+/g, '_')}-validity.onnx`);
      const { opset } = await convertAtLowestOpset(fixture, convert, out);
      const { opset: written, graph } = readModel(out);
      expect(written).toBe(opset);
      expect(ruleViolations(graph, opset)).toEqual([]);
    });
  }
});

describe('the rule check', () => {
  const node = (opType: string, attribute: Array<Partial<Attribute>> = [], input = ['x']): Node => ({
    name: `/${opType}`, opType, domain: '', input, output: [`${opType}_out`], attribute: attribute as Attribute[],
  });
  const graph = (...nodes: Node[]): Graph => ({ node: nodes, initializer: [] });

  it('rejects negative axes below opset 11, an axes attribute where it is an input, and ops the opset lacks', () => {
    const reduceMean = node('ReduceMean', [{ name: 'axes', type: 7, ints: [-1] }]);
    expect(ruleViolations(graph(reduceMean), 9)).toEqual(['ReduceMean /ReduceMean: axes=[-1] below opset 11']);
    expect(ruleViolations(graph(reduceMean), 11)).toEqual([]);
    expect(ruleViolations(graph(reduceMean), 18)).toEqual(['ReduceMean /ReduceMean: axes attribute at opset 18 (an input from 18)']);
    expect(ruleViolations(graph(node('Unsqueeze', [], ['x', 'axes'])), 12)).toEqual(['Unsqueeze /Unsqueeze: axes input at opset 12 (an attribute before 13)']);
    expect(ruleViolations(graph(node('Where')), 8)).toEqual(['Where /Where: no Where at opset 8 (valid 9–21)']);
    expect(ruleViolations(graph(node('OneHot', [{ name: 'axis', type: 2, i: -1 }])), 9)).toEqual([]);
  });

  it('rejects an int64 Constant below opset 9', () => {
    const constant = node('Constant', [{ name: 'value', type: 4, t: { name: '', dataType: INT64, rawData: new Uint8Array(8) } }], []);
    expect(ruleViolations(graph(constant), 8)).toEqual(['Constant /Constant: Constant of data type 7 below opset 9']);
    expect(ruleViolations(graph(constant), 9)).toEqual([]);
  });
});
