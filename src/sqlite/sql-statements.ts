/** One top-level statement of an SQL text, as SQLite would split it. */
export interface SqlStatement {
  /** Offset of the statement's first token in the whole text. */
  readonly start: number;
  /** The statement's words and quoted names, upper-cased, without comments or whitespace (for classifying it). */
  readonly words: readonly string[];
}

type Token = 'semi' | 'ws' | 'other' | 'explain' | 'create' | 'temp' | 'trigger' | 'end';

const COLUMN: Record<Token, number> = { semi: 0, ws: 1, other: 2, explain: 3, create: 4, temp: 5, trigger: 6, end: 7 };

/**
 * sqlite3_complete()'s state machine (SQLite's complete.c): a `;` ends a statement only in state 1,
 * so the `;`s inside `CREATE TRIGGER … BEGIN … END;` do not. States: 0 invalid, 1 start, 2 normal,
 * 3 explain, 4 create, 5 trigger, 6 semi (in a trigger), 7 end (in a trigger).
 */
const TRANSITIONS: readonly (readonly number[])[] = [
  [1, 0, 2, 3, 4, 2, 2, 2],
  [1, 1, 2, 3, 4, 2, 2, 2],
  [1, 2, 2, 2, 2, 2, 2, 2],
  [1, 3, 3, 2, 4, 2, 2, 2],
  [1, 4, 2, 2, 2, 4, 5, 2],
  [6, 5, 5, 5, 5, 5, 5, 5],
  [6, 6, 5, 5, 5, 5, 5, 7],
  [1, 7, 5, 5, 5, 5, 5, 5],
];

const KEYWORDS: Record<string, Token> = {
  CREATE: 'create',
  TEMP: 'temp',
  TEMPORARY: 'temp',
  TRIGGER: 'trigger',
  END: 'end',
  EXPLAIN: 'explain',
};

/**
 * Split SQL into statements exactly where SQLite's own tokenizer would (string literals, quoted
 * names, comments and trigger bodies never end a statement). Only the words are kept: enough to tell
 * what a statement is, without parsing it. An unterminated literal or comment ends the text.
 * @example splitStatements("INSERT INTO t VALUES ('a;b'); COMMIT").map((s) => s.words[0]) // ['INSERT', 'COMMIT']
 */
export function splitStatements(sql: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  let state = 0;
  let current: { start: number; words: string[] } | undefined;
  let i = 0;
  while (i < sql.length) {
    const { token, end, word } = nextToken(sql, i);
    if (token !== 'ws' && token !== 'semi' && current === undefined) current = { start: i, words: [] };
    if (word !== undefined) current?.words.push(word);
    const next = TRANSITIONS[state]?.[COLUMN[token]] ?? 2;
    if (token === 'semi' && next === 1 && current !== undefined) {
      out.push(current);
      current = undefined;
    }
    state = next;
    i = end;
  }
  if (current !== undefined) out.push(current);
  return out;
}

/** The 1-based line of `offset` in `text`, for messages. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line += 1;
  return line;
}

function nextToken(sql: string, i: number): { token: Token; end: number; word?: string } {
  const c = sql[i] as string;
  if (c === ';') return { token: 'semi', end: i + 1 };
  if (/\s/.test(c)) return { token: 'ws', end: i + 1 };
  if (c === '/' && sql[i + 1] === '*') {
    const close = sql.indexOf('*/', i + 2);
    return { token: 'ws', end: close < 0 ? sql.length : close + 2 };
  }
  if (c === '-' && sql[i + 1] === '-') {
    const eol = sql.indexOf('\n', i + 2);
    return { token: 'ws', end: eol < 0 ? sql.length : eol + 1 };
  }
  if (c === '[' || c === '`' || c === '"' || c === "'") {
    const close = sql.indexOf(c === '[' ? ']' : c, i + 1);
    const end = close < 0 ? sql.length : close + 1;
    // A quoted name can be a keyword's spelling too (`PRAGMA "journal_mode"`); a string literal is no word.
    return c === "'" ? { token: 'other', end } : { token: 'other', end, word: sql.slice(i + 1, end - 1).toUpperCase() };
  }
  if (isIdChar(c)) {
    let end = i + 1;
    while (end < sql.length && isIdChar(sql[end] as string)) end += 1;
    const word = sql.slice(i, end).toUpperCase();
    return { token: KEYWORDS[word] ?? 'other', end, word };
  }
  return { token: 'other', end: i + 1, word: c };
}

/** SQLite's IdChar: letters, digits, `_`, `$`, and every non-ASCII character. */
function isIdChar(c: string): boolean {
  return /[A-Za-z0-9_$]/.test(c) || c.charCodeAt(0) >= 0x80;
}
