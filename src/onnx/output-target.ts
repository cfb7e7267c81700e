/**
 * Where a model goes, decided before anything is converted: a regular file (new or existing, a
 * symlink followed to its final target), a FIFO, a character device or `-` (standard output);
 * anything else, and the input archive itself, is refused. Kept apart from the writer so the
 * command line can check its arguments without loading the conversion code.
 */
import { fstatSync, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { fail } from '../errors.js';

/** The output path that means standard output. */
export const STDOUT_PATH = '-';
export const STDOUT_FD = 1;
/** As Linux's own limit on symlinks followed in one path lookup (ELOOP). */
const MAX_SYMLINK_HOPS = 40;

/**
 * Where the model goes: `file` is a regular file (existing or new) replaced through a temporary
 * file beside it; `stream` is a FIFO or character device, and `stdout` standard output, both
 * written directly since replacing them would break whoever reads them.
 */
export type OutputTarget =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'stream'; readonly path: string; readonly what: string }
  | { readonly kind: 'stdout'; readonly path: typeof STDOUT_PATH };

/** Classifies `outPath` without writing anything; OUTPUT_UNWRITABLE for what tsonnx will not write. */
export function resolveOutput(outPath: string): OutputTarget {
  if (outPath === STDOUT_PATH) return { kind: 'stdout', path: STDOUT_PATH };
  const given = path.resolve(outPath);
  const existing = outputSyscall(given, () => statSync(given, { throwIfNoEntry: false }));
  if (!existing || existing.isFile()) return { kind: 'file', path: finalLinkTarget(given) };
  if (existing.isFIFO()) return { kind: 'stream', path: given, what: 'a FIFO' };
  if (existing.isCharacterDevice()) return { kind: 'stream', path: given, what: 'a character device' };
  if (existing.isDirectory()) return fail('OUTPUT_UNWRITABLE', `cannot write ${given}: illegal operation on a directory (EISDIR)`);
  // A socket cannot be opened by path, but /dev/stdout on one (Node gives child processes sockets) is standard output itself.
  if (existing.isSocket() && isSameFile(existing, fstatOrUndefined(STDOUT_FD))) return { kind: 'stdout', path: STDOUT_PATH };
  const what = existing.isSocket() ? 'a socket' : existing.isBlockDevice() ? 'a block device' : 'not a regular file';
  return fail('OUTPUT_UNWRITABLE', `cannot write ${given}: it is ${what}; tsonnx writes regular files, FIFOs, character devices and - (standard output)`);
}

/**
 * The file a symlink chain ends at, even when it does not exist yet (a dangling link writes the
 * file it names). Followed by hand because realpath fails on dangling links; each link's text is
 * resolved against its real folder, as the kernel does.
 */
function finalLinkTarget(file: string): string {
  let current = file;
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
    const link = current;
    const info = outputSyscall(file, () => lstatSync(link, { throwIfNoEntry: false }));
    if (!info?.isSymbolicLink()) return current;
    const folder = path.dirname(link);
    const realFolder = outputSyscall(file, () => realpathSync(folder));
    current = path.resolve(realFolder, outputSyscall(file, () => readlinkSync(link)));
  }
  return fail('OUTPUT_UNWRITABLE', `cannot write ${file}: too many levels of symbolic links (ELOOP)`);
}

/**
 * OUTPUT_IS_INPUT when `outPath` is the file `input`: the same path, a hard link or symlink to it
 * (same device and inode), or `-` when standard output is redirected to it.
 */
export async function refuseInputAsOutput(outPath: string, input: string | undefined): Promise<void> {
  if (input === undefined) return;
  const inputPath = path.resolve(input);
  const toStdout = outPath === STDOUT_PATH;
  const output = toStdout ? 'standard output' : path.resolve(outPath);
  const message = `refusing to overwrite the input archive ${inputPath} with ${output}`;
  if (output === inputPath) fail('OUTPUT_IS_INPUT', message);
  const outputStat = toStdout ? fstatOrUndefined(STDOUT_FD) : await stat(output).catch(() => undefined);
  const inputStat = await stat(inputPath).catch(() => undefined);
  if (isSameFile(outputStat, inputStat)) fail('OUTPUT_IS_INPUT', message);
}

function isSameFile(a: Stats | undefined, b: Stats | undefined): boolean {
  return a !== undefined && b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

function fstatOrUndefined(fd: number): Stats | undefined {
  try {
    return fstatSync(fd);
  } catch {
    return undefined;
  }
}

/** A synchronous file-system call on the output's behalf; its failure is OUTPUT_UNWRITABLE naming `reportedPath`. */
export function outputSyscall<T>(reportedPath: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    return fail('OUTPUT_UNWRITABLE', `cannot write ${reportedPath}: ${systemReason(error)}`);
  }
}

export function systemReason(error: unknown): string {
  const { errno, code, message } = error as NodeJS.ErrnoException;
  const known = errno === undefined ? undefined : getSystemErrorMap().get(errno);
  if (known) return `${known[1]} (${known[0]})`;
  const text = message ?? String(error);
  return code ? `${text.split('\n')[0]} (${code})` : text.split('\n')[0]!;
}
