import { Batch } from './batch.js';
import { Fifo } from './fifo.js';

/**
 * Writes that arrived while `capacity` items were pending, in write order, kept as future batches:
 * chunks of up to `bufferSize` items. Letting them in costs O(1) per batch (a whole chunk becomes
 * the next batch), not a shift and a promise per item.
 */
export class WaitingWrites {
  readonly #chunks = new Fifo<Batch>();
  readonly #chunkSize: number;
  /** The chunk new writes join; undefined once it has left the queue. */
  #tail: Batch | undefined;
  #count = 0;

  constructor(chunkSize: number) {
    this.#chunkSize = chunkSize;
  }

  /** Writes waiting. */
  get count(): number {
    return this.#count;
  }

  add(item: unknown, resolve: () => void, reject: (err: unknown) => void): void {
    let tail = this.#tail;
    if (tail === undefined || tail.size >= this.#chunkSize) {
      tail = new Batch();
      this.#chunks.push(tail);
      this.#tail = tail;
    }
    tail.add(item, resolve, reject);
    this.#count += 1;
  }

  /**
   * Let the first `room` writes (at least one must wait) join `into`, the open batch. Returns the
   * batch that now holds them: the first chunk itself when `into` is empty and the chunk fits (the
   * usual case), else `into` with the items moved over.
   */
  admit(room: number, into: Batch): Batch {
    const head = this.#chunks.peek() as Batch;
    if (into.size === 0 && head.size <= room) {
      this.#dropHead(head);
      this.#count -= head.size;
      return head;
    }
    const count = Math.min(room, head.size);
    head.moveFront(count, into);
    this.#count -= count;
    if (head.size === 0) this.#dropHead(head);
    return into;
  }

  /** Every waiting item, first to last, taken out of the queue (the synchronous exit flush). */
  drainItems(): unknown[] {
    const items = this.#chunks.drain().flatMap((chunk) => chunk.items);
    this.#tail = undefined;
    this.#count = 0;
    return items;
  }

  #dropHead(head: Batch): void {
    this.#chunks.shift();
    if (head === this.#tail) this.#tail = undefined;
  }
}
