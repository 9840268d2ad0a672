import { DblockError } from '../../src/errors.js';

/** The DblockError code a promise rejects with, `resolved` if it does not, or the text of another error. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return err instanceof DblockError ? err.code : String(err);
  }
}
