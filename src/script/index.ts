export { parseCode, parseType } from './parser.js';
export type * from './ast.js';
