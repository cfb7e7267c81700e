/** The registry itself: every definition's schemas parse, name its op, and its lowerings have opset keys. */
import { describe, expect, it } from 'vitest';
import { createOpRegistry } from '../../src/ops/index.js';
import { createRegistry, lowestOpset } from '../../src/ops/registry.js';

describe('op registry', () => {
  const registry = createOpRegistry();
  const ops = registry.opNames();

  it('holds the op families', () => {
    expect(ops.length).toBeGreaterThan(250);
    expect(ops).toContain('aten::conv2d');
    expect(ops).toContain('quantized::linear_dynamic');
  });

  it('parses every schema into arguments of its own op', () => {
    for (const op of ops) {
      const entry = registry.findOp(op);
      expect(entry, op).toBeDefined();
      for (const schema of entry!.schemas) {
        expect(schema.name, schema.text).toBe(op);
        expect(schema.returns.length, schema.text).toBeGreaterThanOrEqual(0);
        for (const arg of schema.args) expect(arg.name, schema.text).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      }
    }
  });

  it('gives every op a lowering at some opset from 1 to 21', () => {
    for (const op of ops) {
      const lowest = lowestOpset(registry.findOp(op)!.def);
      expect(lowest, op).toBeGreaterThanOrEqual(1);
      expect(lowest, op).toBeLessThanOrEqual(21);
    }
  });

  it('is built from the families once: an op defined twice, or a definition naming two ops, is refused', () => {
    const relu = registry.findOp('aten::relu')!.def;
    const add = registry.findOp('aten::add')!.def;
    expect(() => createRegistry([[relu], [relu]])).toThrow('op aten::relu defined twice');
    expect(() => createRegistry([[{ ...relu, schemas: [...relu.schemas, ...add.schemas] }]])).toThrow('one definition per op');
    expect(Object.isFrozen(registry)).toBe(true);
    expect(registry.findOp('aten::no_such_op')).toBeUndefined();
  });
});
