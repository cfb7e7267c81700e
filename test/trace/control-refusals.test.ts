/**
 * What control flow on tensor data still refuses, on code written as TorchScript prints it: each refusal is a
 * TRACE_UNSUPPORTED error whose message says what has no ONNX form, at the line of the statement that needs it.
 */
import { describe, expect, it } from 'vitest';
import { hostileArchive, traceError } from './hostile.js';

/** `forward(self, x: Tensor)` with the given body (lines indented by four spaces); its first line is line 6. */
function forward(body: string): string {
  return `  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n${body}`;
}

/** A forward body that appends `row` to `rows` on one path of an if on tensor data (the if on line 7), then `rest` from line 11. */
function appendOnOnePath(row: string, rest: string, start = 'annotate(List[Tensor], [])'): string {
  return forward(
    `    rows = ${start}\n` +
      '    if bool(torch.gt(torch.sum(x), 0.)):\n' +
      `      _0 = torch.append(rows, ${row})\n` +
      '    else:\n' +
      '      pass\n' +
      rest,
  );
}

async function expectRefusal(code: string, message: string, line: number | undefined): Promise<void> {
  const e = await traceError(hostileArchive(code), ['float32[2,3]'], 'TRACE_UNSUPPORTED');
  expect(e.message).toContain(message);
  expect(e.location?.line).toBe(line);
}

describe('control flow on tensor data: what is refused', () => {
  it('a break statement in a loop on tensor data (TorchScript saves none)', async () => {
    const code = forward(
      '    y = x\n' +
        '    while bool(torch.gt(torch.sum(y), 0.)):\n' +
        '      y = torch.sub(y, 1.)\n' +
        '      break\n' +
        '    return y\n',
    );
    await expectRefusal(code, 'a break or continue statement in a loop on tensor data', 9);
  });

  it('a list of numbers whose length depends on tensor data', async () => {
    const code = appendOnOnePath('1', '    return torch.mul(x, torch.len(rows))\n', 'annotate(List[int], [])');
    await expectRefusal(code, 'a list holding a int changes length on the paths of control flow on tensor data', 7);
  });

  it('tensors of different shapes in a list whose length depends on tensor data', async () => {
    const code = appendOnOnePath('torch.sum(x, [0])', '    return torch.stack(rows)\n', '[x]');
    await expectRefusal(code, 'its tensors must share dtype and shape: float32[2,3] and float32[3]', 7);
  });

  it('appending a tensor of another shape to a list whose length depends on tensor data', async () => {
    const code = appendOnOnePath('x', '    _1 = torch.append(rows, torch.sum(x, [0]))\n    return torch.stack(rows)\n');
    await expectRefusal(code, 'its tensors must share dtype and shape: float32[2,3] and float32[3]', 11);
  });

  it('other list operations on a list whose length depends on tensor data', async () => {
    const code = appendOnOnePath('x', '    y = torch.pop(rows)\n    return y\n');
    await expectRefusal(code, 'pop() on a list whose length depends on tensor data is not supported', 11);
  });

  it('iterating over a list whose length depends on tensor data', async () => {
    const code = appendOnOnePath('x', '    y = x\n    for r in rows:\n      y = torch.add(y, r)\n    return y\n');
    await expectRefusal(code, 'iterating over a list of run-time length is not supported', 12);
  });

  it('returning a list whose length depends on tensor data', async () => {
    const code = appendOnOnePath('x', '    return rows\n');
    await expectRefusal(code, 'forward() returns a list whose length depends on tensor data', undefined);
  });

  it('a loop on tensor data that removes items from a list', async () => {
    const code = forward(
      '    rows = [x, x]\n' +
        '    y = x\n' +
        '    while bool(torch.lt(torch.sum(y), 10.)):\n' +
        '      _0 = torch.pop(rows)\n' +
        '      y = torch.mul(y, 2.)\n' +
        '    return torch.stack(rows)\n',
    );
    await expectRefusal(code, 'a loop on tensor data changes a list other than by appending tensors to it', 8);
  });
});
