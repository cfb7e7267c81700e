/**
 * Opens a TorchScript archive (docs/torchscript-format.md §1–3): classify the file, read `version` and
 * `byteorder`, unpickle `constants.pkl` then `data.pkl` (and `traced_inputs.pkl`), and serve code
 * files and `.debug_pkl` locations lazily. Tensor bytes stay in the file. The archive comes as a
 * byte source (byte-source.ts); file-source.ts opens one from a path.
 */
import { fail } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import { parseDebugRecords, locate, type DebugRecord } from './debug-pkl.js';
import { MAX_CODE_FILE_BYTES, MAX_PICKLE_BYTES } from './limits.js';
import { unpickle } from './pickle.js';
import { dtypeItemSize } from './tensor-data.js';
import { openZip, type ZipArchive } from './zip.js';
import type { Archive, ArchiveEntry, DType, PickleValue, ScriptObject, StorageRef } from './types.js';

const TORCH_SAVE_ADVICE =
  'it is a torch.save checkpoint, not a TorchScript archive; make one with torch.jit.trace (or torch.jit.script) and then torch.jit.save';

/** A record that holds nothing: storages PyTorch skipped because they have no elements. */
function emptyEntry(name: string): ArchiveEntry {
  return { name, size: 0, read: () => Buffer.alloc(0) };
}

/** First bytes of the source (fewer when it is shorter). */
function readStart(bytes: ByteSource, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const n = bytes.size === 0 ? 0 : bytes.readAt(0, buffer.subarray(0, Math.min(length, bytes.size)));
  return buffer.subarray(0, n);
}

/** Formats that are not zips but that users hand over by mistake (§2.3, §2.6). */
function rejectNonZip(bytes: ByteSource): void {
  const path = bytes.name;
  const start = readStart(bytes, 8);
  if (start.length >= 2 && start[0] === 0x50 && start[1] === 0x4b) return;
  if (start.length >= 2 && start[0] === 0x80 && start[1] >= 2 && start[1] <= 5) {
    fail('ARCHIVE_TORCH_SAVE', `${path}: ${TORCH_SAVE_ADVICE}`);
  }
  if (start.toString('latin1') === 'PYTORCH1') fail('ARCHIVE_UNSUPPORTED', `${path}: pre-1.0 PyTorch preview format is not supported`);
  if (start.length >= 8 && start.subarray(4, 8).toString('latin1') === 'PTMF') {
    fail('ARCHIVE_UNSUPPORTED', `${path}: flatbuffer mobile model (.ptl saved with _use_flatbuffer) is not supported; save with torch.jit.save`);
  }
  fail('ARCHIVE_NOT_ZIP', `${path}: not a zip file (a TorchScript archive from torch.jit.save is a zip)`);
}

function classify(zip: ZipArchive): void {
  const has = (name: string): boolean => zip.entries.has(name);
  if (has('model.json') && !has('data.pkl')) {
    fail('ARCHIVE_UNSUPPORTED', `${zip.path}: legacy TorchScript archive (model.json, PyTorch 1.0–1.2) is not supported; re-save it with PyTorch 1.3 or newer`);
  }
  if (has('data.pkl') && has('constants.pkl')) return;
  if (has('data.pkl')) fail('ARCHIVE_TORCH_SAVE', `${zip.path}: ${TORCH_SAVE_ADVICE}`);
  fail('ARCHIVE_NOT_TORCHSCRIPT', `${zip.path}: zip has no data.pkl and constants.pkl, so it is not a TorchScript archive`);
}

/** The whole entry, refused before anything is read or inflated when it declares more than `limit` bytes. */
function readWithin(path: string, entry: ArchiveEntry, limit: number, kind: string): Buffer {
  if (entry.size > limit) fail('ARCHIVE_LIMIT', `${path}: ${kind} '${entry.name}' is ${entry.size} bytes, more than the ${limit} allowed for one ${kind}`);
  return entry.read();
}

function readPickle(path: string, entry: ArchiveEntry): Buffer {
  return readWithin(path, entry, MAX_PICKLE_BYTES, 'pickle');
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

function readVersion(zip: ZipArchive): number {
  const entry = zip.entries.get('.data/version') ?? zip.entries.get('version');
  if (!entry) fail('ARCHIVE_CORRUPT', `${zip.path}: archive has no version record`);
  if (entry.size > 64) fail('ARCHIVE_CORRUPT', `${zip.path}: version record is ${entry.size} bytes long`);
  const text = utf8(entry.read()).trim();
  if (!/^\d+$/.test(text) || Number(text) < 1) fail('ARCHIVE_CORRUPT', `${zip.path}: bad version record '${text.slice(0, 20)}'`);
  return Number(text);
}

function readByteOrder(zip: ZipArchive): 'little' | 'big' {
  const entry = zip.entries.get('byteorder');
  if (!entry) return 'little';
  if (entry.size > 64) fail('ARCHIVE_CORRUPT', `${zip.path}: byteorder record is ${entry.size} bytes long`);
  const text = utf8(entry.read()).trim();
  if (text !== 'little' && text !== 'big') fail('ARCHIVE_CORRUPT', `${zip.path}: bad byteorder record '${text.slice(0, 20)}'`);
  return text;
}

/**
 * Storage records of one directory (`data/`, `constants/`, `traced_inputs/`), shared by key.
 * `skippedData` marks records saved without their bytes (traced inputs), whose sizes are not checked.
 */
function storageLoader(zip: ZipArchive, directory: string, byteorder: 'little' | 'big', skippedData: boolean) {
  const storages = new Map<string, StorageRef>();
  return (dtype: DType, key: string, numel: number): StorageRef => {
    const name = `${directory}/${key}`;
    const known = storages.get(name);
    if (known) {
      if (known.dtype !== dtype || known.numel !== numel) {
        fail('ARCHIVE_CORRUPT', `${zip.path}: storage '${name}' is used both as ${known.numel} ${known.dtype} and ${numel} ${dtype}`);
      }
      return known;
    }
    let entry = zip.entries.get(name);
    if (!entry) {
      if (numel !== 0 && !skippedData) fail('ARCHIVE_CORRUPT', `${zip.path}: storage record '${name}' is missing`);
      entry = emptyEntry(name);
    } else {
      const needed = numel * dtypeItemSize(dtype);
      if (!skippedData && entry.size < needed) {
        fail('ARCHIVE_CORRUPT', `${zip.path}: storage '${name}' holds ${entry.size} bytes, fewer than its ${numel} ${dtype} elements need`);
      }
      // A record holds exactly its storage: a larger one would only make reading it cost more.
      if (entry.size > needed) {
        fail('ARCHIVE_CORRUPT', `${zip.path}: storage '${name}' holds ${entry.size} bytes, more than its ${numel} ${dtype} elements need (${needed})`);
      }
    }
    const storage: StorageRef = byteorder === 'big' ? { entry, dtype, numel, bigEndian: true } : { entry, dtype, numel };
    storages.set(name, storage);
    return storage;
  };
}

function pickleEntry(zip: ZipArchive, name: string): ArchiveEntry {
  return zip.entries.get(name) ?? fail('ARCHIVE_CORRUPT', `${zip.path}: archive has no ${name}`);
}

function isObject(value: PickleValue): value is ScriptObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value && value.kind === 'object';
}

function readTracedInputs(zip: ZipArchive, byteorder: 'little' | 'big'): Map<string, PickleValue> | undefined {
  const entry = zip.entries.get('traced_inputs.pkl');
  if (!entry) return undefined;
  const value = unpickle(readPickle(zip.path, entry), {
    source: 'traced_inputs.pkl',
    loadStorage: storageLoader(zip, 'traced_inputs', byteorder, true),
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('kind' in value) || value.kind !== 'dict') {
    fail('ARCHIVE_CORRUPT', `${zip.path}: traced_inputs.pkl does not hold a dict`);
  }
  const inputs = new Map<string, PickleValue>();
  for (const [method, args] of value.entries) {
    if (typeof method === 'string') inputs.set(method, args);
  }
  return inputs;
}

/** Reads the archive in `bytes`, which it then owns. Throws TsonnxError; the returned archive must be closed. */
export async function openArchiveSource(bytes: ByteSource): Promise<Archive> {
  try {
    rejectNonZip(bytes);
  } catch (error) {
    bytes.close();
    throw error;
  }
  const path = bytes.name;
  const zip = await openZip(bytes);
  try {
    classify(zip);
    const version = readVersion(zip);
    const byteorder = readByteOrder(zip);
    // PyTorch reads constants first: data.pkl may refer to them by index.
    const constantsValue = unpickle(readPickle(path, pickleEntry(zip, 'constants.pkl')), {
      source: 'constants.pkl',
      loadStorage: storageLoader(zip, 'constants', byteorder, false),
    });
    if (typeof constantsValue !== 'object' || constantsValue === null || !('kind' in constantsValue) || constantsValue.kind !== 'tuple') {
      fail('ARCHIVE_CORRUPT', `${path}: constants.pkl does not hold a tuple`);
    }
    const constants = constantsValue.items;
    const module = unpickle(readPickle(path, pickleEntry(zip, 'data.pkl')), {
      source: 'data.pkl',
      loadStorage: storageLoader(zip, 'data', byteorder, false),
      tensorTable: constants,
    });
    if (!isObject(module)) fail('ARCHIVE_CORRUPT', `${path}: data.pkl does not hold a module object`);
    const tracedInputs = readTracedInputs(zip, byteorder);
    return new OpenArchive(zip, version, byteorder, module, constants, tracedInputs);
  } catch (error) {
    zip.close();
    throw error;
  }
}

class OpenArchive implements Archive {
  readonly path: string;
  readonly root: string;
  readonly entries: ReadonlyMap<string, ArchiveEntry>;
  private readonly codeTexts = new Map<string, string | undefined>();
  private readonly debugRecords = new Map<string, DebugRecord[] | undefined>();

  constructor(
    private readonly zip: ZipArchive,
    readonly version: number,
    readonly byteorder: 'little' | 'big',
    readonly module: ScriptObject,
    readonly constants: PickleValue[],
    readonly tracedInputs: Map<string, PickleValue> | undefined,
  ) {
    this.path = zip.path;
    this.root = zip.root;
    this.entries = zip.entries;
  }

  code(path: string): string | undefined {
    if (!this.codeTexts.has(path)) {
      const entry = path.startsWith('code/') ? this.entries.get(path) : undefined;
      this.codeTexts.set(path, entry ? utf8(readWithin(this.path, entry, MAX_CODE_FILE_BYTES, 'code file')) : undefined);
    }
    return this.codeTexts.get(path);
  }

  pythonLocation(codePath: string, offset: number): string | undefined {
    if (!this.debugRecords.has(codePath)) this.debugRecords.set(codePath, this.readDebugRecords(codePath));
    const records = this.debugRecords.get(codePath);
    return records ? locate(records, offset) : undefined;
  }

  private readDebugRecords(codePath: string): DebugRecord[] | undefined {
    const entry = this.entries.get(`${codePath}.debug_pkl`);
    if (!entry) return undefined;
    try {
      return parseDebugRecords(readPickle(this.path, entry));
    } catch {
      // Debug records only improve messages: whatever is wrong with them must not stop a conversion.
      return undefined;
    }
  }

  close(): void {
    this.zip.close();
  }
}
