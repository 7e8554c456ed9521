/**
 * docs/trust.md's and docs/runtime.md's TypeScript examples run (test/helpers/doc-examples.ts).
 */
import { describeDocExamples } from '../helpers/doc-examples.js';

const SUBPATHS = { 'agent-warden/store': 'src/store/index.ts', 'agent-warden/trust': 'src/trust/index.ts', 'agent-warden/runtime': 'src/runtime/index.ts', 'agent-warden/identity': 'src/identity/index.ts' };

for (const page of ['docs/trust.md', 'docs/runtime.md']) describeDocExamples(page, SUBPATHS, 2, { extraLogs: true });
