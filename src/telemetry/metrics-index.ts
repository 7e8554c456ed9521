/**
 * Prometheus metrics of governed calls, with prom-client: install `prom-client` beside Warden.
 *
 * @example
 * ```ts
 * import { createMetrics, metricsHandler } from 'agent-warden/metrics';
 * const metrics = createMetrics({ sre });
 * const governor = new Governor({ policy, monitors: [sre, metrics] });
 * createServer(metricsHandler(metrics.registry)).listen(9464);
 * ```
 */
export { createMetrics, metricsHandler } from './metrics.js';
export type { MetricsOptions, WardenMetrics, SreStateSource } from './metrics.js';
export type { CallMonitor } from '../monitor.js';
