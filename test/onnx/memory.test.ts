/** Weights stream from the archive file to the output: memory does not grow with the tensor. */
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { OnnxGraph } from '../../src/ir/onnx-graph.js';
import { writeModel } from '../../src/onnx/writer.js';
import { emptyGraph, model, storedEntry, temporaryFolder, tensorRef } from './fixtures.js';

const { folder, remove } = temporaryFolder();
afterAll(remove);

const MiB = 1 << 20;
const TENSOR_BYTES = 200 * MiB;
const LEADING_ELEMENTS = 16;

/** Element i of the storage holds i, so any slice of the output can be checked on its own. */
function writeCountingStorage(file: string, elements: number): void {
  const fd = openSync(file, 'w');
  const chunk = new Uint32Array(MiB / 4);
  for (let first = 0; first < elements; first += chunk.length) {
    const count = Math.min(chunk.length, elements - first);
    for (let index = 0; index < count; index++) chunk[index] = first + index;
    writeSync(fd, chunk, 0, count * 4);
  }
  closeSync(fd);
}

function readAt(file: string, position: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, position);
  closeSync(fd);
  return buffer;
}

function counting(first: number, count: number): Buffer {
  return Buffer.from(Uint32Array.from({ length: count }, (_, index) => first + index).buffer);
}

it('writes a 200 MB initializer with far less than 200 MB of memory', async () => {
  const archive = path.join(folder, 'big.pt');
  const elements = TENSOR_BYTES / 4;
  writeCountingStorage(archive, LEADING_ELEMENTS + elements);
  const entry = storedEntry(archive, 'data/0', 0, (LEADING_ELEMENTS + elements) * 4);
  const graph: OnnxGraph = {
    ...emptyGraph(),
    initializers: [{ name: 'big', dtype: 'int32', dims: [elements], data: { kind: 'archive', ref: tensorRef(entry, 'int32', [elements], { storageOffset: LEADING_ELEMENTS }) } }],
  };
  const out = path.join(folder, 'big.onnx');

  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const report = await writeModel(model(graph), out, { archivePath: archive });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);

  expect(peak - baseline).toBeLessThan(48 * MiB);
  expect(report.bytes).toBe(statSync(out).size);
  expect(report.initializerBytes).toBe(TENSOR_BYTES);
  const head = readAt(out, 0, 4096);
  const dataStart = head.indexOf(counting(LEADING_ELEMENTS, 4));
  expect(dataStart).toBeGreaterThan(0);
  expect(readAt(out, dataStart + TENSOR_BYTES - 16, 16)).toEqual(counting(LEADING_ELEMENTS + elements - 4, 4));
});
