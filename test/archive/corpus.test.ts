/** Real archives written by other projects (../shared/corpus), read in place. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contiguousFileRange, openArchive, tensorBytes } from '../../src/archive/index.js';
import type { PickleValue, TensorRef } from '../../src/archive/types.js';

const CORPUS = path.resolve('../shared/corpus');
const MODELS = fs.existsSync(CORPUS)
  ? fs.readdirSync(CORPUS).filter((d) => fs.existsSync(path.join(CORPUS, d, 'model.pt')))
  : [];

/** Every tensor reachable from a value, each once. */
function collectTensors(root: PickleValue, found = new Set<TensorRef>(), seen = new Set<object>()): Set<TensorRef> {
  if (typeof root !== 'object' || root === null || seen.has(root)) return found;
  seen.add(root);
  if (Array.isArray(root)) root.forEach((v) => collectTensors(v, found, seen));
  else if ('kind' in root) {
    if (root.kind === 'tensor') found.add(root);
    else if (root.kind === 'tuple') root.items.forEach((v) => collectTensors(v, found, seen));
    else if (root.kind === 'dict') root.entries.forEach(([k, v]) => (collectTensors(k, found, seen), collectTensors(v, found, seen)));
    else if (root.kind === 'object') {
      root.attributes.forEach((v) => collectTensors(v, found, seen));
      if (root.state !== undefined) collectTensors(root.state, found, seen);
    }
  }
  return found;
}

describe.skipIf(MODELS.length === 0)('real-world corpus', () => {
  it.each(MODELS)('%s opens with a __torch__ root and readable tensors', async (name) => {
    const archive = await openArchive(path.join(CORPUS, name, 'model.pt'));
    const fd = fs.openSync(archive.path, 'r');
    expect(archive.module.className).toMatch(/^__torch__\./);
    expect(archive.version).toBeGreaterThanOrEqual(1);
    expect([...archive.entries.keys()].some((e) => e.startsWith('code/') && e.endsWith('.py'))).toBe(true);
    for (const tensor of [...collectTensors(archive.module), ...collectTensors(archive.constants)]) {
      const bytes = tensorBytes(tensor);
      const range = contiguousFileRange(tensor);
      if (range) {
        const fromFile = Buffer.alloc(range.end - range.start);
        fs.readSync(fd, fromFile, 0, fromFile.length, range.start);
        // Buffer.equals: deep equality on large byte arrays is very slow.
        expect(fromFile.equals(bytes), `${tensor.storage.entry.name} [${tensor.shape}]`).toBe(true);
      }
    }
    fs.closeSync(fd);
    archive.close();
  });
});

if (MODELS.length === 0) console.warn(`skipping corpus tests: no models under ${CORPUS}`);
