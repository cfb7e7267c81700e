#!/usr/bin/env node
/**
 * The `tsonnx` command. `tsonnx --version` is answered before anything else loads, since Node's own
 * start-up is most of its time; everything else is src/cli.ts, which loads the converter only when
 * a conversion runs.
 */
import { packageVersion } from './version.js';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${packageVersion()}\n`);
else await import('./cli.js');
