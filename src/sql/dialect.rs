//! Which SQL files Baton reads as PostgreSQL forward migrations: not another database's SQL
//! (ClickHouse, MySQL, SQLite), not a down migration (docs/rules/sql/README.md, "Other
//! databases and down migrations").
//!
//! The decision reads only the file's path and text: a `clickhouse`, `mysql`, `mariadb` or
//! `sqlite` path segment, or a clause no PostgreSQL file has (`ENGINE = MergeTree`,
//! `ENGINE=InnoDB`, back-quoted names, `AUTO_INCREMENT`, `AUTOINCREMENT`, `PRAGMA`, the
//! `DATETIME` type). A migrations folder is one database's history: one such file settles the
//! whole folder.

/// Why a path is another database's SQL (by a segment of it), if it is.
pub fn dialect_of_path(path: &str) -> Option<&'static str> {
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    for segment in dir.split('/') {
        let segment = segment.to_ascii_lowercase();
        let named = |word: &str| {
            segment == word
                || segment.split(['-', '_', '.']).any(|part| part == word)
                || segment
                    .strip_prefix(word)
                    .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
        };
        if named("clickhouse") {
            return Some("ClickHouse");
        }
        if named("mysql") || named("mariadb") {
            return Some("MySQL");
        }
        if named("sqlite") || named("libsql") {
            return Some("SQLite");
        }
    }
    None
}

/// Why a file's text is another database's SQL (by a clause PostgreSQL has no use for), if it
/// is. Comments, string literals and dollar-quoted bodies are not read.
pub fn dialect_of_text(text: &str) -> Option<&'static str> {
    dialect_by_clauses(text, true)
}

/// [`dialect_of_text`] for a SQL block of a Markdown document, whose fence may run over prose
/// that writes names in back-quotes (`` `finance_outbox` ``): back-quotes are no evidence there.
pub fn dialect_of_block(text: &str) -> Option<&'static str> {
    dialect_by_clauses(text, false)
}

fn dialect_by_clauses(text: &str, backquotes: bool) -> Option<&'static str> {
    let words = code_words(text);
    // The most specific evidence wins: ClickHouse also accepts back-quoted names.
    let mut found: Option<(u8, &'static str)> = None;
    let mut note = |rank: u8, dialect: &'static str| {
        if found.is_none_or(|(r, _)| rank < r) {
            found = Some((rank, dialect));
        }
    };
    for (i, word) in words.iter().enumerate() {
        let next = |k: usize| words.get(i + k).map(String::as_str).unwrap_or("");
        match word.as_str() {
            "`" if backquotes => note(3, "MySQL"),
            "engine" => {
                let value = if next(1) == "=" { next(2) } else { next(1) };
                if value.ends_with("mergetree")
                    || next(1) == "=" && matches!(value, "log" | "tinylog" | "stripelog" | "distributed" | "kafka")
                {
                    note(0, "ClickHouse");
                } else if matches!(value, "innodb" | "myisam" | "aria") {
                    note(1, "MySQL");
                }
            }
            "lowcardinality" if next(1) == "(" => note(0, "ClickHouse"),
            "auto_increment" => note(1, "MySQL"),
            "autoincrement" | "pragma" => note(2, "SQLite"),
            "datetime" => {
                // A column's type (PostgreSQL has none of that name): after the column's name,
                // before its constraints or the end of its definition.
                let previous = if i > 0 { words[i - 1].as_str() } else { "" };
                let named_before = previous == "\""
                    || (previous.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                        && !matches!(
                            previous,
                            "select"
                                | "by"
                                | "and"
                                | "or"
                                | "then"
                                | "else"
                                | "when"
                                | "as"
                                | "from"
                                | "where"
                                | "set"
                                | "type"
                                | "return"
                                | "returns"
                        ));
                let constraint_after = matches!(
                    next(1),
                    "not" | "null" | "default" | "," | ")" | ";" | "primary" | "unique" | "references"
                ) || next(1) == "(" && next(2).parse::<u32>().is_ok();
                if named_before && constraint_after {
                    note(4, "MySQL or SQLite");
                }
            }
            _ => {}
        }
    }
    found.map(|(_, dialect)| dialect)
}

/// Lower-cased identifiers, numbers and single punctuation of a SQL text, outside comments,
/// strings, quoted identifiers and dollar-quoted bodies; a back-quote is kept as a word of its
/// own.
fn code_words(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut words = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = memchr::memmem::find(&bytes[i + 2..], b"*/").map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            b'\'' | b'"' => {
                if c == b'"' {
                    // A quoted identifier: one word, whatever it says.
                    words.push("\"".to_string());
                }
                i = memchr::memchr(c, &bytes[i + 1..]).map_or(bytes.len(), |n| i + 1 + n + 1);
            }
            b'$' => {
                // `$tag$ … $tag$` (a `$1` parameter has no closing `$`).
                let tag_end =
                    bytes[i + 1..].iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).map(|n| i + 1 + n);
                match tag_end {
                    Some(end) if bytes[end] == b'$' && !bytes[i + 1..end].iter().all(u8::is_ascii_digit) => {
                        let tag = &bytes[i..=end];
                        i = memchr::memmem::find(&bytes[end + 1..], tag)
                            .map_or(bytes.len(), |n| end + 1 + n + tag.len());
                    }
                    _ => i += 1,
                }
            }
            b'`' => {
                words.push("`".to_string());
                i += 1;
            }
            _ if c.is_ascii_alphanumeric() || c == b'_' => {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                words.push(text[start..i].to_ascii_lowercase());
            }
            _ if c.is_ascii_whitespace() || !c.is_ascii() => i += 1,
            _ => {
                words.push((c as char).to_string());
                i += 1;
            }
        }
    }
    words
}

/// Whether a file is a down migration by its name: `NNN_name.down.sql` (golang-migrate,
/// node-pg-migrate, sqlx's `.down.sql`) or `down.sql` (diesel's `migrations/<dir>/down.sql`).
pub fn is_down_migration(path: &str) -> bool {
    let name = path.rsplit_once('/').map_or(path, |(_, name)| name).to_ascii_lowercase();
    name == "down.sql" || name.ends_with(".down.sql")
}

/// Where a dbmate file's `-- migrate:down` section starts (everything from there on reverses
/// the file's `-- migrate:up` section), if it has one.
pub fn down_section_start(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("--") {
            if rest.trim_start().to_ascii_lowercase().starts_with("migrate:down") {
                return Some(offset);
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_name_other_databases() {
        assert_eq!(
            dialect_of_path("packages/shared/clickhouse/migrations/clustered/0001_a.up.sql"),
            Some("ClickHouse")
        );
        assert_eq!(dialect_of_path("db/clickhouse/migrations/01_init.sql"), Some("ClickHouse"));
        assert_eq!(dialect_of_path("prisma/mysql/migrations/1_init/migration.sql"), Some("MySQL"));
        assert_eq!(dialect_of_path("drizzle-sqlite/0000_init.sql"), Some("SQLite"));
        assert_eq!(dialect_of_path("supabase/migrations/20240101_a.sql"), None);
        // A file named after a database is not a folder of it; a word that only contains one is not.
        assert_eq!(dialect_of_path("migrations/mysql_import.sql"), None);
        assert_eq!(dialect_of_path("chores/migrations/1.sql"), None);
    }

    #[test]
    fn clauses_name_other_databases_outside_comments_and_strings() {
        assert_eq!(
            dialect_of_text("CREATE TABLE t (id String) ENGINE = ReplacingMergeTree ORDER BY id;"),
            Some("ClickHouse")
        );
        assert_eq!(dialect_of_text("CREATE TABLE `t` (`id` INT NOT NULL);"), Some("MySQL"));
        assert_eq!(dialect_of_text("CREATE TABLE t (id INT AUTO_INCREMENT) ENGINE=InnoDB;"), Some("MySQL"));
        assert_eq!(dialect_of_text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);"), Some("SQLite"));
        assert_eq!(dialect_of_text("PRAGMA foreign_keys=OFF;"), Some("SQLite"));
        // ClickHouse back-quotes names too; its own clauses say which database it is.
        assert_eq!(
            dialect_of_text("CREATE TABLE `m` (`t` LowCardinality(String), `n` Int32) ENGINE = Memory;"),
            Some("ClickHouse")
        );
        assert_eq!(dialect_of_text("CREATE TABLE \"t\" (\"at\" DATETIME NOT NULL);"), Some("MySQL or SQLite"));
        // PostgreSQL that merely mentions those words.
        assert_eq!(dialect_of_text("-- like MySQL's `AUTO_INCREMENT`\nCREATE TABLE t (id serial);"), None);
        assert_eq!(dialect_of_text("UPDATE cars SET engine = 'v8' WHERE note = 'ENGINE = InnoDB';"), None);
        assert_eq!(dialect_of_text("CREATE FUNCTION f() RETURNS text AS $$ select '`' $$ LANGUAGE sql;"), None);
        assert_eq!(dialect_of_text("CREATE TABLE t (engine text, datetime_col timestamptz);"), None);
        // Prose inside a Markdown block writes names in back-quotes.
        let block = "create table t (id int);\n\n- jobs drain `outbox` and set `processed_at`\n";
        assert_eq!(dialect_of_text(block), Some("MySQL"));
        assert_eq!(dialect_of_block(block), None);
        assert_eq!(dialect_of_block("CREATE TABLE e (id String) ENGINE = MergeTree ORDER BY id;"), Some("ClickHouse"));
        assert_eq!(dialect_of_text("SELECT $1::text, \"datetime\" FROM t;"), None);
        assert_eq!(dialect_of_text("SELECT a, datetime FROM t ORDER BY datetime;"), None);
    }

    #[test]
    fn down_migrations_by_name_and_by_section() {
        assert!(is_down_migration("migrations/0004_drop_index.down.sql"));
        assert!(is_down_migration("migrations/2024-01-01-000000_create_users/down.sql"));
        assert!(!is_down_migration("migrations/0004_drop_index.up.sql"));
        assert!(!is_down_migration("migrations/0005_countdown.sql"));
        let text = "-- migrate:up\ncreate table t (id int);\n\n-- migrate:down\ndrop table t;\n";
        assert_eq!(down_section_start(text), text.find("-- migrate:down"));
        assert_eq!(down_section_start("create table t (id int);\n"), None);
    }
}
