/**
 * Every temporary file the tests make (theirs, and those of the code and CLI runs they call) goes into
 * one folder, removed when the run ends: os.tmpdir() follows TMPDIR, which test workers inherit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'tsonnx-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
