/**
 * docs/identity.md's TypeScript examples run (test/helpers/doc-examples.ts).
 */
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/identity.md', { 'agent-warden/identity': 'src/identity/index.ts' }, 8);
