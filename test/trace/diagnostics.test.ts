/** An op tsonnx cannot convert stops the conversion with its name and its TorchScript and Python locations. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, TsonnxError } from '../../src/index.js';
import { fixturesRoot, listCases, loadCase } from '../helpers/cases.js';
import { tempPath } from '../helpers/convert-case.js';

describe('unsupported ops', () => {
  for (const dir of listCases(join(fixturesRoot, 'diagnostics'))) {
    const c = loadCase(dir);
    it(`${c.name} (${c.torch}) names aten::erfinv and where the model calls it`, async () => {
      const error = await convert(join(dir, 'model.pt'), tempPath('diag.onnx'), { inputs: c.args }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TsonnxError);
      const e = error as TsonnxError;
      expect(e.code).toBe('OP_UNSUPPORTED');
      expect(e.message).toBe('aten::erfinv is not supported');
      expect(e.location?.file).toMatch(/^code\/__torch__(\/___torch_mangle_\d+)?\.py$/);
      expect(e.location?.line).toBe(9);
      expect(e.location?.python).toBe('diagnostics_cases.py:19');
      expect(e.format()).toMatch(/^code\/__torch__.*\.py:9 \(diagnostics_cases\.py:19\): OP_UNSUPPORTED: aten::erfinv is not supported$/);
    });
  }
});
