import { describe, expect, it } from 'vitest';
import { unpickle, type UnpickleOptions } from '../../src/archive/pickle.js';
import { PyFloat, type ArchiveEntry, type DType, type PickleValue, type ScriptObject, type StorageRef, type TensorRef } from '../../src/archive/types.js';
import { errorOf, objectOps, pickle, pk, tensorOps } from './helpers.js';

function fakeEntry(name: string, size: number): ArchiveEntry {
  return { name, size, read: () => Buffer.alloc(size) };
}

/** Options whose storages are fake entries `data/<key>`, recording every lookup. */
function withStorages(calls: string[] = []): UnpickleOptions {
  return {
    source: 'data.pkl',
    loadStorage: (dtype: DType, key: string, numel: number): StorageRef => {
      calls.push(`${key}:${dtype}:${numel}`);
      return { entry: fakeEntry(`data/${key}`, numel * 4), dtype, numel };
    },
  };
}

function load(bytes: Buffer, options: UnpickleOptions = { source: 'test.pkl' }): PickleValue {
  return unpickle(bytes, options);
}

describe('unpickle: scalars', () => {
  it('keeps ints and floats apart', () => {
    expect(load(pickle(pk.int1(7)))).toBe(7);
    expect(load(pickle(pk.float(2)))).toEqual(new PyFloat(2));
    expect(load(pickle(pk.float(-0.5)))).toBeInstanceOf(PyFloat);
  });

  it('reads BININT1 and BININT2 unsigned, BININT signed', () => {
    expect(load(pickle(pk.int1(255)))).toBe(255);
    expect(load(pickle(pk.int2(65535)))).toBe(65535);
    expect(load(pickle(pk.int4(-7)))).toBe(-7);
  });

  it('reads LONG1 as a number within ±2^53 and as a bigint beyond', () => {
    expect(load(pickle(pk.long1(2n ** 40n)))).toBe(2 ** 40);
    expect(load(pickle(pk.long1(-(2n ** 53n) + 1n)))).toBe(-(2 ** 53) + 1);
    expect(load(pickle(pk.long1(2n ** 60n)))).toBe(2n ** 60n);
    expect(load(pickle(pk.long1(-(2n ** 63n))))).toBe(-(2n ** 63n));
    expect(load(pickle(pk.long1(2n ** 63n - 1n)))).toBe(2n ** 63n - 1n);
  });

  it('reads BINFLOAT big-endian, including inf and nan', () => {
    expect(load(pickle(pk.float(1e-300)))).toEqual(new PyFloat(1e-300));
    expect(load(pickle(pk.float(Infinity)))).toEqual(new PyFloat(Infinity));
    expect((load(pickle(pk.float(NaN))) as PyFloat).value).toBeNaN();
  });

  it('reads UTF-8 strings, booleans and None', () => {
    expect(load(pickle(pk.str('héllo')))).toBe('héllo');
    expect(load(pickle(pk.mark, pk.true, pk.false, pk.none, pk.tuple))).toEqual({ kind: 'tuple', items: [true, false, null] });
  });

  it('reads protocol-0 text opcodes', () => {
    expect(load(Buffer.from('I42\n.'))).toBe(42);
    expect(load(Buffer.from('I01\n.'))).toBe(true);
    expect(load(Buffer.from('L-9223372036854775808L\n.'))).toBe(-(2n ** 63n));
    expect(load(Buffer.from('F2.5\n.'))).toEqual(new PyFloat(2.5));
    expect(load(Buffer.from('(lI1\naI2\na.'))).toEqual([1, 2]);
  });
});

describe('unpickle: containers', () => {
  it('builds tuples, lists and dicts', () => {
    const value = load(pickle(
      pk.mark,
      pk.int1(1), pk.str('x'), pk.float(2), pk.tuple3,
      pk.emptyList, pk.mark, pk.str('a'), pk.str('b'), pk.appends,
      pk.emptyDict, pk.mark, pk.str('k'), pk.int1(2), pk.setitems,
      pk.tuple,
    ));
    expect(value).toEqual({
      kind: 'tuple',
      items: [
        { kind: 'tuple', items: [1, 'x', new PyFloat(2)] },
        ['a', 'b'],
        { kind: 'dict', entries: [['k', 2]] },
      ],
    });
  });

  it('replaces a dict entry when a key repeats, as Python does', () => {
    const value = load(pickle(pk.emptyDict, pk.str('k'), pk.int1(1), pk.setitem, pk.str('k'), pk.int1(2), pk.setitem));
    expect(value).toEqual({ kind: 'dict', entries: [['k', 2]] });
  });

  it('returns the very same object for BINGET', () => {
    const value = load(pickle(pk.mark, pk.emptyList, pk.put(3), pk.get(3), pk.tuple)) as { items: PickleValue[] };
    expect(value.items[0]).toBe(value.items[1]);
  });

  it('records restore_type_tag and build_*list element types', () => {
    const typeTags = new WeakMap<object, string>();
    const value = load(pickle(
      pk.mark,
      pk.global('torch.jit._pickle', 'restore_type_tag'), pk.emptyDict, pk.str('Dict[str, int]'), pk.tuple2, pk.reduce,
      pk.global('torch.jit._pickle', 'build_intlist'), pk.mark, pk.emptyList, pk.mark, pk.int1(1), pk.appends, pk.tuple, pk.reduce,
      pk.global('torch.jit._pickle', 'build_doublelist'), pk.mark, pk.emptyList, pk.mark, pk.float(1), pk.appends, pk.tuple, pk.reduce,
      pk.tuple,
    ), { source: 'test.pkl', typeTags }) as { items: PickleValue[] };
    expect(value.items).toEqual([{ kind: 'dict', entries: [] }, [1], [new PyFloat(1)]]);
    expect(value.items.map((item) => typeTags.get(item as object))).toEqual(['Dict[str, int]', 'List[int]', 'List[float]']);
  });
});

describe('unpickle: objects', () => {
  it('builds a module from its attribute dict (form a)', () => {
    const value = load(pickle(objectOps('__torch__.M', [['training', pk.true], ['n', pk.int1(3)]]))) as ScriptObject;
    expect(value.kind).toBe('object');
    expect(value.className).toBe('__torch__.M');
    expect([...value.attributes]).toEqual([['training', true], ['n', 3]]);
    expect(value.state).toBeUndefined();
  });

  it('keeps a __getstate__ value as state (form b)', () => {
    const value = load(pickle(pk.global('__torch__', 'WithState'), pk.emptyTuple, pk.newobj, pk.int1(3), pk.true, pk.tuple2, pk.build)) as ScriptObject;
    expect(value.attributes.size).toBe(0);
    expect(value.state).toEqual({ kind: 'tuple', items: [3, true] });
  });

  it('treats a type-tagged dict given to BUILD as state, not attributes', () => {
    const value = load(pickle(
      pk.global('__torch__', 'S'), pk.emptyTuple, pk.newobj,
      pk.global('torch.jit._pickle', 'restore_type_tag'), pk.emptyDict, pk.mark, pk.str('a'), pk.int1(1), pk.setitems,
      pk.str('Dict[str, int]'), pk.tuple2, pk.reduce,
      pk.build,
    )) as ScriptObject;
    expect(value.attributes.size).toBe(0);
    expect(value.state).toEqual({ kind: 'dict', entries: [['a', 1]] });
  });

  it('reads an enum member (REDUCE with a bare value) as an object whose state is the value', () => {
    expect(load(pickle(pk.global('__torch__', 'Color'), pk.int1(2), pk.reduce))).toEqual({
      kind: 'object', className: '__torch__.Color', attributes: new Map(), state: 2,
    });
  });

  it('reads devices, complex scalars and qschemes', () => {
    const value = load(pickle(
      pk.mark,
      pk.global('torch', 'device'), pk.str('cuda:0'), pk.tuple1, pk.reduce,
      pk.global('builtins', 'complex'), pk.float(1), pk.float(-2), pk.tuple2, pk.reduce,
      pk.global('torch', 'per_tensor_affine'),
      pk.tuple,
    )) as { items: PickleValue[] };
    expect(value.items[0]).toEqual({ kind: 'device', device: 'cuda:0' });
    expect(value.items[1]).toEqual({
      kind: 'object', className: 'builtins.complex', attributes: new Map([['real', new PyFloat(1)], ['imag', new PyFloat(-2)]]),
    });
    expect(value.items[2]).toEqual({ kind: 'global', module: 'torch', name: 'per_tensor_affine' });
  });
});

describe('unpickle: tensors', () => {
  it('rebuilds a strided view and resolves its storage once', () => {
    const calls: string[] = [];
    const value = load(pickle(pk.mark, tensorOps('FloatStorage', '0', 24, 8, [2, 3], [6, 1]), tensorOps('FloatStorage', '0', 24, 0, [24], [1]), pk.tuple), withStorages(calls)) as { items: TensorRef[] };
    const [view, whole] = value.items;
    expect(view).toMatchObject({ kind: 'tensor', dtype: 'float32', shape: [2, 3], strides: [6, 1], storageOffset: 8, requiresGrad: false });
    expect(view.storage.entry.name).toBe('data/0');
    expect(calls).toEqual(['0:float32:24', '0:float32:24']);
    expect(whole.shape).toEqual([24]);
  });

  it('accepts the 2.x seventh argument when its math bits are all off', () => {
    const ops = tensorOps('HalfStorage', '1', 2, 0, [2], [1]);
    // Insert `{}` (restore_type_tag'd) before the closing TUPLE, REDUCE of _rebuild_tensor_v2.
    const withMetadata = Buffer.concat([
      ops.subarray(0, ops.length - 2),
      pk.global('torch.jit._pickle', 'restore_type_tag'), pk.emptyDict, pk.str('Dict[str, bool]'), pk.tuple2, pk.reduce,
      ops.subarray(ops.length - 2),
    ]);
    expect(load(pickle(withMetadata), withStorages())).toMatchObject({ dtype: 'float16', shape: [2] });
  });

  it('reads qtensor parameters', () => {
    const value = load(pickle(
      pk.global('torch._utils', '_rebuild_qtensor'), pk.mark,
      pk.mark, pk.str('storage'), pk.global('torch', 'QInt8Storage'), pk.str('0'), pk.str('cpu'), pk.int1(3), pk.tuple, pk.persid,
      pk.int1(0), pk.mark, pk.int1(3), pk.tuple, pk.mark, pk.int1(1), pk.tuple,
      pk.mark, pk.global('torch', 'per_tensor_affine'), pk.float(0.5), pk.int1(3), pk.tuple,
      pk.false, pk.global('collections', 'OrderedDict'), pk.emptyTuple, pk.reduce,
      pk.tuple, pk.reduce,
    ), withStorages()) as TensorRef;
    expect(value.dtype).toBe('qint8');
    expect(value.quant).toEqual({ scheme: 'per_tensor_affine', scale: 0.5, zeroPoint: 3 });
  });

  it('rejects a view that reaches past its storage', () => {
    const error = errorOf(() => load(pickle(tensorOps('FloatStorage', '0', 4, 2, [3], [1])), withStorages()));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toBe("data.pkl: tensor [3] of storage 'data/0' with strides [1] at offset 2 reaches element 4, past the storage's 4 elements");
  });

  it('resolves build_tensor_from_id against the tensor table', () => {
    const table: PickleValue[] = ['c0', 'c1'];
    const value = load(pickle(pk.global('torch.jit._pickle', 'build_tensor_from_id'), pk.int1(1), pk.tuple1, pk.reduce), { source: 'data.pkl', tensorTable: table });
    expect(value).toBe('c1');
  });

  it('rejects sparse tensors and unsupported storage types with ARCHIVE_UNSUPPORTED', () => {
    expect(errorOf(() => load(pickle(pk.global('torch._utils', '_rebuild_sparse_tensor'), pk.int1(1), pk.tuple1, pk.reduce))).code).toBe('ARCHIVE_UNSUPPORTED');
    expect(errorOf(() => load(pickle(pk.global('torch', 'Float8_e4m3fnStorage')))).message).toContain('torch.Float8_e4m3fnStorage');
  });
});

describe('unpickle: untrusted input', () => {
  it('rejects globals outside the allow-list, naming them', () => {
    const error = errorOf(() => load(pickle(pk.global('os', 'system'), pk.str('echo hi'), pk.tuple1, pk.reduce)));
    expect(error.code).toBe('PICKLE_FORBIDDEN_GLOBAL');
    expect(error.message).toContain("'os.system'");
    expect(errorOf(() => load(pickle(pk.global('torch', 'load')))).code).toBe('PICKLE_FORBIDDEN_GLOBAL');
    expect(errorOf(() => load(pickle(pk.global('builtins', 'eval')))).code).toBe('PICKLE_FORBIDDEN_GLOBAL');
  });

  it('reports truncation, unknown opcodes, empty memo slots and stack underflow as PICKLE_CORRUPT', () => {
    const truncated = pickle(pk.str('hello')).subarray(0, 6);
    expect(errorOf(() => load(truncated)).message).toMatch(/unexpected end of pickle/);
    expect(errorOf(() => load(Buffer.from([0x80, 0x02, 0xff]))).message).toMatch(/opcode 0xff/);
    expect(errorOf(() => load(pickle(pk.get(9)))).message).toMatch(/memo slot 9/);
    expect(errorOf(() => load(pickle(pk.tuple2))).code).toBe('PICKLE_CORRUPT');
  });

  it('never lets a storage type token escape as a value', () => {
    const error = errorOf(() => load(pickle(pk.mark, pk.global('torch', 'FloatStorage'), pk.tuple)));
    expect(error.code).toBe('PICKLE_CORRUPT');
    expect(error.message).toContain('torch.FloatStorage');
  });

  it('rejects a persistent id when no storage resolver is given', () => {
    expect(errorOf(() => load(pickle(tensorOps('FloatStorage', '0', 4, 0, [4], [1])))).message).toContain('unexpected persistent id');
  });
});
