import { makeEvRows, type Producer, prepareRun } from './batch-producers.js';

/** A writer process forked by batch-contention: argv DB W PRODUCER BUFFER_SIZE CAPACITY COUNT. Reports {ms}. */
const [path, w, producer, bufferSize, capacity, count] = process.argv.slice(2) as [
  string,
  string,
  Producer,
  string,
  string,
  string,
];
const rows = makeEvRows(Number(w), Number(count));
const run = await prepareRun(path, { producer, bufferSize: Number(bufferSize), capacity: Number(capacity) }, rows);
process.send?.({ ready: true });
process.once('message', async () => {
  const ms = await run.start();
  await run.close();
  process.send?.({ ms }, () => process.exit(0));
});
