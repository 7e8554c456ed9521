/** Reading trajectories and reward shaping for `warden reward` and `warden training report`. */
import { stat } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { listAuditFiles } from '../audit/files.js';
import { WardenError } from '../errors.js';
import { firstDuplicateKey } from '../lib/json-text.js';
import { trajectoriesFromAudit } from '../training/audit-import.js';
import { trajectoriesFromOtlp } from '../training/otel-import.js';
import { checkShaping, type CheckedShaping } from '../training/reward.js';
import { parseTrajectoryJsonl, type Trajectory } from '../training/trajectory.js';
import { readInput } from './read-input.js';

/**
 * The input forms.
 *
 * @example
 * ```ts
 * TRAJECTORY_FORMATS.includes('otlp'); // true
 * ```
 */
export const TRAJECTORY_FORMATS = ['jsonl', 'otlp', 'audit'] as const;

/** Largest trajectory file read (JSONL or an OTLP export), in bytes. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

/**
 * Reads trajectories from `paths` in `format` (`jsonl`: warden.trajectory/v1 lines; `otlp`: an
 * OTLP JSON trace export; `audit`: audit log files or directories, each stream in chain order).
 *
 * @example
 * ```ts
 * const trajectories = await readTrajectories(['.warden/audit/training-run-7.jsonl'], 'audit');
 * ```
 */
export async function readTrajectories(paths: readonly string[], format: string): Promise<Trajectory[]> {
  if (!(TRAJECTORY_FORMATS as readonly string[]).includes(format)) throw new WardenError('ERR_USAGE', `--from must be one of ${TRAJECTORY_FORMATS.join(', ')}; got ${JSON.stringify(format)}.`);
  const out: Trajectory[] = [];
  const add = (found: readonly Trajectory[], name: string): void => {
    for (const t of found) {
      if (out.some((o) => o.id === t.id)) throw new WardenError('ERR_TRAINING_INPUT', `${name}: trajectory ${JSON.stringify(t.id)} also appears in an earlier input; give each trajectory once.`);
      out.push(t);
    }
  };
  if (format === 'audit') {
    for (const p of paths) add((await trajectoriesFromAudit(await listAuditFiles(p))).trajectories, p);
    return out;
  }
  for (const p of paths) {
    if (p !== '-') {
      let size: number;
      try {
        size = (await stat(p)).size;
      } catch (e) {
        throw new WardenError('ERR_INPUT', `Cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}. Check the path.`);
      }
      if (size > MAX_FILE_BYTES) throw new WardenError('ERR_INPUT_TOO_LARGE', `${p} is over ${MAX_FILE_BYTES} bytes; split it.`);
    }
    const text = await readInput(p);
    const name = p === '-' ? '(stdin)' : p;
    add(format === 'jsonl' ? parseTrajectoryJsonl(text, name) : trajectoriesFromOtlp(text, name), name);
  }
  return out;
}

/**
 * Reads reward shaping from a JSON or YAML file (keys once each; NaN and infinities refused).
 *
 * @example
 * ```ts
 * const shaping = await readShaping('shaping.yaml');
 * ```
 */
export async function readShaping(path: string | undefined): Promise<CheckedShaping> {
  if (path === undefined) return checkShaping({});
  const text = await readInput(path);
  let value: unknown;
  if (/\.ya?ml$/i.test(path)) {
    try {
      value = parseYaml(text, { uniqueKeys: true, maxAliasCount: 0 });
    } catch (e) {
      throw new WardenError('ERR_TRAINING_INPUT', `${path}: the shaping is not YAML (${e instanceof Error ? e.message : String(e)}).`);
    }
  } else {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new WardenError('ERR_TRAINING_INPUT', `${path}: the shaping is not JSON (${e instanceof Error ? e.message : String(e)}).`);
    }
    const dup = firstDuplicateKey(text);
    if (dup !== null) throw new WardenError('ERR_TRAINING_INPUT', `${path}: the key ${JSON.stringify(dup.key)} appears twice in one object.`);
  }
  try {
    return checkShaping(value as never);
  } catch (e) {
    if (e instanceof WardenError) throw new WardenError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}
