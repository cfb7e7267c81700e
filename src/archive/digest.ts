/**
 * The SHA-256 of an archive file, for the provenance a converted model carries. Hashing a large
 * archive costs about as much CPU as converting it, so above INLINE_BYTES it runs on a worker thread,
 * started when the conversion starts and awaited just before the model is written; below, starting a
 * worker would cost more than the hash.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const INLINE_BYTES = 32 << 20;

interface HashDeps {
  createHash: typeof createHash;
  openSync: typeof openSync;
  readSync: typeof readSync;
  closeSync: typeof closeSync;
}

/** Uses only its arguments and globals: the worker runs this function's source text. */
function sha256OfFile(path: string, io: HashDeps): string {
  const hash = io.createHash('sha256');
  const buffer = Buffer.allocUnsafe(4 << 20);
  const fd = io.openSync(path, 'r');
  try {
    for (let position = 0, read; (read = io.readSync(fd, buffer, 0, buffer.length, position)) > 0; position += read) {
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    io.closeSync(fd);
  }
  return hash.digest('hex');
}

const HASH_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
parentPort.postMessage((${sha256OfFile.toString()})(workerData, { createHash, openSync, readSync, closeSync }));
`;

export interface PendingDigest {
  /** The hex digest; rejects when the file cannot be read. */
  readonly sha256: Promise<string>;
  /** Stops hashing (the conversion failed); `sha256` then never settles. */
  cancel(): void;
}

export function startFileDigest(path: string, inlineBytes = INLINE_BYTES): PendingDigest {
  if (statSync(path).size <= inlineBytes) {
    const sha256 = Promise.resolve().then(() => sha256OfFile(path, { createHash, openSync, readSync, closeSync }));
    sha256.catch(() => undefined);
    return { sha256, cancel: () => undefined };
  }
  const worker = new Worker(HASH_WORKER_SOURCE, { eval: true, workerData: path });
  const sha256 = new Promise<string>((resolve, reject) => {
    worker.once('message', (hex: string) => resolve(hex));
    worker.once('error', reject);
  });
  // A conversion that fails first never awaits the digest; its failure is the one to report.
  sha256.catch(() => undefined);
  return { sha256, cancel: () => void worker.terminate() };
}
