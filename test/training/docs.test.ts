/**
 * docs/training.md's end-to-end example runs: a toy environment, a scripted learner over three
 * checkpoints, rewards, and the report with its plot; each `console.log(...); // value` prints
 * exactly that value.
 */
import { describeDocExamples } from '../helpers/doc-examples.js';

describeDocExamples('docs/training.md', { 'agent-warden/training': 'src/training/index.ts' }, 1, { exactComments: true });
