/**
 * The op table: every case of scripts/fixtures/ops_cases.py (made with PyTorch 1.13 and 2.6),
 * converted at the lowest opset it claims and at the highest, run in onnxruntime, compared with PyTorch.
 */
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { fixturesRoot, listCases, loadCase } from '../helpers/cases.js';
import { expectParity } from '../helpers/convert-case.js';

const cases = listCases(join(fixturesRoot, 'ops')).map(loadCase);

describe('op table', () => {
  for (const c of cases) {
    const [lo, hi] = c.opsets;
    for (const opset of [...new Set([lo, hi])]) {
      it(`${c.name} (${c.torch}) at opset ${opset}`, async () => {
        await expectParity(c, opset);
      });
    }
  }
});
