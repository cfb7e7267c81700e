/**
 * Ops that read files or raw memory are refused with UNSAFE_OP wherever the archive's code calls
 * them: in branches never taken and in files no module uses, before any code runs; names computed
 * at run time are refused when called; as_strided is refused when it reads outside its storage.
 */
import { describe, expect, it } from 'vitest';
import { hostileArchive, traceArchive, traceError } from './hostile.js';

/** `forward(self, x: Tensor) -> Tensor` with the given body; its first line is line 6. */
function forward(body: string, more = ''): string {
  return `  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n${body}${more}`;
}

/** A forward that would first loop forever, then call `call` on a branch never taken (training is False). */
function neverTaken(call: string): string {
  return forward(`    while True:\n      pass\n    if self.training:\n      y = ${call}\n    else:\n      y = x\n    return y\n`);
}

describe('unsafe ops are refused before anything runs', () => {
  const cases: Array<[string, string, string]> = [
    ['torch.from_file("/etc/passwd", False, 64)', 'aten::from_file (torch.from_file) reads a file named by the code', 'torch.from_file'],
    ['ops.aten.from_file("/etc/passwd", False, 64)', 'aten::from_file (ops.aten.from_file) reads a file named by the code', 'ops.aten.from_file'],
    ['ops.inductor._reinterpret_tensor(x, [64], [1], 100000)', 'inductor::_reinterpret_tensor (ops.inductor._reinterpret_tensor) reads memory at sizes, strides and an offset the code chooses', 'ops.inductor'],
    ['torch.ops.inductor._reinterpret_tensor(x, [64], [1], 0)', 'inductor::_reinterpret_tensor (torch.ops.inductor._reinterpret_tensor) reads memory', 'torch.ops'],
    ['torch.load("/tmp/other.pt")', 'aten::load (torch.load) loads a file named by the code', 'torch.load'],
    ['torch.jit.load("/tmp/other.pt")', 'aten::load (torch.jit.load) loads a file named by the code', 'torch.jit.load'],
    ['torch.save(x, "/tmp/out.pt")', 'aten::save (torch.save) writes a file named by the code', 'torch.save'],
    ['"/etc/passwd".from_file(False, 64)', 'aten::from_file (.from_file) reads a file named by the code', 'method form'],
    ['getattr(torch, "from_file")("/etc/passwd", False, 64)', "aten::from_file (getattr(..., 'from_file')) reads a file", 'getattr form'],
    // An octal escape hides the name from the text, not from the parsed string.
    ['getattr(torch, "from\\137file")("/etc/passwd", False, 64)', "aten::from_file (getattr(..., 'from_file')) reads a file", 'getattr form, escaped'],
  ];
  for (const [call, message, label] of cases) {
    it(`${label} on a branch never taken`, async () => {
      const e = await traceError(hostileArchive(neverTaken(call)), ['float32[2]'], 'UNSAFE_OP');
      expect(e.message.startsWith(message)).toBe(true);
      expect(e.message).toMatch(/; tsonnx refuses archives whose code calls it, whether or not the call runs$/);
      expect(e.location).toMatchObject({ file: 'code/__torch__.py', line: 9 });
    });
  }

  it('in a code file that no module uses', async () => {
    const unused = {
      'code/__torch__/unused.py': 'class Unused(Module):\n  __parameters__ = []\n  __buffers__ = []\n  def forward(self: __torch__.unused.Unused, x: Tensor) -> Tensor:\n    return ops.inductor._reinterpret_tensor(x, [1000000], [1], 0)\n',
    };
    const e = await traceError(hostileArchive(forward('    return torch.relu(x)\n'), unused), ['float32[2]'], 'UNSAFE_OP');
    expect(e.message).toMatch(/^inductor::_reinterpret_tensor \(ops\.inductor\._reinterpret_tensor\) reads memory/);
    expect(e.location).toMatchObject({ file: 'code/__torch__/unused.py', line: 5 });
  });

  it('a name computed at run time is refused when it is called', async () => {
    const code = forward('    name = torch.add("from_", "file")\n    f = getattr(torch, name)\n    return f("/etc/passwd", False, 64)\n');
    const e = await traceError(hostileArchive(code), ['float32[2]'], 'UNSAFE_OP');
    expect(e.message).toMatch(/^aten::from_file \(torch\.from_file\) reads a file named by the code;/);
    expect(e.location).toMatchObject({ file: 'code/__torch__.py', line: 8 });
  });

  it('modules with methods named load and save still convert', async () => {
    const code = forward(
      '    return self.save(self.load(x))\n',
      '  def load(self: __torch__.M, x: Tensor) -> Tensor:\n    return torch.relu(x)\n' +
        '  def save(self: __torch__.M, x: Tensor) -> Tensor:\n    return torch.neg(x)\n',
    );
    const graph = await traceArchive(hostileArchive(code), ['float32[2]']);
    expect(graph.body.nodes.map((n) => n.op)).toEqual(['aten::relu', 'aten::neg']);
  });

  it('a code file that does not parse is no reason to refuse if nothing uses it', async () => {
    const graph = await traceArchive(hostileArchive(forward('    return torch.relu(x)\n'), { 'code/__torch__/junk.py': 'def (((\n' }), ['float32[2]']);
    expect(graph.body.nodes.map((n) => n.op)).toEqual(['aten::relu']);
  });
});

describe('as_strided reads inside its storage only', () => {
  it('sizes and strides reaching past the storage are refused', async () => {
    const e = await traceError(hostileArchive(forward('    return torch.as_strided(x, [4, 4], [4, 1])\n')), ['float32[2,3]'], 'UNSAFE_OP');
    expect(e.message).toBe(
      "aten::as_strided with size [4, 4], stride [4, 1] and offset 0 reads element 15 of a storage of 6; tsonnx refuses reads outside a tensor's storage",
    );
    expect(e.location).toMatchObject({ file: 'code/__torch__.py', line: 6 });
  });

  it('an offset past the storage is refused, also through a view and as a method', async () => {
    const code = forward('    y = torch.slice(x, 0, 0, 1)\n    return y.as_strided([1], [1], 6)\n');
    const e = await traceError(hostileArchive(code), ['float32[2,3]'], 'UNSAFE_OP');
    expect(e.message).toMatch(/^aten::as_strided with size \[1\], stride \[1\] and offset 6 reads element 6 of a storage of 6;/);
    expect(e.location?.line).toBe(7);
  });

  it('negative strides are refused', async () => {
    const e = await traceError(hostileArchive(forward('    return torch.as_strided(x, [2], [-1], 1)\n')), ['float32[6]'], 'UNSAFE_OP');
    expect(e.message).toMatch(/has a negative size, stride or offset;/);
  });

  it('in-bounds as_strided goes on to the op registry', async () => {
    const graph = await traceArchive(hostileArchive(forward('    return torch.as_strided(x, [3, 2], [1, 3])\n')), ['float32[2,3]']);
    expect(graph.body.nodes.map((n) => n.op)).toContain('aten::as_strided');
  });
});
