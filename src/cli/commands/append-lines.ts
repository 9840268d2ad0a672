const NEWLINE = 0x0a;
const NEWLINE_BUFFER = Buffer.from('\n');

/**
 * Cut a byte stream into batches of whole lines, each line keeping its newline: one batch per chunk
 * that completes at least one line. A last line without a newline gets one.
 *
 * Linear in the input: the start of a long line is kept as a list of chunks and copied once, when its
 * newline arrives (concatenating per chunk made a 64 MiB line take 27 s and 359 MB).
 */
export async function* readLineBatches(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  let parts: Buffer[] = [];
  let partsLength = 0;
  for await (const chunk of input) {
    let at = chunk.indexOf(NEWLINE);
    if (at === -1) {
      parts.push(chunk);
      partsLength += chunk.length;
      continue;
    }
    const head = chunk.subarray(0, at + 1);
    const lines = [parts.length === 0 ? head : Buffer.concat([...parts, head], partsLength + head.length)];
    parts = [];
    partsLength = 0;
    let start = at + 1;
    for (at = chunk.indexOf(NEWLINE, start); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      lines.push(chunk.subarray(start, at + 1));
      start = at + 1;
    }
    if (start < chunk.length) {
      parts.push(chunk.subarray(start));
      partsLength = chunk.length - start;
    }
    yield lines;
  }
  if (parts.length > 0) yield [Buffer.concat([...parts, NEWLINE_BUFFER], partsLength + 1)];
}
