/** `warden init` (target `policy`, the default): a commented starter policy. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STARTER_POLICY } from './templates/starter-policy.js';
import type { InitTarget } from './init-targets.js';
import { EXIT } from './output.js';
import { exists } from './fs-util.js';

/** Writes `policy.yaml` into the directory. */
export const target: InitTarget = {
  description: 'a commented starter policy (policy.yaml)',
  async run({ dir, force }) {
    const file = join(dir, 'policy.yaml');
    if (!force && (await exists(file))) {
      console.error(`${file} already exists; nothing was written. Use --force to overwrite it, or --dir to write elsewhere.`);
      return EXIT.denied;
    }
    await writeFile(file, STARTER_POLICY, { mode: 0o644 });
    console.log(`Wrote ${file}.`);
    console.log(`Next: edit it, then run  warden lint ${file}  and  warden check --policy ${file} --request request.json`);
    return EXIT.ok;
  },
};
