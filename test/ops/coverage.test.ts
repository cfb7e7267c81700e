/**
 * Every op in the registry is proven at the lowest opset it claims: some op-table case converts to it
 * and runs at exactly that opset (test/ops/ops.test.ts runs each case at its planned lowest and at 21).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOpRegistry } from '../../src/ops/index.js';
import { fixturesRoot, listCases, loadCase } from '../helpers/cases.js';
import { claimedOpset, planOpsets, type OpsetPlan } from '../helpers/ops-used.js';

const plans: Array<{ name: string; plan: OpsetPlan }> = await Promise.all(
  listCases(join(fixturesRoot, 'ops')).map(async (dir) => {
    const c = loadCase(dir);
    return { name: `${c.name} (${c.torch})`, plan: await planOpsets(c) };
  }),
);

describe('op table coverage of the registry', () => {
  it('runs a case using each registered op at the opset the op claims', () => {
    const uncovered = createOpRegistry().opNames().flatMap((op) => {
      const claim = claimedOpset(op);
      if (plans.some(({ plan }) => plan.lowest === claim && plan.ops.includes(op))) return [];
      const users = plans.filter(({ plan }) => plan.ops.includes(op));
      const where = users.length
        ? `only at ${[...new Set(users.map(({ plan }) => plan.lowest))].sort((a, b) => a - b).join(', ')} (${users[0].name}, ...)`
        : 'by no case';
      return [`${op} claims opset ${claim}, used ${where}`];
    });
    expect(uncovered).toEqual([]);
  });
});
