/**
 * OpenTelemetry tracing of governed calls (GenAI semantic conventions), through the OpenTelemetry
 * JS API: install `@opentelemetry/api` and the SDK and exporter of your choice. Prometheus metrics
 * are in `agent-warden/metrics`.
 *
 * @example
 * ```ts
 * import { createTracing } from 'agent-warden/telemetry';
 * const governor = new Governor({ policy, monitors: [createTracing()] });
 * ```
 */
export { createTracing } from './tracing.js';
export type { TracingOptions } from './tracing.js';
export { parseTraceparent } from './traceparent.js';
export type { CallMonitor } from '../monitor.js';
