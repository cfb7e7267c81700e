/**
 * tsonnx against torch.onnx's op list (docs/torch-onnx-ops.tsv): every op is defined from torch's lowest
 * opset or lower, or docs/op-coverage-notes.tsv says why not; an "interpreter:" reason names an op the
 * trace stage really computes itself. `npm run coverage` prints the same comparison.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIN_OPSET } from '../../src/convert.js';
import { createOpRegistry } from '../../src/ops/index.js';
import { lowestOpset } from '../../src/ops/registry.js';
import { isBuiltin } from '../../src/trace/builtins.js';
import { compareWithTorch, readNotes, readTorchOps } from '../../scripts/lib/op-coverage.mjs';

const docs = join(import.meta.dirname, '..', '..', 'docs');
const registry = createOpRegistry();
const claimed = new Map(registry.opNames().map((op) => [op, Math.max(lowestOpset(registry.findOp(op)!.def)!, MIN_OPSET)]));
const notes = readNotes(docs);
const result = compareWithTorch(claimed, readTorchOps(docs), notes);

/** Ops the interpreter runs as statements or literals rather than as calls of a builtin. */
const STATEMENTS: Record<string, string> = {
  'aten::Delete': 'del',
  'prim::Constant': 'literals and constants',
  'prim::If': 'if',
  'prim::Loop': 'for / while',
  'prim::ListConstruct': 'list literals',
  'prim::ListUnpack': 'unpacking assignment',
  'prim::TupleConstruct': 'tuple literals',
  'prim::unchecked_cast': 'builtins.unchecked_cast',
  'prim::Uninitialized': 'builtins.uninitialized',
};

/** The builtin that printed code calls for an op: `torch.len` for aten::len, `ops.prim.min` for prim::min. */
function builtinPath(op: string): string {
  const [ns, name] = op.split('::');
  return ns === 'aten' ? `torch.${name}` : `ops.${ns}.${name}`;
}

describe("coverage of torch.onnx's ops", () => {
  it('gives a reason for every op tsonnx does not define', () => {
    expect(result.missing.filter((o) => o.note === undefined).map((o) => o.op)).toEqual([]);
  });

  it('gives a reason for every op tsonnx defines only from a higher opset than torch', () => {
    expect(result.higherOpset.filter((o) => o.note === undefined).map((o) => `${o.op}: ${o.opset} (torch ${o.torchOpset})`)).toEqual([]);
  });

  it('keeps no reason for an op that is now defined from torch opset or lower', () => {
    expect(result.staleNotes).toEqual([]);
  });

  it('backs every "interpreter:" reason with a builtin or a statement the interpreter runs', () => {
    const unbacked = result.missing
      .filter((o) => o.note?.startsWith('interpreter:'))
      .filter((o) => !(o.op in STATEMENTS) && !isBuiltin(builtinPath(o.op)))
      .map((o) => o.op);
    expect(unbacked).toEqual([]);
  });
});
