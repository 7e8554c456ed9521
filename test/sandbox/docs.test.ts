/**
 * docs/sandbox.md's TypeScript examples run against the real sandbox (test/helpers/doc-examples.ts).
 */
import { describeDocExamples } from '../helpers/doc-examples.js';
import { NO_BWRAP } from './helpers.js';

describeDocExamples('docs/sandbox.md', { 'agent-warden/sandbox': 'src/sandbox/index.ts' }, 1, { skip: NO_BWRAP ? 'bubblewrap is not installed (apt-get install bubblewrap, as .ci/run does)' : null });
