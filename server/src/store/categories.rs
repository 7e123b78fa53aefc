//! Categories in the database: the core `Category` kept whole as JSON in `definition`, with the
//! columns a query needs beside it. Seeded from the default taxonomy when the table is empty.
//!
//! [`CategoryCache`] keeps them in memory for intake, which needs its category on every report:
//! a write through this module ([`insert`], [`replace`], [`seed_if_empty`]) empties every cache
//! in the process at once, and a cache reloads at least every [`CACHE_TTL`], which is how an
//! edit made on another node reaches this one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::prelude::*;
use gridline_core::codes::CategoryCode;
use gridline_core::taxonomy::{Category, Taxonomy, TaxonomyError};

use super::schema::categories;
use super::{DbConnection, StoreError, StoreResult};

/// The taxonomy shipped in the binary, parsed once: its major classes and handling units (which
/// are not in the database) and the rules a category edit is checked against.
static SHIPPED: std::sync::LazyLock<Result<Taxonomy, TaxonomyError>> =
    std::sync::LazyLock::new(Taxonomy::default_taxonomy);

/// [`SHIPPED`], or why the embedded file is broken (a build that tests would fail).
pub fn shipped() -> Result<&'static Taxonomy, &'static TaxonomyError> {
    SHIPPED.as_ref()
}

#[derive(Insertable)]
#[diesel(table_name = categories)]
struct NewCategoryRow {
    code: String,
    kind: String,
    name_zh: String,
    name_en: String,
    anonymous_allowed: bool,
    duplicate_radius_m: f64,
    definition: String,
    updated_at: chrono::NaiveDateTime,
}

fn decode(definition: &str) -> StoreResult<Category> {
    serde_json::from_str(definition).map_err(|e| StoreError::Corrupt(format!("category definition: {e}")))
}

fn row_of(category: &Category, now: chrono::NaiveDateTime) -> StoreResult<NewCategoryRow> {
    Ok(NewCategoryRow {
        code: category.code.to_string(),
        kind: category.code.kind().as_str().to_owned(),
        name_zh: category.names.zh.clone(),
        name_en: category.names.en.clone(),
        anonymous_allowed: category.anonymous_allowed,
        duplicate_radius_m: f64::from(category.duplicate_radius_m),
        definition: serde_json::to_string(category)
            .map_err(|e| StoreError::Corrupt(format!("category {}: {e}", category.code)))?,
        updated_at: now,
    })
}

/// Inserts every category of `taxonomy` when no category exists yet. Returns how many were
/// inserted (0 when the table already had some).
pub fn seed_if_empty(conn: &mut DbConnection, taxonomy: &Taxonomy) -> StoreResult<usize> {
    let now = Utc::now().naive_utc();
    let rows = taxonomy.categories().iter().map(|c| row_of(c, now)).collect::<StoreResult<Vec<_>>>()?;
    super::write_transaction(conn, |conn| {
        let existing: i64 = categories::table.count().get_result(conn)?;
        if existing > 0 {
            return Ok(0);
        }
        Ok(crate::batch_insert!(conn, categories::table, &rows)?)
    })
    .inspect(|_| invalidate_caches())
}

/// Adds a category (already validated by the caller). `false` when its code is taken.
pub fn insert(conn: &mut DbConnection, category: &Category) -> StoreResult<bool> {
    let row = row_of(category, Utc::now().naive_utc())?;
    match diesel::insert_into(categories::table).values(&row).execute(conn) {
        Ok(_) => {
            invalidate_caches();
            Ok(true)
        }
        Err(e) if super::is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a stored category by `category` (same code; validated by the caller). `false` when
/// no category has that code.
pub fn replace(conn: &mut DbConnection, category: &Category) -> StoreResult<bool> {
    let row = row_of(category, Utc::now().naive_utc())?;
    let changed = diesel::update(categories::table.find(&row.code))
        .set((
            categories::name_zh.eq(&row.name_zh),
            categories::name_en.eq(&row.name_en),
            categories::anonymous_allowed.eq(row.anonymous_allowed),
            categories::duplicate_radius_m.eq(row.duplicate_radius_m),
            categories::definition.eq(&row.definition),
            categories::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    invalidate_caches();
    Ok(changed == 1)
}

pub fn find(conn: &mut DbConnection, code: CategoryCode) -> StoreResult<Option<Category>> {
    let definition: Option<String> =
        categories::table.select(categories::definition).find(code.to_string()).first(conn).optional()?;
    definition.as_deref().map(decode).transpose()
}

pub fn list(conn: &mut DbConnection) -> StoreResult<Vec<Category>> {
    let definitions: Vec<String> =
        categories::table.select(categories::definition).order(categories::code).load(conn)?;
    definitions.iter().map(|d| decode(d)).collect()
}

/// How long a [`CategoryCache`] trusts what it loaded: the delay before an edit made on another
/// node is seen here.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// Bumped by every category write in this process; a cache loaded under an older value reloads.
static GENERATION: AtomicU64 = AtomicU64::new(0);

fn invalidate_caches() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Every category, loaded at once and kept for [`CACHE_TTL`] or until a write. Cheap to clone
/// (the clones share one cache).
#[derive(Debug, Clone, Default)]
pub struct CategoryCache {
    loaded: Arc<RwLock<Option<Loaded>>>,
}

#[derive(Debug)]
struct Loaded {
    generation: u64,
    at: Instant,
    by_code: HashMap<String, Arc<Category>>,
}

impl CategoryCache {
    /// The category with this code, from memory when the cache is fresh.
    pub fn find(&self, conn: &mut DbConnection, code: CategoryCode) -> StoreResult<Option<Arc<Category>>> {
        let code = code.to_string();
        // Read before loading: a write that lands during the load leaves the cache stale-marked.
        let generation = GENERATION.load(Ordering::Acquire);
        if let Ok(guard) = self.loaded.read()
            && let Some(loaded) = guard.as_ref()
            && loaded.generation == generation
            && loaded.at.elapsed() < CACHE_TTL
        {
            return Ok(loaded.by_code.get(&code).cloned());
        }
        let by_code: HashMap<String, Arc<Category>> =
            list(conn)?.into_iter().map(|c| (c.code.to_string(), Arc::new(c))).collect();
        let found = by_code.get(&code).cloned();
        if let Ok(mut guard) = self.loaded.write() {
            *guard = Some(Loaded { generation, at: Instant::now(), by_code });
        }
        Ok(found)
    }
}
