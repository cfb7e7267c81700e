import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import '../../src/lower/ops/elementwise.js';
import '../../src/lower/ops/activation.js';
import '../../src/lower/ops/reduce.js';
import { findOp, registeredOps } from '../../src/lower/registry.js';
test('schemas', () => {
  const known = new Set(readFileSync('/tmp/schemas113.txt', 'utf8').split('\n'));
  let k26 = new Set<string>();
  try { k26 = new Set(readFileSync('/tmp/schemas26.txt', 'utf8').split('\n')); } catch {}
  for (const name of registeredOps()) {
    for (const s of findOp(name)!.schemas) if (!known.has(s.text)) console.log((k26.has(s.text) ? '2.6 only: ' : 'MISSING: ') + s.text);
  }
});
