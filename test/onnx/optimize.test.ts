import { describe, expect, it } from 'vitest';
import { emptyGraph, NameScope, OnnxBuilder } from '../../src/ops/builder.js';
import type { OnnxModel } from '../../src/ir/onnx-graph.js';
import { optimizeModel } from '../../src/onnx/optimize.js';

function model(build: (b: OnnxBuilder) => void): OnnxModel {
  const b = new OnnxBuilder(emptyGraph('main_graph'), new NameScope());
  b.graph.inputs.push({ name: 'x', dtype: 'float32', shape: [2] });
  build(b);
  return { graph: b.graph, opset: 17, domains: new Map(), producerName: 'tsonnx', producerVersion: '0' };
}

describe('optimizeModel', () => {
  it('shares equal constants, bypasses identities and drops unread nodes', () => {
    const m = model((b) => {
      const one = b.scalar('float32', 1);
      const again = b.scalar('float32', 1);
      const two = b.scalar('float32', 2);
      const sum = b.op1('Add', [b.op1('Identity', ['x']), one]);
      b.op1('Mul', [sum, two]); // nobody reads it
      const y = b.op1('Add', [sum, again]);
      b.graph.outputs.push({ name: y, dtype: 'float32', shape: [2] });
    });
    const g = optimizeModel(m).graph;
    expect(g.nodes.map((n) => n.opType)).toEqual(['Constant', 'Add', 'Add']);
    const [constant, first, second] = g.nodes;
    expect(first.inputs).toEqual(['x', constant.outputs[0]]);
    expect(second.inputs).toEqual([first.outputs[0], constant.outputs[0]]);
  });

  it('keeps what a sub-graph reads from its parent', () => {
    const m = model((b) => {
      const k = b.scalar('float32', 3);
      const branch = b.subgraph();
      const inner = branch.op1('Mul', ['x', k]);
      branch.graph.outputs.push({ name: inner, dtype: 'float32', shape: [2] });
      const cond = b.scalar('bool', true);
      const out = b.op1('If', [cond], { then_branch: { g: branch.graph }, else_branch: { g: branch.graph } });
      b.graph.outputs.push({ name: out, dtype: 'float32', shape: [2] });
    });
    const g = optimizeModel(m).graph;
    expect(g.nodes.map((n) => n.opType)).toEqual(['Constant', 'Constant', 'If']);
  });
});
