/** `PRAGMA application_id` of a dblock registry ("dblk"), so a stranger's database is never migrated. */
export const REGISTRY_APPLICATION_ID = 0x64626c6b;

/**
 * The registry's schema, one migration per entry (SQLite layer: tracked by `user_version`).
 * Times are milliseconds since the epoch (wall clock: rows are compared across processes).
 */
export const REGISTRY_MIGRATIONS: readonly string[] = [
  `PRAGMA application_id = ${REGISTRY_APPLICATION_ID};
   -- seq orders submissions (FIFO); AUTOINCREMENT so a seq is never reused after a delete.
   CREATE TABLE tasks (
     seq          INTEGER PRIMARY KEY AUTOINCREMENT,
     id           TEXT    NOT NULL UNIQUE,
     token        TEXT    NOT NULL,
     state        TEXT    NOT NULL CHECK (state IN ('queued', 'admitted')),
     policy       TEXT    NOT NULL,
     pid          INTEGER NOT NULL,
     host         TEXT    NOT NULL,
     command      TEXT    NOT NULL,
     submitted_at INTEGER NOT NULL,
     admitted_at  INTEGER,
     ttl_ms       INTEGER,
     expires_at   INTEGER
   );
   CREATE TABLE task_paths (
     seq    INTEGER NOT NULL,
     path   TEXT    NOT NULL,
     is_dir INTEGER NOT NULL,
     PRIMARY KEY (seq, path)
   ) WITHOUT ROWID;
   CREATE TABLE conflicts (
     id            INTEGER PRIMARY KEY,
     at            INTEGER NOT NULL,
     task_id       TEXT    NOT NULL,
     task_seq      INTEGER,
     pid           INTEGER NOT NULL,
     command       TEXT    NOT NULL,
     path          TEXT    NOT NULL,
     other_task_id TEXT    NOT NULL,
     other_pid     INTEGER NOT NULL,
     other_host    TEXT    NOT NULL,
     other_command TEXT    NOT NULL,
     other_path    TEXT    NOT NULL,
     other_state   TEXT    NOT NULL,
     policy        TEXT    NOT NULL,
     outcome       TEXT    NOT NULL,
     waited_ms     INTEGER
   );
   CREATE INDEX conflicts_at ON conflicts (at);`,
  // The submitter's host: with tasks on several machines a pid alone names nobody.
  'ALTER TABLE conflicts ADD COLUMN host TEXT;',
];
