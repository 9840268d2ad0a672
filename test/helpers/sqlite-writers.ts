import { nextMessage, startFixture } from './processes.js';

/** What one `fixtures/sqlite-writer.mjs` process reports when it is done. */
export interface WriterResult {
  ops: number;
  errors: number;
  firstError?: string;
  busyRetries: number;
  latencies: number[];
}

/** Start `n` writer processes on `db`, release them together once all are open, collect their reports. */
export async function runWriters(n: number, config: Record<string, unknown>): Promise<WriterResult[]> {
  const children = Array.from({ length: n }, (_, id) => startFixture('sqlite-writer', [JSON.stringify({ ...config, id })]));
  await Promise.all(children.map((child) => nextMessage(child, (m) => m.ready === true)));
  const results = children.map((child) => nextMessage<WriterResult>(child, (m) => 'ops' in m));
  for (const child of children) child.send('go');
  return Promise.all(results);
}
