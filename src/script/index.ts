export { parseCode, parseType } from './parser.js';
export type * from './ast.js';
export { dottedName } from './ast.js';
