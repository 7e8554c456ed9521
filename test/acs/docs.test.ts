/**
 * docs/acs.md's TypeScript examples run (test/helpers/doc-examples.ts).
 */
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/acs.md', { 'agent-warden/acs': 'src/acs/index.ts' }, 2);
