/**
 * The `find` model: it reads everything under its start points; `-delete` deletes what it
 * finds there, `-fprint`/`-fls` write files, `-newer` and friends read reference files. The
 * commands of `-exec`/`-ok` are analysed by the shell facet itself (with `{}` standing for a file
 * under the start points), so a plain `find . -name x` only reads.
 *
 * Internal to the shell effects; not part of the public surface.
 */
import { findStartPoints } from './shell-programs.js';
import type { FxModel } from './shell-fx-api.js';
import type { WordFacts } from './shell-words.js';

// Primaries that take one value, and the ones whose value is a file read or written.
const ONE_VALUE = new Set([
  '-name', '-iname', '-path', '-ipath', '-wholename', '-iwholename', '-regex', '-iregex', '-lname', '-ilname', '-type', '-xtype',
  '-size', '-mtime', '-atime', '-ctime', '-mmin', '-amin', '-cmin', '-used', '-perm', '-user', '-group', '-uid', '-gid', '-links',
  '-inum', '-maxdepth', '-mindepth', '-fstype', '-context', '-regextype', '-printf', '-newer', '-anewer', '-cnewer', '-samefile',
  '-fprint', '-fprint0', '-fls', '-files0-from',
]);
const READS = new Set(['-newer', '-anewer', '-cnewer', '-samefile']);
const WRITES = new Set(['-fprint', '-fprint0', '-fls']);

/**
 * `find`'s model.
 *
 * @example
 * ```ts
 * FIND_MODEL; // find . -name '*.tmp' -delete: reads and deletes everything under .
 * ```
 */
export const FIND_MODEL: FxModel = (call) => {
  const words = call.words;
  const { starts, next } = findStartPoints(words);
  let deletes = false;
  for (let i = next; i < words.length; i++) {
    const w = words[i] as WordFacts;
    const v = w.value;
    if (v === null) continue;
    if (v === '-exec' || v === '-execdir' || v === '-ok' || v === '-okdir') {
      while (i + 1 < words.length && words[i + 1]?.value !== ';' && words[i + 1]?.value !== '+') i++;
      i++;
      continue;
    }
    if (v === '-delete') deletes = true;
    else if (v === '-fprintf') {
      const file = words[i + 1];
      if (file !== undefined) call.fx.path('write', file, 'find -fprintf');
      i += 2;
    } else if (v.startsWith('-newer') && v.length === 8) {
      // -newerXY reference: a file unless Y is `t` (a time string).
      const ref = words[i + 1];
      if (ref !== undefined && v[7] !== 't') call.fx.path('read', ref, `find ${v}`);
      i++;
    } else if (ONE_VALUE.has(v)) {
      const value = words[i + 1];
      if (value !== undefined && READS.has(v)) call.fx.path('read', value, `find ${v}`);
      if (value !== undefined && WRITES.has(v)) call.fx.path('write', value, `find ${v}`);
      if (value !== undefined && v === '-files0-from') {
        call.fx.path('read', value, 'find -files0-from');
        // The start points come from that file.
        call.fx.path('read', { value: null, text: '<start points from a file>', singleField: false, prefix: '', tilde: false, pattern: null }, 'find -files0-from', true);
      }
      i++;
    }
  }
  for (const s of starts) {
    call.fx.path('read', s, 'find', true);
    if (deletes) call.fx.path('delete', s, 'find -delete', true);
  }
};
