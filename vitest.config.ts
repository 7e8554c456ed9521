import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-lazy-modules.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one worker less than the cores: on the 2-core CI machines that is one
    // file at a time (376 s for the suite); two at once finish it in about 250 s. Most files wait
    // on child processes and sockets, so a second worker pays off even on 2 cores.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
