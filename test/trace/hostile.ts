/** Hand-made script archives whose code attacks the trace stage, and running the trace stage on them. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { openArchive } from '../../src/archive/index.js';
import { TsonnxError } from '../../src/errors.js';
import type { TorchGraph } from '../../src/ir/torch-graph.js';
import { parseInputSpec } from '../../src/trace/inputs.js';
import { DEFAULT_TRACE_LIMITS, type TraceLimits } from '../../src/trace/limits.js';
import { trace } from '../../src/trace/trace.js';
import { createOpRegistry } from '../../src/ops/index.js';
import { FreshDims } from '../../src/ops/args.js';
import { objectOps, pickle, pk, scriptArchive, tempDir, type ZipItem } from '../archive/helpers.js';

/**
 * An archive whose root module `__torch__.M` has the class body `members` (indented by two
 * spaces, as the printer writes it) in `code/__torch__.py`, plus any other code files.
 */
export function hostileArchive(members: string, files: Record<string, string> = {}): string {
  const path = join(tempDir(), 'model.pt');
  const code = `class M(Module):\n  __parameters__ = []\n  __buffers__ = []\n  training : bool\n${members}`;
  const records: ZipItem[] = [
    { name: 'data.pkl', data: pickle(objectOps('__torch__.M', [['training', pk.false]])) },
    { name: 'code/__torch__.py', data: code },
    ...Object.entries(files).map(([name, data]) => ({ name, data })),
  ];
  writeFileSync(path, scriptArchive('m', records));
  return path;
}

/** Runs the trace stage as convert does: archive open, errors settled before it closes. */
export async function traceArchive(path: string, inputs: string[], limits?: Partial<TraceLimits>): Promise<TorchGraph> {
  const archive = await openArchive(path);
  try {
    return trace(archive, { registry: createOpRegistry(), freshDims: new FreshDims(), inputs: inputs.map(parseInputSpec), training: false, limits: { ...DEFAULT_TRACE_LIMITS, ...limits } });
  } catch (e) {
    throw e instanceof TsonnxError ? e.settled() : e;
  } finally {
    archive.close();
  }
}

/** The TsonnxError tracing `path` ends in, checked to carry `code`. */
export async function traceError(path: string, inputs: string[], code: TsonnxError['code'], limits?: Partial<TraceLimits>): Promise<TsonnxError> {
  const error = await traceArchive(path, inputs, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TsonnxError);
  const e = error as TsonnxError;
  expect({ code: e.code, message: e.message }).toMatchObject({ code });
  return e;
}
