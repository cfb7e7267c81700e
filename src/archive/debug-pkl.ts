/**
 * `code/….py.debug_pkl` records (docs/torchscript-format.md §3.6): for each byte offset of the printed
 * code, the original source range. Two layouts exist:
 * - `('FORMAT_WITH_STRING_TABLE', (strings…), ((offset, ((build_intlist([text_idx…]), file_idx, line), start, end), tag), …))`
 * - older files: `((offset, ((text, file, line), start, end)[, tag]), …)` with inline strings.
 * Offsets and ranges count UTF-8 bytes, as in PyTorch's `Source`.
 */
import { unpickle } from './pickle.js';
import type { PickleValue } from './types.js';

/** Where a source range's text came from. */
interface DebugSource {
  readonly text: string;
  readonly file: string | undefined;
  /** Line number of the text's first line in `file`. */
  readonly firstLine: number;
  utf8?: Buffer;
}

export interface DebugRecord {
  /** Byte offset in the printed code file where this record starts applying. */
  readonly offset: number;
  readonly source: DebugSource;
  /** Byte offset of the range start within the source text. */
  readonly start: number;
}

function items(value: PickleValue | undefined): PickleValue[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'tuple') return value.items;
  return undefined;
}

function int(value: PickleValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** Parses the records, dropping any it cannot understand. Throws only TsonnxError (bad pickle). */
export function parseDebugRecords(data: Uint8Array): DebugRecord[] {
  const value = unpickle(data, { source: 'debug_pkl' });
  const top = items(value) ?? [];
  const withTable = top[0] === 'FORMAT_WITH_STRING_TABLE';
  const strings = withTable ? (items(top[1]) ?? []) : [];
  const rawRecords = withTable ? (items(top[2]) ?? []) : top;
  const sources = new Map<PickleValue, DebugSource | undefined>();

  const string = (ref: PickleValue | undefined): string | undefined => {
    if (!withTable) return typeof ref === 'string' ? ref : undefined;
    const index = int(ref);
    const text = index === undefined ? undefined : strings[index];
    return typeof text === 'string' ? text : undefined;
  };

  const readSource = (raw: PickleValue): DebugSource | undefined => {
    const [textRef, fileRef, line] = items(raw) ?? [];
    const firstLine = int(line);
    if (firstLine === undefined) return undefined;
    let text: string | undefined;
    if (withTable) {
      const parts = (items(textRef) ?? []).map(string);
      text = parts.every((part) => part !== undefined) ? parts.join('') : undefined;
    } else {
      text = string(textRef);
    }
    if (text === undefined) return undefined;
    return { text, file: string(fileRef), firstLine };
  };

  const records: DebugRecord[] = [];
  for (const raw of rawRecords) {
    const [offsetValue, range] = items(raw) ?? [];
    const [sourceValue, startValue] = items(range) ?? [];
    const offset = int(offsetValue);
    const start = int(startValue);
    if (offset === undefined || start === undefined || sourceValue === undefined) continue;
    // Records share source tuples through the pickle memo: parse each once.
    if (!sources.has(sourceValue)) sources.set(sourceValue, readSource(sourceValue));
    const source = sources.get(sourceValue);
    if (source) records.push({ offset, source, start });
  }
  return records.sort((a, b) => a.offset - b.offset);
}

/** `file.py:line` of the record covering `offset` (the last one starting at or before it). */
export function locate(records: readonly DebugRecord[], offset: number): string | undefined {
  let low = 0;
  let high = records.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (records[middle].offset <= offset) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  if (found < 0) return undefined;
  const { source, start } = records[found];
  if (!source.file) return undefined;
  source.utf8 ??= Buffer.from(source.text, 'utf8');
  let line = source.firstLine;
  const end = Math.min(start, source.utf8.length);
  for (let i = 0; i < end; i++) if (source.utf8[i] === 0x0a) line++;
  return `${basename(source.file)}:${line}`;
}
