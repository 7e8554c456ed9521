/**
 * re2js, as one module src/lib/lazy-module.ts can load on first use: a glob of literal text never
 * needs it, so a process whose patterns are all literal (or that never compiles one) does not load
 * its 270 KB.
 */
export { RE2JS } from 're2js';
