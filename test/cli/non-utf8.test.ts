import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, finished, startProcess } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Run `bin/dblock.js` with ARGS written as bash `$'…'` words, the only way to pass bytes that are not UTF-8. */
function dblockBytes(words: string, env: NodeJS.ProcessEnv = process.env) {
  return finished(startProcess('bash', ['-c', `exec "${process.execPath}" "${BIN}" ${words}`], { env }));
}

/** The names in `dir`, as bytes (hex), so a name Node would decode with U+FFFD is seen as it is. */
function namesIn(dir: string): string[] {
  return readdirSync(dir, { encoding: 'buffer' }).map((name) => name.toString('hex'));
}

describe('an argument that is not valid UTF-8', () => {
  it('is refused (64, one line) by every command and path flag, and nothing is created or written', async () => {
    const dir = tempDir();
    const env = { ...process.env, DBLOCK_HOME: join(dir, 'home') };
    writeFileSync(join(dir, 'ok.jsonl'), 'kept\n');
    const bad = `$'${dir}/x\\xff'`;
    const cases = [
      `append ${bad}.jsonl '{"a":1}'`,
      `append ${dir}/ok.jsonl $'\\xff'`,
      `exec --db ${bad}.db -- true`,
      `-v exec --db ${bad}.db -- true`,
      `exec --lock ${bad}.lock -- true`,
      `exec --db ${dir}/a.db --lock-dir ${bad} -- true`,
      `exec --writes ${bad} -- true`,
      `exec --writes ${dir}/w --registry ${bad}.db -- true`,
      `init --db ${bad}.db`,
      `init --db ${dir}/a.db --migrations ${bad}`,
      `init --db ${dir}/a.db --schema ${bad}.sql`,
      `check --db ${bad}.db`,
      `status --db ${bad}.db`,
      `checkpoint --db ${bad}.db`,
      `stress --db ${bad}.db --workers 1 --ops 1`,
      `stress --db ${dir}/a.db --workers 1 --ops 1 -- cat ${bad}`,
    ];
    for (const words of cases) {
      const result = await dblockBytes(words, env);
      expect(result.code, words).toBe(64);
      expect(result.stderr, words).toContain('\\xff');
      expect(result.stderr.trim().split('\n'), words).toHaveLength(1);
      expect(namesIn(dir), words).toEqual([Buffer.from('ok.jsonl').toString('hex')]);
    }
    expect(readFileSync(join(dir, 'ok.jsonl'), 'utf8')).toBe('kept\n');
  });

  it("after exec's -- reaches the command as the same bytes", async () => {
    const dir = tempDir();
    writeFileSync(Buffer.from(`${dir}/x\xfe`, 'latin1'), 'found by its own name\n');
    const cat = await dblockBytes(`exec --db ${dir}/a.db -- cat $'${dir}/x\\xfe'`);
    expect(cat.stderr).toBe('');
    expect(cat.stdout).toBe('found by its own name\n');
    expect(cat.code).toBe(0);
    // Every byte that printf or sh could take as special, and trailing newlines.
    const hex = "import os,sys; sys.stdout.write(' '.join(os.fsencode(a).hex() for a in sys.argv[1:]))";
    const echo = await dblockBytes(`exec --db ${dir}/a.db -- python3 -c "${hex}" $'-\\xff%s\\\\ $x\\n\\n' '' $'\\xef\\xbf\\xbd'`);
    expect(echo.stdout).toBe(`${Buffer.from('-\xff%s\\ $x\n\n', 'latin1').toString('hex')}  efbfbd`);
    expect(echo.code).toBe(0);
  });

  it('is told apart from a real U+FFFD, which is valid UTF-8 and accepted', async () => {
    const dir = tempDir();
    const result = await dblockBytes(`append $'${dir}/\\xef\\xbf\\xbd.jsonl' ok`);
    expect(result.code).toBe(0);
    expect(readFileSync(join(dir, '\uFFFD.jsonl'), 'utf8')).toBe('ok\n');
    expect(namesIn(dir)).toContain(Buffer.from('\xef\xbf\xbd.jsonl', 'latin1').toString('hex'));
  });
});
