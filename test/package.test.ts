/**
 * The package as a dependency sees it: `import` and `require('tsonnx')` resolve through package.json's
 * exports to the built API, and both convert the same archive to the same bytes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './archive/helpers.js';
import { projectRoot } from './helpers/cases.js';

const sample = join(projectRoot, 'samples', 'small_cnn.pt');

/** A project folder whose node_modules/tsonnx is this package. */
function consumer(): string {
  const dir = tempDir();
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(projectRoot, join(dir, 'node_modules', 'tsonnx'));
  return dir;
}

function runNode(dir: string, file: string, code: string) {
  const path = join(dir, file);
  const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, encoding: 'utf8', env: { ...process.env, TSONNX_OUT: path } });
  return { status: r.status, stderr: r.stderr, bytes: r.status === 0 ? readFileSync(path) : undefined };
}

const convertCall = `t.convert(${JSON.stringify(sample)}, process.env.TSONNX_OUT, { inputs: ['float32[1,3,32,32]'] })`;

describe('package entry points', () => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  const requireLoadsEsm = major > 20 || (major === 20 && minor >= 19);

  it('import and require give the same API and the same bytes', () => {
    const dir = consumer();
    const imported = runNode(dir, 'imported.onnx', `import('tsonnx').then((t) => ${convertCall})`);
    expect(imported.stderr).toBe('');
    expect(imported.status).toBe(0);
    expect(imported.bytes!.length).toBeGreaterThan(20_000);
    if (!requireLoadsEsm) return;
    const required = runNode(dir, 'required.onnx', `const t = require('tsonnx'); ${convertCall}`);
    expect(required.stderr).toBe('');
    expect(required.status).toBe(0);
    expect(required.bytes!.equals(imported.bytes!)).toBe(true);
  });
});
