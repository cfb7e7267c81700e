/** Converts a PyTorch-made case with tsonnx, runs it in onnxruntime, and compares with PyTorch's outputs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { convert, type ConvertReport } from '../../src/index.js';
import { compareAll, runOnnx, type Case } from './cases.js';

const workDir = mkdtempSync(join(tmpdir(), 'tsonnx-test-'));
let counter = 0;
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

export function tempPath(name: string): string {
  return join(workDir, `${counter++}-${name}`);
}

/** Converts `c` at `opset` and asserts onnxruntime's outputs equal PyTorch's. */
export async function expectParity(c: Case, opset: number): Promise<ConvertReport> {
  const out = tempPath(`${c.name}-${opset}.onnx`);
  const report = await convert(join(c.dir, 'model.pt'), out, { ...c.options, inputs: c.args, opsetVersion: opset });
  const inputNames = report.inputs.map((i) => i.name);
  const tensorArgs = c.args.map((a, i) => ({ spec: a, index: i })).filter((a) => /\[/.test(a.spec));
  const feeds = c.inputs.filter((input) => tensorArgs.some((a) => a.index === input.index));
  const got = await runOnnx(out, feeds, inputNames.length === feeds.length ? inputNames : undefined);
  compareAll(got, c.outputs, c.tolerance);
  return report;
}
