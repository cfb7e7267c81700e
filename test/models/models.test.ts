/** Small real models made with PyTorch 1.13 and 2.6 (scripts/fixtures/models.py), at opsets 11 and 17. */
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { fixturesRoot, listCases, loadCase } from '../helpers/cases.js';
import { expectParity } from '../helpers/convert-case.js';

const cases = listCases(join(fixturesRoot, 'models')).map(loadCase);

describe('models', () => {
  for (const c of cases) {
    for (const opset of [11, 17]) {
      it(`${c.name} (${c.torch}) at opset ${opset}`, async () => {
        await expectParity(c, opset);
      });
    }
  }
});
