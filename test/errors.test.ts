import { describe, expect, it } from 'vitest';
import { DblockError, fromSystemError, isDblockError, LockTimeoutError } from '../src/errors.js';

describe('DblockError', () => {
  it('carries a stable code, an exit code and the cause', () => {
    const cause = new Error('EACCES');
    const err = new DblockError('ESIDECAR', 'cannot create sidecar', { cause });
    expect(err).toMatchObject({ code: 'ESIDECAR', exitCode: 73, cause });
  });

  it('isDblockError() recognises an error from another copy of the module (the bundled CLI loads dist/ too)', async () => {
    const other = (await import('../dist/errors.js')) as typeof import('../src/errors.js');
    const foreign = new other.DblockError('ENOTDB', 'not a database');
    expect(isDblockError(foreign)).toBe(true);
    expect(isDblockError(foreign, 'ENOTDB')).toBe(true);
    expect(isDblockError(foreign, 'EUSAGE')).toBe(false);
    expect(isDblockError(new other.LockTimeoutError('/x.lock', 0, undefined), 'ELOCKTIMEOUT')).toBe(true);
    expect(isDblockError(new Error('plain'))).toBe(false);
    expect(isDblockError(Object.assign(new Error('look-alike'), { code: 'EUSAGE' }))).toBe(false);
    expect(isDblockError(undefined)).toBe(false);
  });

  it("instanceof is the ordinary check: this copy's errors and subclasses, no Symbol.hasInstance override", () => {
    expect(Object.hasOwn(DblockError, Symbol.hasInstance)).toBe(false);
    expect(new LockTimeoutError('/x.lock', 0, undefined)).toBeInstanceOf(DblockError);
    expect(new DblockError('EUSAGE', 'x')).not.toBeInstanceOf(LockTimeoutError);
    expect(new Error('plain')).not.toBeInstanceOf(DblockError);
  });

  it('maps a full disk, a quota, a size limit and a failing device to EIO (exit 74)', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO']) {
      const err = fromSystemError(Object.assign(new Error(code), { code }), 'cannot write x', 'ESIDECAR');
      expect(err).toMatchObject({ code: 'EIO', exitCode: 74 });
    }
  });
});
