/**
 * Replay reads audit records as the sink wrote them (canonical JSON): a line that repeats a key is
 * malformed, never re-decided on whichever of its two values a parser keeps.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileAuditSink } from '../../src/audit/file-sink.js';
import { readReplayRecords } from '../../src/replay/read-log.js';
import type { ReplayRecord } from '../../src/replay/replay.js';
import { decisionEvent, tempDir } from '../audit/helpers.js';

let dir: string;
let cleanup: () => void;
let file: string;
let lines: string[];
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('warden-replay-read-'));
  file = join(dir, 'main.jsonl');
  const sink = await openFileAuditSink({ path: file, fsync: 'never' });
  await sink.write(decisionEvent(1));
  await sink.write(decisionEvent(2));
  await sink.close();
  lines = readFileSync(file, 'utf8').trim().split('\n');
});
afterAll(() => cleanup());

async function read(extra: string[]): Promise<ReplayRecord[]> {
  const copy = join(dir, `copy-${extra.length}-${Math.random().toString(36).slice(2)}.jsonl`);
  appendFileSync(copy, [...lines, ...extra].map((l) => `${l}\n`).join(''));
  const out: ReplayRecord[] = [];
  for await (const r of readReplayRecords([copy])) out.push(r);
  return out;
}

describe('readReplayRecords', () => {
  const tampered: Array<[string, (line: string) => string, string]> = [
    ['a second path in the arguments', (l) => l.replace('"path":', '"path":"/etc/shadow","path":'), 'path'],
    ['a second tool', (l) => l.replace('"tool":', '"tool":"bash","tool":'), 'tool'],
    ['a second decision effect', (l) => l.replace('"effect":', '"effect":"deny","effect":'), 'effect'],
  ];
  it.each(tampered)('counts a record with %s as malformed, naming the key', async (_name, tamper, key) => {
    const records = await read([tamper(lines[1] as string)]);
    expect(records.map((r) => r.type)).toEqual(['decision', 'decision', 'malformed']);
    const bad = records[2] as { message: string; line: number };
    expect(bad.line).toBe(3);
    expect(bad.message).toContain(`the line repeats a key: ${JSON.stringify(key)} appears twice`);
  });

  it('reads the records the sink wrote, unchanged', async () => {
    const records = await read([]);
    expect(records.map((r) => r.type)).toEqual(['decision', 'decision']);
  });
});
