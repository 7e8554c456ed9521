/** `warden init` (target `policy`, the default): a commented starter policy and its tests. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STARTER_POLICY } from './templates/starter-policy.js';
import { STARTER_TESTS } from './templates/starter-tests.js';
import type { InitTarget } from './init-targets.js';
import { EXIT } from './output.js';
import { exists } from './fs-util.js';

/** Writes `policy.yaml` and `policy.test.yaml` into the directory. */
export const target: InitTarget = {
  description: 'a commented starter policy (policy.yaml) and its tests (policy.test.yaml)',
  async run({ dir, force }) {
    const policy = join(dir, 'policy.yaml');
    const tests = join(dir, 'policy.test.yaml');
    if (!force) {
      // Nothing is written unless everything can be: a half-scaffolded directory helps no one.
      const present = [];
      for (const f of [policy, tests]) if (await exists(f)) present.push(f);
      if (present.length > 0) {
        console.error(`${present.join(' and ')} already exist${present.length === 1 ? 's' : ''}; nothing was written. Use --force to overwrite, or --dir to write elsewhere.`);
        return EXIT.denied;
      }
    }
    await writeFile(policy, STARTER_POLICY, { mode: 0o644 });
    await writeFile(tests, STARTER_TESTS, { mode: 0o644 });
    console.log(`Wrote ${policy} and ${tests}.`);
    console.log(`Next: edit them, then run  warden lint ${policy}  and  warden test ${policy} --cases ${tests}`);
    console.log(`Check one request:  warden check --policy ${policy} --request request.json`);
    return EXIT.ok;
  },
};
