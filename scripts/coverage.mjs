#!/usr/bin/env node
/**
 * `npm run coverage`: the registry's size and ops per family, and tsonnx against torch.onnx's list
 * (docs/torch-onnx-ops.tsv): ops defined from torch's opset or lower, ops defined only from a higher
 * opset, and ops not defined, each with its reason from docs/op-coverage-notes.tsv; then the ops beyond torch's
 * list that the notes say tsonnx does not define, and why.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, projectRoot } from './lib/env.mjs';
import { compareWithTorch, readNotes, readTorchOps } from './lib/op-coverage.mjs';

ensureBuilt();
const { createOpRegistry } = await import('../dist/ops/index.js');
const { lowestOpset } = await import('../dist/ops/registry.js');
const { MIN_OPSET } = await import('../dist/convert.js');

const registry = createOpRegistry();
const claimed = new Map(registry.opNames().map((op) => [op, Math.max(lowestOpset(registry.findOp(op).def), MIN_OPSET)]));

const familiesDir = join(projectRoot, 'dist', 'ops', 'families');
const families = [];
for (const file of readdirSync(familiesDir).filter((f) => f.endsWith('.js')).sort()) {
  const module = await import(join(familiesDir, file));
  const defs = Object.values(module).filter(Array.isArray).flat();
  const ops = new Set(defs.map((def) => def.schemas[0].slice(0, def.schemas[0].search(/[.(]/))));
  families.push([file.replace(/\.js$/, ''), ops.size]);
}

const docs = join(projectRoot, 'docs');
const torchOps = readTorchOps(docs);
const result = compareWithTorch(claimed, torchOps, readNotes(docs));
const inTorch = (version) => torchOps.filter((o) => o.versions.includes(version)).length;

console.log(`registry: ${claimed.size} ops in ${families.length} families`);
console.log(`  ${families.map(([name, n]) => `${name} ${n}`).join(', ')}`);
console.log(`torch.onnx's list: ${torchOps.length} ops (PyTorch 1.13: ${inTorch('1.13')}, 2.6: ${inTorch('2.6')})`);
console.log(`  defined from torch's lowest opset or lower: ${result.registered.length}`);
console.log(`  defined only from a higher opset: ${result.higherOpset.length}`);
for (const o of result.higherOpset) console.log(`    ${o.op}: ${o.opset} (torch ${o.torchOpset})${o.note ? ` — ${o.note}` : ''}`);
const groups = new Map();
for (const o of result.missing) {
  const kind = o.note ? o.note.slice(0, o.note.indexOf(':')) : 'no reason given';
  groups.set(kind, [...(groups.get(kind) ?? []), o]);
}
console.log(`  not defined: ${result.missing.length}`);
for (const [kind, ops] of groups) {
  console.log(`    ${kind} (${ops.length}):`);
  for (const o of ops) console.log(`      ${o.op}${o.note ? ` — ${o.note.slice(o.note.indexOf(':') + 1).trim()}` : ''}`);
}
console.log(`beyond torch.onnx's list, not defined: ${result.beyond.length}`);
for (const o of result.beyond) console.log(`  ${o.op} — ${o.note}`);
if (result.staleNotes.length) console.log(`notes for ops now defined (remove them from docs/op-coverage-notes.tsv): ${result.staleNotes.join(', ')}`);
