/**
 * docs/dashboard.md's TypeScript examples run (test/helpers/doc-examples.ts).
 */
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/dashboard.md', { 'agent-warden/server': 'src/server/approval-queue.ts', 'agent-warden/dashboard': 'src/dashboard/index.ts', 'agent-warden/store': 'src/store/index.ts' }, 2);
