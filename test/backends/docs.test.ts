/**
 * docs/policy-languages.md's TypeScript examples run (test/helpers/doc-examples.ts).
 */
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/policy-languages.md', { 'agent-warden/backends': 'src/backends/index.ts' }, 1);
