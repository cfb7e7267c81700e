/**
 * tsonnx's ops against torch.onnx's: which ops of torch's list (docs/torch-onnx-ops.tsv) the registry
 * defines and from which opset, and the documented reason (docs/op-coverage-notes.tsv) for each op it
 * does not define or defines only from a higher opset than torch, and for ops beyond torch's list that it does
 * not define. Used by `npm run coverage` and
 * test/ops/torch-coverage.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const rows = (text) => text.split('\n').filter((line) => line.trim() && !line.startsWith('#')).map((line) => line.split('\t'));

/** torch's ops with the lowest opset either PyTorch version lowers each from. */
export function readTorchOps(docsDir) {
  return rows(readFileSync(join(docsDir, 'torch-onnx-ops.tsv'), 'utf8')).map(([op, v113, v26]) => {
    const opsets = [v113, v26].filter((v) => v !== '-').map(Number);
    return { op, torchOpset: Math.min(...opsets), versions: [v113 !== '-' && '1.13', v26 !== '-' && '2.6'].filter(Boolean) };
  });
}

/** Op → why tsonnx does not define it (or defines it only from a higher opset). */
export function readNotes(docsDir) {
  return new Map(rows(readFileSync(join(docsDir, 'op-coverage-notes.tsv'), 'utf8')).map(([op, reason]) => [op, reason]));
}

/**
 * `claimed`: op name → the lowest opset the registry lowers it from. An in-place op of torch's list
 * (`aten::relu_`) counts as its functional op, as the interpreter runs it that way.
 */
export function compareWithTorch(claimed, torchOps, notes) {
  const result = { registered: [], higherOpset: [], missing: [], staleNotes: [], beyond: [] };
  for (const { op, torchOpset } of torchOps) {
    const name = claimed.has(op) ? op : op.replace(/_$/, '');
    const opset = claimed.get(name);
    const note = notes.get(op);
    if (opset === undefined) result.missing.push({ op, torchOpset, note });
    else if (opset > torchOpset) result.higherOpset.push({ op, opset, torchOpset, note });
    else {
      result.registered.push({ op, opset, torchOpset });
      if (note !== undefined) result.staleNotes.push(op);
    }
  }
  // Notes on ops beyond torch's list: why an op archives can call is not defined.
  const listed = new Set(torchOps.map((o) => o.op));
  for (const [op, note] of notes) {
    if (listed.has(op)) continue;
    if (claimed.has(op)) result.staleNotes.push(op);
    else result.beyond.push({ op, note });
  }
  return result;
}
