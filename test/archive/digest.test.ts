/** The archive digest, hashed inline for small files and on a worker thread for large ones. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFileDigest } from '../../src/archive/digest.js';
import { projectRoot } from '../helpers/cases.js';

const sample = join(projectRoot, 'samples', 'small_cnn.pt');
const want = createHash('sha256').update(readFileSync(sample)).digest('hex');

describe('startFileDigest', () => {
  it('hashes a small file inline', async () => {
    expect(await startFileDigest(sample).sha256).toBe(want);
  });

  it('hashes on a worker thread above the inline size', async () => {
    expect(await startFileDigest(sample, 0).sha256).toBe(want);
  });

  it('rejects for a file that cannot be read, and a cancelled digest rejects nothing', async () => {
    await expect(startFileDigest(projectRoot, 0).sha256).rejects.toMatchObject({ code: 'EISDIR' });
    startFileDigest(sample, 0).cancel();
  });
});
