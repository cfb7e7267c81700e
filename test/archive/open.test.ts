/** Fixture archives written by real PyTorch (scripts/fixtures/archive_fixtures.py) against what PyTorch read back. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchive, tensorBytes, tensorValues } from '../../src/archive/index.js';
import { isTensorRef, PyFloat, type Archive, type PickleValue, type ScriptObject, type TensorRef } from '../../src/archive/types.js';

const FIXTURES = path.resolve('test/fixtures/archive');
const VERSIONS = fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((d) => fs.statSync(path.join(FIXTURES, d)).isDirectory()) : [];

type Encoded = Record<string, unknown>;

interface TensorExpectation {
  dtype: string;
  shape: number[];
  strides: number[];
  storageOffset: number;
  requiresGrad: boolean;
  values: unknown[];
  quant?: { scheme: string; scale?: number; zeroPoint?: number; axis?: number; scales?: number[]; zeroPoints?: number[] };
}

interface Case {
  file: string;
  root: string;
  version: number;
  rootClass: string;
  entries: string[];
  tensors: Record<string, TensorExpectation>;
  constants: Record<string, Encoded>;
  attributes?: Record<string, Encoded>;
  stateful?: { className: string; state: Encoded };
  debug?: { code: string; needle: string; python: string };
  tracedInputs?: Record<string, Encoded>;
}


function isObject(value: PickleValue | undefined): value is ScriptObject {
  return typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'object';
}

function attributeAt(root: ScriptObject, dotted: string): PickleValue | undefined {
  let value: PickleValue | undefined = root;
  for (const part of dotted.split('.')) value = isObject(value) ? value.attributes.get(part) : undefined;
  return value;
}

/** Floats as the fixture JSON writes them ('nan', 'inf' as strings). */
function expectedFloat(value: unknown): number {
  if (value === 'nan') return NaN;
  if (value === 'inf') return Infinity;
  if (value === '-inf') return -Infinity;
  return value as number;
}

function expectTensor(actual: PickleValue | undefined, expected: TensorExpectation, where: string): void {
  expect(isTensorRef(actual), `${where} is a tensor`).toBe(true);
  const tensor = actual as TensorRef;
  expect({ dtype: tensor.dtype, shape: tensor.shape, strides: tensor.strides, storageOffset: tensor.storageOffset, requiresGrad: tensor.requiresGrad }, where).toEqual({
    dtype: expected.dtype, shape: expected.shape, strides: expected.strides, storageOffset: expected.storageOffset, requiresGrad: expected.requiresGrad,
  });
  if (tensor.dtype === 'complex64') {
    const bytes = tensorBytes(tensor);
    const floats = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
    expect(floats, where).toEqual((expected.values as number[][]).flat().map(expectedFloat));
    return;
  }
  const values = tensorValues(tensor);
  if (tensor.dtype === 'bool') expect(values, where).toEqual((expected.values as boolean[]).map((b) => (b ? 1 : 0)));
  else if (tensor.dtype === 'int64') expect(values.map(String), where).toEqual(expected.values.map(String));
  else expect(values, where).toEqual(expected.values.map(expectedFloat));
  if (expected.quant) {
    const quant = tensor.quant!;
    expect(quant.scheme, where).toBe(expected.quant.scheme);
    if (expected.quant.scheme === 'per_tensor_affine') {
      expect([quant.scale, quant.zeroPoint], where).toEqual([expected.quant.scale, expected.quant.zeroPoint]);
    } else {
      expect(quant.axis, where).toBe(expected.quant.axis);
      expect(tensorValues(quant.scales!), where).toEqual(expected.quant.scales);
      expect(tensorValues(quant.zeroPoints!), where).toEqual(expected.quant.zeroPoints);
    }
  } else {
    expect(tensor.quant, where).toBeUndefined();
  }
}

/** Compares a pickled value with the typed JSON form the fixture script writes. */
function expectValue(actual: PickleValue | undefined, expected: Encoded, where: string): void {
  const [kind, body] = Object.entries(expected)[0];
  switch (kind) {
    case 'none':
      return void expect(actual, where).toBeNull();
    case 'bool':
    case 'str':
      return void expect(actual, where).toBe(body);
    case 'int':
      return void expect(actual, where).toBe(typeof body === 'string' ? BigInt(body) : body);
    case 'float':
      expect(actual, where).toBeInstanceOf(PyFloat);
      return void expect((actual as PyFloat).value, where).toBe(expectedFloat(body));
    case 'device':
      return void expect(actual, where).toEqual({ kind: 'device', device: body });
    case 'tensor':
      return expectTensor(actual, body as TensorExpectation, where);
    case 'enum': {
      const [name, value] = body as [string, Encoded];
      expect(isObject(actual) && actual.className.endsWith(`.${name}`), `${where} is enum ${name}`).toBe(true);
      return expectValue((actual as ScriptObject).state, value, `${where}.value`);
    }
    case 'object': {
      const [className, attributes] = body as [string, Record<string, Encoded>];
      expect(isObject(actual) && actual.className, where).toBe(className);
      const object = actual as ScriptObject;
      expect([...object.attributes.keys()], where).toEqual(Object.keys(attributes));
      for (const [name, value] of Object.entries(attributes)) expectValue(object.attributes.get(name), value, `${where}.${name}`);
      return;
    }
    case 'tuple':
    case 'list': {
      const items = body as Encoded[];
      const actualItems = kind === 'tuple' ? (actual as { kind: string; items: PickleValue[] }).items : (actual as PickleValue[]);
      if (kind === 'tuple') expect((actual as { kind: string }).kind, where).toBe('tuple');
      else expect(Array.isArray(actual), `${where} is a list`).toBe(true);
      expect(actualItems.length, where).toBe(items.length);
      items.forEach((item, i) => expectValue(actualItems[i], item, `${where}[${i}]`));
      return;
    }
    case 'dict': {
      const entries = body as Array<[Encoded, Encoded]>;
      const dict = actual as { kind: string; entries: Array<[PickleValue, PickleValue]> };
      expect(dict.kind, where).toBe('dict');
      expect(dict.entries.length, where).toBe(entries.length);
      entries.forEach(([key, value], i) => {
        expectValue(dict.entries[i][0], key, `${where} key ${i}`);
        expectValue(dict.entries[i][1], value, `${where} value ${i}`);
      });
      return;
    }
    default:
      throw new Error(`unknown encoding ${kind} at ${where}`);
  }
}

function casesOf(version: string): Array<[string, Case]> {
  const dir = path.join(FIXTURES, version);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Case]);
}

describe.each(VERSIONS)('PyTorch %s fixtures', (version) => {
  describe.each(casesOf(version))('%s', (_json, expected) => {
    let archive: Archive;
    beforeAll(async () => {
      archive = await openArchive(path.join(FIXTURES, version, expected.file));
    });
    afterAll(() => archive?.close());

    it('has the root folder, version, entries and root class PyTorch wrote', () => {
      expect(archive.root).toBe(expected.root);
      expect(archive.version).toBe(expected.version);
      expect(archive.byteorder).toBe('little');
      expect([...archive.entries.keys()].sort()).toEqual(expected.entries);
      expect(archive.module.kind).toBe('object');
      expect(archive.module.className).toBe(expected.rootClass);
    });

    it('has every parameter and buffer with PyTorch’s dtype, shape, strides and values', () => {
      for (const [name, tensor] of Object.entries(expected.tensors)) expectTensor(attributeAt(archive.module, name), tensor, name);
    });

    it('has the constant table PyTorch loaded', () => {
      expect(archive.constants.length).toBe(Object.keys(expected.constants).length);
      for (const [name, value] of Object.entries(expected.constants)) expectValue(archive.constants[Number(name.slice(1))], value, `CONSTANTS.${name}`);
    });

    if (expected.attributes) it('has the attribute values PyTorch loaded', () => {
      for (const [name, value] of Object.entries(expected.attributes!)) expectValue(archive.module.attributes.get(name), value, name);
      const stateful = archive.module.attributes.get('stateful') as ScriptObject;
      expect(stateful.className).toBe(expected.stateful!.className);
      expect(stateful.attributes.size).toBe(0);
      expectValue(stateful.state, expected.stateful!.state, 'stateful.__getstate__()');
    });

    if (expected.debug) it('maps a code offset to the original Python line', () => {
      const { code, needle, python } = expected.debug!;
      const text = archive.code(code)!;
      const offset = Buffer.byteLength(text.slice(0, text.indexOf(needle)));
      expect(archive.pythonLocation(code, offset)).toBe(python);
      expect(archive.pythonLocation(code, -1)).toBeUndefined();
      expect(archive.pythonLocation('code/__torch__/missing.py', 0)).toBeUndefined();
    });

    it('serves code files as text', () => {
      const codeFiles = expected.entries.filter((e) => e.endsWith('.py'));
      expect(codeFiles.length).toBeGreaterThan(0);
      for (const file of codeFiles) expect(archive.code(file)).toMatch(/^(class |def |op_version_set)/m);
      expect(archive.code('code/__torch__/nope.py')).toBeUndefined();
      expect(archive.code('data.pkl')).toBeUndefined();
    });

    if (expected.tracedInputs) it('reads traced inputs without their data', () => {
      expect([...(archive.tracedInputs ?? new Map()).keys()]).toEqual(Object.keys(expected.tracedInputs!));
      for (const [method, value] of Object.entries(expected.tracedInputs!)) {
        const inputs = archive.tracedInputs!.get(method) as TensorRef[];
        const shapes = (value as { list: Array<{ meta: { dtype: string; shape: number[] } }> }).list.map((t) => t.meta);
        expect(inputs.map((t) => ({ dtype: t.dtype, shape: t.shape }))).toEqual(shapes);
        for (const input of inputs) expect(() => tensorBytes(input)).toThrow(/not saved in the archive/);
      }
    });
  });
});

describe('fixture set', () => {
  it('exists for PyTorch 1.13 and 2.6', () => {
    expect(VERSIONS).toEqual(['1.13', '2.6']);
  });
});
