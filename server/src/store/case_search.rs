//! How the staff case list finds the cases whose text holds a search term, through the bigram
//! index (migrations `case_search_grams`, `case_search_across_words`, `case_search_segments`):
//! SQLite's FTS5 table `case_search_grams`, whose rowid is the search body's integer key and
//! whose tokens are the body's bigrams in hex ([`sqlite_token`]), and PostgreSQL's GIN index
//! over `case_search_grams(body)`. A body is indexed as if its whitespace were taken out, so a
//! phrase's bigrams include the ones that join its words ("seeded manhole": "dm").
//!
//! The answer is always exactly what `body LIKE '%term%'` (ILIKE on PostgreSQL) gives; the
//! index only decides which bodies are worth checking. A search takes one of two ways:
//!
//! - a term whose rarest bigram is in fewer than [`SearchTuning::common_gram`] bodies (a
//!   street name, part of a tracking number, a phrase, a word that matches nothing): its
//!   candidates come from the postings of its rarest bigrams, each checked with the LIKE, and
//!   the list then reads only those cases (`cases.id IN (..)`) with every other filter and the
//!   page cursor;
//! - a common term (a category's word, in one case of thirty), or one with more than
//!   [`SearchTuning::max_candidates`] matches: the list walks the scope's cases newest first,
//!   as it does without a search, and checks each case's bodies by their index, so a page
//!   stops after its fifty matches instead of reading and sorting all of them.
//!
//! Which way is decided by estimates (on SQLite, capped counts among the newest bodies; on
//! PostgreSQL, the index's statistics), so neither way reads more than a bounded number of
//! postings before it knows. What is left slow: a term all of whose bigrams are in more bodies
//! than `common_gram` but which matches few cases of the scope walks the scope's cases (a
//! street's in tens of milliseconds, the city's in seconds); docs/benchmarks.md has figures.

use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};

use super::{DbConnection, StoreResult};

/// The thresholds between the two ways; [`Default`] is what the server uses, tests use small
/// ones to take each way on a handful of cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchTuning {
    /// A bigram with at least this many postings is common: the rarest bigram of the term being
    /// common sends the search to the walk without reading candidates (counted, capped, on
    /// SQLite; estimated from the index's statistics on PostgreSQL).
    pub common_gram: i64,
    /// Most matching bodies a search reads as candidates; beyond it the term is common.
    pub max_candidates: i64,
    /// When the rarest bigram has more postings than this, the search first asks whether the
    /// scope and filters hold fewer cases than that (a street's registered cases): walking
    /// those is then cheaper than reading the postings.
    pub walk_check_above: i64,
    /// On SQLite, the bigrams are counted among this many of the newest bodies only, and the
    /// counts scaled to all of them (PostgreSQL estimates from its statistics instead).
    pub count_window: i64,
}

impl Default for SearchTuning {
    fn default() -> Self {
        // Measured at a million cases (docs/benchmarks.md): reading a candidate costs about as
        // much as checking a case of the walk (a few index probes), some 40 ms for 40,000
        // postings with warm pages; a term with more than 2,000 matches fills a page of fifty
        // within its newest few tens of thousands of cases. A term whose rarest bigram is in
        // one body of twenty is left to the walk, which finds its matches densely. Counting a
        // bigram among the newest 100,000 bodies reads at most 5,000 postings at a million
        // cases (0.3 ms) where counting among all of them read up to 50,000 (2 ms, for each
        // bigram of the term).
        Self { common_gram: 50_000, max_candidates: 2_000, walk_check_above: 2_000, count_window: 100_000 }
    }
}

/// Which cases hold the term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextMatch {
    /// Exactly these cases (ids, no repeats); they may be outside the caller's scope.
    Cases(Vec<String>),
    /// Too many to list: check each case of the walk with [`walk_condition`].
    Walk,
}

/// On SQLite, the bigrams (after the rarest) whose postings a candidate must also hold before
/// the LIKE reads its body: one. FTS5 intersects their lists, stepping through the rarest and
/// seeking in the others; with the b-tree postings before it, at a million cases, a term whose
/// rarest bigram was in 39,000 bodies took 26 ms with one more bigram and 32 ms with three, the
/// first leaving a sixteenth of the candidates.
const SQLITE_GRAMS_PROBED: usize = 1;

/// The FTS5 token of a bigram in SQLite's index (migration `case_search_segments`): the hex of
/// its UTF-8 bytes, lower case, as the trigger writes it with `hex()`, double-quoted so FTS5's
/// query syntax reads it as one string.
fn sqlite_token(gram: &str) -> String {
    let hex: String = gram.bytes().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The token SQLite's index files a body under when it is too long to index (longer than the
/// positions table): every search reads those bodies as candidates.
const SQLITE_TOO_LONG: &str = "\"x\"";

/// On PostgreSQL, how many of the rarest bigrams GIN intersects.
const PG_GRAMS_INTERSECTED: usize = 4;

/// The distinct bigrams of a search text that the index can answer, lower-cased as the index
/// is. The text's words are joined without their whitespace, as the index joins a body's
/// (migration `case_search_across_words`): `search_pattern` collapses the text's whitespace to
/// single spaces, so a body that matches holds the words side by side and the bigram that joins
/// two of them. A bigram is used only when both characters are ASCII (lower-cased the same by
/// Rust, SQLite and PostgreSQL) or have no case at all (Chinese): a cased letter beyond ASCII
/// folds differently in each database, and LIKE on SQLite does not fold it, so it is left to
/// the LIKE.
pub fn query_grams(text: &str) -> Vec<String> {
    let usable = |c: char| {
        c.is_ascii_graphic()
            || (!c.is_ascii() && c.is_alphanumeric() && !c.is_lowercase() && !c.is_uppercase())
    };
    let joined: Vec<char> =
        text.split_whitespace().flat_map(str::chars).map(|c| c.to_ascii_lowercase()).collect();
    let mut grams: Vec<String> = Vec::new();
    for pair in joined.windows(2) {
        if pair.iter().all(|c| usable(*c)) {
            let gram: String = pair.iter().collect();
            if !grams.contains(&gram) {
                grams.push(gram);
            }
        }
    }
    grams
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct GramCount {
    #[diesel(sql_type = Text)]
    gram: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    case_id: String,
}

/// The cases whose text matches `pattern` (a [`super::case_list::search_pattern`]: `%words%`,
/// LIKE's wildcards already taken out of the words), or [`TextMatch::Walk`] when they are too
/// many to list or when `fewer_cases_than(conn, n)` says the walk's scope and filters hold
/// fewer than `n` cases, `n` being the rarest bigram's postings.
pub fn find(
    conn: &mut DbConnection,
    pattern: &str,
    tuning: SearchTuning,
    fewer_cases_than: impl FnOnce(&mut DbConnection, i64) -> StoreResult<bool>,
) -> StoreResult<TextMatch> {
    let grams = query_grams(pattern.trim_matches('%'));
    if grams.is_empty() {
        return Ok(TextMatch::Walk);
    }
    // The rarest bigram's postings, and each bigram's count (capped on SQLite, estimated on
    // PostgreSQL), rarest first.
    let (postings, counted) = match conn {
        DbConnection::Sqlite(c) => {
            // Each bigram is counted among the newest `count_window` bodies and the count
            // scaled to all of them: its share of the newest bodies stands for its share of the
            // whole, as PostgreSQL's statistics do. Body ids grow with time, so the newest are
            // one range of each bigram's postings. Each count is capped just above the smallest
            // so far, so a term of many common bigrams reads few postings of each, and a capped
            // bigram still sorts after the rarest one (tied, it could be taken to drive the
            // candidates). A bigram absent from the newest bodies counts as rare even if old
            // bodies hold it; the candidates then read all its postings, which is slower but
            // answers the same.
            let Count { n: newest } =
                diesel::sql_query("SELECT coalesce(max(id), 0) AS n FROM case_search").get_result(c)?;
            let window = tuning.count_window.max(1);
            let since = (newest - window).max(0);
            let scale = if since == 0 { 1.0 } else { newest as f64 / window as f64 };
            let mut cap = ((tuning.common_gram as f64 / scale).ceil() as i64).max(1);
            let mut counted = Vec::with_capacity(grams.len());
            for gram in &grams {
                let Count { n } = diesel::sql_query(
                    "SELECT count(*) AS n FROM (SELECT 1 FROM case_search_grams \
                     WHERE case_search_grams MATCH ? AND rowid > ? LIMIT ?)",
                )
                .bind::<Text, _>(sqlite_token(gram))
                .bind::<BigInt, _>(since)
                .bind::<BigInt, _>(cap)
                .get_result(c)?;
                cap = cap.min(n + 1);
                counted.push((n, gram.clone()));
            }
            counted.sort();
            let scaled = |n: i64| (n as f64 * scale).round() as i64;
            let counted: Vec<(i64, String)> =
                counted.into_iter().map(|(n, gram)| (scaled(n), gram)).collect();
            (counted[0].0, counted)
        }
        DbConnection::Pg(c) => {
            // Each bigram's count, estimated from the statistics ANALYZE keeps on the GIN
            // index's expression (its most common elements and their share of the bodies):
            // counting in GIN would build the whole bitmap of a common bigram first. A bigram
            // not among the most common is rare (0).
            let mut counted: Vec<(i64, String)> = diesel::sql_query(
                "SELECT q.gram, CAST(coalesce(e.freq, 0) * t.reltuples AS BIGINT) AS n \
                 FROM unnest($1) AS q(gram) \
                 LEFT JOIN (SELECT unnest(most_common_elems::text::text[]) AS gram, \
                 unnest(most_common_elem_freqs) AS freq FROM pg_stats \
                 WHERE schemaname = current_schema() AND tablename = 'case_search_grams') AS e \
                 ON e.gram = q.gram \
                 CROSS JOIN (SELECT greatest(reltuples, 0) AS reltuples FROM pg_class \
                 WHERE oid = to_regclass('case_search')) AS t",
            )
            .bind::<Array<Text>, _>(&grams)
            .load::<GramCount>(c)?
            .into_iter()
            .map(|g| (g.n, g.gram))
            .collect();
            counted.sort();
            (counted.first().map_or(0, |(n, _)| *n), counted)
        }
    };
    if postings >= tuning.common_gram {
        return Ok(TextMatch::Walk);
    }
    // A term of one bigram (井盖, 路灯) matches about as many bodies as the bigram has
    // postings: with more than a page of candidates, reading them first is wasted.
    if grams.len() == 1 && postings > tuning.max_candidates {
        return Ok(TextMatch::Walk);
    }
    if postings > tuning.walk_check_above && fewer_cases_than(conn, postings)? {
        return Ok(TextMatch::Walk);
    }
    let hits: Vec<Hit> = match conn {
        DbConnection::Sqlite(c) => {
            let more = counted.len().saturating_sub(1).min(SQLITE_GRAMS_PROBED);
            let rarest: Vec<String> = counted[..=more].iter().map(|(_, gram)| sqlite_token(gram)).collect();
            let matching = format!("({}) OR {SQLITE_TOO_LONG}", rarest.join(" AND "));
            diesel::sql_query(
                "SELECT s.case_id FROM case_search s WHERE s.id IN \
                 (SELECT rowid FROM case_search_grams WHERE case_search_grams MATCH ?) \
                 AND s.body LIKE ? LIMIT ?",
            )
            .bind::<Text, _>(matching)
            .bind::<Text, _>(pattern)
            .bind::<BigInt, _>(tuning.max_candidates + 1)
            .load(c)?
        }
        DbConnection::Pg(c) => {
            // The rarest bigrams only: GIN intersects their posting lists, and a list of a
            // bigram in every body costs more to read than the candidates it removes.
            let rarest: Vec<String> =
                counted.into_iter().take(PG_GRAMS_INTERSECTED).map(|(_, gram)| gram).collect();
            diesel::sql_query(
                "SELECT case_id FROM case_search WHERE case_search_grams(body) @> $1 AND body ILIKE $2 LIMIT $3",
            )
            .bind::<Array<Text>, _>(rarest)
            .bind::<Text, _>(pattern)
            .bind::<BigInt, _>(tuning.max_candidates + 1)
            .load(c)?
        }
    };
    if hits.len() as i64 > tuning.max_candidates {
        return Ok(TextMatch::Walk);
    }
    let mut ids: Vec<String> = hits.into_iter().map(|h| h.case_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(TextMatch::Cases(ids))
}

/// The SQL condition, on a row of `cases`, that one of the case's bodies matches the pattern
/// bound between its two halves. A scalar subquery with LIMIT, not EXISTS: neither database
/// turns it into a join over every body, so it is one index probe per case of the walk.
pub fn walk_condition(conn: &DbConnection) -> (&'static str, &'static str) {
    let before = match conn {
        DbConnection::Pg(_) => {
            "(SELECT s.case_id FROM case_search s WHERE s.case_id = cases.id AND s.body ILIKE "
        }
        DbConnection::Sqlite(_) => {
            "(SELECT s.case_id FROM case_search s WHERE s.case_id = cases.id AND s.body LIKE "
        }
    };
    (before, " LIMIT 1) IS NOT NULL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_are_taken_within_words_lower_cased_and_only_where_every_database_folds_alike() {
        assert_eq!(query_grams("井盖"), vec!["井盖"]);
        assert_eq!(
            query_grams("Burst  PIPE"),
            vec!["bu", "ur", "rs", "st", "tp", "pi", "ip", "pe"],
            "the bigram across the space too"
        );
        assert_eq!(query_grams("路灯 LED"), vec!["路灯", "灯l", "le", "ed"]);
        assert_eq!(query_grams("a b"), vec!["ab"], "two words of one character");
        assert_eq!(query_grams("a"), Vec::<String>::new(), "one character");
        assert_eq!(
            query_grams("Éclat"),
            vec!["cl", "la", "at"],
            "a cased letter beyond ASCII is left to LIKE"
        );
        assert_eq!(query_grams("gl-2612"), vec!["gl", "l-", "-2", "26", "61", "12"]);
        assert_eq!(query_grams("井盖：破损"), vec!["井盖", "破损"], "punctuation beyond ASCII is left out");
        assert_eq!(query_grams("井盖 破损"), vec!["井盖", "盖破", "破损"]);
        assert_eq!(query_grams("aaaa"), vec!["aa"]);
    }

    #[test]
    fn a_bigram_is_one_quoted_token_of_its_bytes_in_hex_as_sqlite_writes_it() {
        assert_eq!(sqlite_token("pi"), "\"7069\"");
        assert_eq!(sqlite_token("井盖"), "\"e4ba95e79b96\"");
        assert_eq!(sqlite_token("l-"), "\"6c2d\"");
        assert_eq!(sqlite_token("\"x"), "\"2278\"", "a quote is a byte like any other");
    }
}
