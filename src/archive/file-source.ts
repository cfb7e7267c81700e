/**
 * An archive file on disk: a `ByteSource` reading positionally from our own descriptor and inflating
 * with Node's zlib, and `openArchive(path)`, the archive stage's entry for a path.
 */
import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs';
import os from 'node:os';
import zlib from 'node:zlib';
import { fail } from '../errors.js';
import type { ByteSource } from './byte-source.js';
import { openArchiveSource } from './open.js';
import type { Archive } from './types.js';

/** Largest buffer one read may allocate: half the machine's memory, and never more than a Buffer holds. */
export function memoryLimit(): number {
  return Math.min(bufferConstants.MAX_LENGTH, Math.floor(os.totalmem() / 2));
}

/** Opens `path` read-only; the caller closes the source. */
export function openFileSource(path: string): ByteSource {
  const fd = fs.openSync(path, 'r');
  return new FileSource(path, fd, fs.fstatSync(fd).size);
}

class FileSource implements ByteSource {
  private fd: number | undefined;
  /** memoryLimit() once per archive: it asks the OS, and archives are read in many small pieces. */
  readonly maxReadBytes = memoryLimit();

  constructor(readonly name: string, fd: number, readonly size: number) {
    this.fd = fd;
  }

  readAt(position: number, target: Uint8Array): number {
    if (this.fd === undefined) fail('INTERNAL', `${this.name}: archive is closed`);
    return fs.readSync(this.fd, target, 0, target.byteLength, position);
  }

  inflateRaw(compressed: Uint8Array, maxOutputLength: number): Uint8Array {
    return zlib.inflateRawSync(compressed, { maxOutputLength });
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

function checkInput(path: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(path);
  } catch {
    fail('INPUT_NOT_FOUND', `${path}: no such file`);
  }
  if (!stat.isFile()) fail('INPUT_UNREADABLE', `${path}: not a regular file`);
  try {
    fs.accessSync(path, fs.constants.R_OK);
  } catch {
    fail('INPUT_UNREADABLE', `${path}: permission denied`);
  }
}

/** Opens the archive at `path` read-only. Throws TsonnxError; the returned archive must be closed. */
export async function openArchive(path: string): Promise<Archive> {
  checkInput(path);
  return openArchiveSource(openFileSource(path));
}
