import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFilesystemMagic, detectNetworkFs } from '../../src/path/fs-type.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('detectNetworkFs', () => {
  it('names network filesystems by their statfs magic and calls a local directory local', () => {
    expect(describeFilesystemMagic(0x6969)).toMatchObject({ type: 'nfs', network: true });
    expect(describeFilesystemMagic(0xff534d42)).toMatchObject({ type: 'cifs', network: true });
    expect(describeFilesystemMagic(0xff534d42 | 0)).toMatchObject({ type: 'cifs', network: true }); // as a signed 32-bit f_type
    expect(describeFilesystemMagic(0x65735546)).toMatchObject({ type: 'fuse', network: true });
    expect(describeFilesystemMagic(0xef53)).toMatchObject({ type: 'ext4', network: false });
    expect(detectNetworkFs(join(tempDir(), 'not', 'yet', 'app.db'))).toBeUndefined();
  });
});
