import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { NETWORK_FS_WARNING, warnIfNetworkFs } from '../../src/lock/network-warning.js';
import { describeFilesystem, describeFilesystemMagic, detectNetworkFs } from '../../src/path/fs-type.js';

describe('filesystem detection (statfs magic numbers)', () => {
  it('names network filesystems, including magics that arrive negative from a signed f_type', () => {
    const cases: [number, string][] = [
      [0x6969, 'nfs'],
      [0xff534d42 | 0, 'cifs'],
      [0xfe534d42, 'smb2'],
      [0x65735546, 'fuse'],
      [0x01021997, '9p'],
      [0x6a656a63, 'virtiofs'],
    ];
    for (const [magic, type] of cases) expect(describeFilesystemMagic(magic)).toMatchObject({ type, network: true });
  });

  it('names common local filesystems and reports unknown ones by number', () => {
    expect(describeFilesystemMagic(0xef53)).toMatchObject({ type: 'ext4', network: false });
    expect(describeFilesystemMagic(0x01021994)).toMatchObject({ type: 'tmpfs', network: false });
    expect(describeFilesystemMagic(0x1234).type).toBe('unknown (0x1234)');
  });

  it('reads the real filesystem of a directory, and claims nothing off Linux', () => {
    expect(describeFilesystem(tmpdir()).type).not.toBe('');
    expect(detectNetworkFs(tmpdir())).toBeUndefined(); // the test machine's temp dir is local
    expect(describeFilesystem(tmpdir(), 'win32')).toEqual({ type: 'unknown', magic: 0, network: false });
  });
});

describe('network filesystem warning', () => {
  it('warns once per process through the hook, suggesting the mkdir backend', () => {
    const nfs = () => describeFilesystemMagic(0x6969);
    const messages: string[] = [];
    warnIfNetworkFs('/srv/share/app.db.lock', (m) => messages.push(m), nfs);
    warnIfNetworkFs('/srv/share/other.db.lock', (m) => messages.push(m), nfs);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('nfs');
    expect(messages[0]).toContain('--backend mkdir');
  });

  it('uses process.emitWarning when no hook is given, never stderr directly', async () => {
    vi.resetModules();
    const fresh = await import('../../src/lock/network-warning.js');
    const emit = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    fresh.warnIfNetworkFs('/mnt/smb/app.db.lock', undefined, () => describeFilesystemMagic(0xfe534d42));
    expect(emit).toHaveBeenCalledWith(expect.stringContaining('smb2'), { code: NETWORK_FS_WARNING });
    emit.mockRestore();
  });
});
