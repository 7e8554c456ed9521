/**
 * Rebuilding SRE state from an audit log: each decision record is admitted and told to the
 * runtime, each outcome record observed, at the time the record carries, in log order. What
 * `warden slo status` and `warden breaker status` print is what a live runtime with the same SLOs
 * and breakers would hold after the same traffic.
 */
import type { DecisionEvent, OutcomeEvent } from '../decision.js';
import { MAX_LINE_BYTES, readLineBatches } from '../audit/io.js';
import { createSre, type SreRuntime } from './runtime.js';
import type { SreDocuments } from './documents.js';

/**
 * What reading the logs found, besides the state.
 *
 * @example
 * ```ts
 * const { sre, outcomes, malformed } = await sreFromAuditLogs(['audit.jsonl'], docs);
 * ```
 */
export interface SreReplay {
  sre: SreRuntime;
  decisions: number;
  outcomes: number;
  /** Lines that were not JSON records (counted, not fatal). */
  malformed: number;
  /** The time of the last record read (ms), or null when there was none. */
  lastTs: number | null;
}

/**
 * Replays audit log files (oldest first) into a fresh SRE runtime holding `docs`' SLOs and breakers.
 *
 * @example
 * ```ts
 * const { sre } = await sreFromAuditLogs(['.warden/audit/main.jsonl'], await loadSreFiles(['sre.yaml']));
 * console.log(sre.status().slos);
 * ```
 * @throws WardenError `ERR_AUDIT_NOT_FOUND` when a file cannot be read.
 */
export async function sreFromAuditLogs(files: readonly string[], docs: Pick<SreDocuments, 'slos' | 'breakers'>, options: { now?: number } = {}): Promise<SreReplay> {
  let t = 0;
  const sre = createSre({ slos: docs.slos, breakers: docs.breakers, now: () => t });
  const out: SreReplay = { sre, decisions: 0, outcomes: 0, malformed: 0, lastTs: null };
  for (const file of files) {
    for await (const batch of readLineBatches(file, { maxLineBytes: MAX_LINE_BYTES })) {
      for (const line of batch) {
        if (!line.terminated || line.tooLong || line.length === 0) {
          if (line.length > 0 || line.terminated) out.malformed++;
          continue;
        }
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line.bytes.toString('utf8')) as Record<string, unknown>;
        } catch {
          out.malformed++;
          continue;
        }
        const ts = typeof record.ts === 'string' ? Date.parse(record.ts) : Number.NaN;
        if (record === null || typeof record !== 'object' || Number.isNaN(ts)) {
          out.malformed++;
          continue;
        }
        // Time never runs backwards in the replay (records from a skewed clock count at the latest time seen).
        t = Math.max(t, ts);
        out.lastTs = t;
        if (record.type === 'decision' && isDecision(record)) {
          out.decisions++;
          const tool = record.request.tool;
          if (typeof record.call === 'string' && record.outcome?.executed === true) sre.admit({ call: record.call, tool, agent: record.agent, request: record.request });
          sre.decided(record);
        } else if (record.type === 'outcome' && isOutcome(record)) {
          out.outcomes++;
          sre.observed(record);
        }
      }
    }
  }
  if (options.now !== undefined) t = Math.max(t, options.now);
  return out;
}

function isDecision(r: Record<string, unknown>): r is Record<string, unknown> & DecisionEvent {
  const request = r.request as { tool?: unknown } | null;
  return request !== null && typeof request === 'object' && typeof request.tool === 'string' && r.decision !== null && typeof r.decision === 'object';
}

function isOutcome(r: Record<string, unknown>): r is Record<string, unknown> & OutcomeEvent {
  const o = r.outcome as { status?: unknown } | null;
  return typeof r.call === 'string' && typeof r.tool === 'string' && o !== null && typeof o === 'object' && (o.status === 'ok' || o.status === 'error' || o.status === 'aborted');
}
