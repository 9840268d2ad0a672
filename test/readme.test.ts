import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ROOT, runDblock } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';

/** Put this line right above a ```js or ```ts block of README.md to have it run as written. */
const MARKER = '<!-- test: run -->';

interface Example {
  readonly line: number;
  readonly lang: 'js' | 'ts';
  readonly code: string;
}

/** The code blocks of `markdown` (js/ts), each with whether the marker line stands right above it. */
function codeBlocks(markdown: string): { example: Example; marked: boolean }[] {
  const lines = markdown.split('\n');
  const blocks: { example: Example; marked: boolean }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(js|ts)\s*$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const end = lines.findIndex((line, j) => j > i && line.startsWith('```'));
    if (end === -1) throw new Error(`README.md:${i + 1}: unclosed code block`);
    const marked = (lines[i - 1] ?? '').trim() === MARKER;
    blocks.push({ example: { line: i + 1, lang: open[1] as 'js' | 'ts', code: lines.slice(i + 1, end).join('\n') }, marked });
    i = end;
  }
  return blocks;
}

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = codeBlocks(readme);

describe('README.md: the library examples run as written on the supported Node', () => {
  it(`marks its runnable examples with ${MARKER}`, () => {
    expect(blocks.filter((b) => b.marked).length).toBeGreaterThan(0);
  });

  it('shows no `using` declaration, which Node 20 rejects (SyntaxError)', () => {
    const using = blocks.filter((b) => /^\s*(await\s+)?using\s+\w+\s*=/m.test(b.example.code)).map((b) => b.example.line);
    expect(using).toEqual([]);
  });

  it('runs each marked example, in order, as an ES module of an app that installed dblock', { timeout: 120_000 }, async () => {
    const app = tempDir('dblock-readme-');
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(ROOT, join(app, 'node_modules', 'dblock'));
    const env = { ...process.env, DBLOCK_HOME: join(app, '.dblock-home') };
    for (const { example } of blocks.filter((b) => b.marked)) {
      // TypeScript loses only its types: esnext keeps every newer syntax, so what Node rejects still fails here.
      const code =
        example.lang === 'ts'
          ? (await transform(example.code, { loader: 'ts', format: 'esm', target: 'esnext' })).code
          : example.code;
      const file = join(app, `readme-line-${example.line}.mjs`);
      writeFileSync(file, code);
      try {
        execFileSync(process.execPath, [file], { cwd: app, env, encoding: 'utf8', stdio: 'pipe', timeout: 60_000 });
      } catch (err) {
        const { stderr, status } = err as { stderr?: string; status?: number };
        throw new Error(`README.md:${example.line}: the example exited ${status}: ${stderr ?? String(err)}`);
      }
    }
  });
});

describe('README.md: the sample stress output', () => {
  /** Each line's label (its text before the first number, bar or value), in order. */
  const labels = (text: string): string[] =>
    text
      .trim()
      .split('\n')
      .map((line) => (/^(dblock stress:|\s+\S+(?: \S+)?)\s{2,}/.exec(line)?.[1] ?? line.split(':')[0] ?? '').trim());

  it('has the lines, in the order, that `dblock stress` really prints', { timeout: 120_000 }, async () => {
    const start = readme.indexOf('```\ndblock stress: ');
    expect(start).toBeGreaterThan(-1);
    const sample = readme.slice(start + 4, readme.indexOf('```', start + 4));
    const run = await runDblock(['stress', '--seed', '42']);
    expect(run.code).toBe(0);
    expect(labels(sample)).toEqual(labels(run.stdout));
    // The header names the run's shape exactly (everything but the numbers of the measures).
    expect(sample.split('\n')[0]).toBe(run.stdout.split('\n')[0]);
  });
});
