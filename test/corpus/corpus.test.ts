/** Archives written by other projects (../shared/corpus), with the outputs PyTorch gave for them. */
import { describe, it } from 'vitest';
import { corpusAvailable, corpusRoot, listCases, loadCase } from '../helpers/cases.js';
import { expectParity } from '../helpers/convert-case.js';

const available = corpusAvailable();
if (!available) console.warn(`skipping the real-world corpus: ${corpusRoot} is absent`);

describe.skipIf(!available)('real-world corpus', () => {
  for (const dir of available ? listCases(corpusRoot) : []) {
    const c = loadCase(dir);
    it(`${c.name} at opset 17`, async () => {
      await expectParity(c, 17);
    });
  }
});
