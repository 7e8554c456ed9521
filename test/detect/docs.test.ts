/** docs/detection.md's TypeScript examples run (see test/helpers/doc-examples.ts). */
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/detection.md', { 'agent-warden/detect': 'src/detect/index.ts', 'agent-warden/store': 'src/store/index.ts' }, 6);
