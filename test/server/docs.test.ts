import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/server.md', { 'agent-warden/server': 'src/server/index.ts', 'agent-warden/audit': 'src/audit/index.ts' }, 2);
