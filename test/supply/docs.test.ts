/** docs/supply-chain.md: every TypeScript example runs, offline, and prints what it says. */
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/supply-chain.md', { 'agent-warden/supply': 'src/supply/index.ts', 'agent-warden/identity': 'src/identity/index.ts' }, 6);
