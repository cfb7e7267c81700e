import { test } from 'vitest';
import fs from 'node:fs';
import { openArchive } from '../../src/archive/index.js';
test('scratch', async () => {
  for (const d of fs.readdirSync('/work/shared/corpus')) {
    const p = `/work/shared/corpus/${d}/model.pt`;
    if (!fs.existsSync(p)) continue;
    try {
      const a = await openArchive(p);
      console.log(d, a.root, a.version, a.byteorder, a.module.className, a.constants.length, a.tracedInputs?.size, [...a.entries.keys()].filter(k=>k.endsWith('.py')).slice(0,3));
      for (const k of a.entries.keys()) if (k.endsWith('.py')) { const c = a.code(k)!; const loc = a.pythonLocation(k, Math.floor(c.length/2)); if (loc) { console.log('  ', k, loc); break; } }
      a.close();
    } catch (e) { console.log(d, 'ERR', (e as Error).message); }
  }
});
