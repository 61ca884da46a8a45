//! The import engine, one chunk of rows at a time, for every kind of record
//! a file can bring — contacts and leads (the records context), property
//! units (the inventory context). The spec: "basic CSV import with
//! validation"; 10 000 rows, no timeouts, no partial duplicates on retry.
//! A kind says what is its own through [`ImportRow`] (its context, `Ctx`,
//! is what its reads need); the engine does the rest, the same for all:
//!
//! * a row parses as the API's own body would ([`parse_row`]); the rows
//!   that do not are row errors, and so are rows naming records that are
//!   not the tenant's;
//! * within the chunk, the first row keeps an identity (an address, an
//!   email, a unit code in its building) and a unique custom value; a later
//!   one is a duplicate or a row error;
//! * one read answers "did an earlier attempt import this row?" — every
//!   imported row leaves a marker `UNIQUE#IMPORTROW#{job}#{row}` in its
//!   record's own transaction — and the kind's read answers "does another
//!   record hold this identity?" (a duplicate, reported with its holder);
//! * the rest are built (owners assigned, scores) and written several per
//!   transaction, their places in the plan's limit included, with what the
//!   bundle's records share written once ([`ImportRow::shared`]: a parent's
//!   tally); a refused transaction (a race with another writer) is retried
//!   row by row, each with its own verdict. A worker that dies mid-chunk is
//!   retried from the job's last checkpoint: rows it had written find their
//!   marker and count as created, exactly once. A dry run writes nothing:
//!   the preview.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use crm_kernel::{AppError, EntityId, FieldError};
use crm_records::custom_fields::{self, Definition};
use crm_store::{item, keys, usage, Key, Store, StoreError, Tx};
use serde_json::{json, Map, Value};

use crate::job::{Counts, Duplicate, Job, RowError};

/// Rows judged together (one read of their markers).
pub const CHUNK: usize = 100;
/// Items per write transaction (DynamoDB allows 100).
const MAX_ITEMS: usize = 90;

/// What one chunk came to.
#[derive(Debug, Default)]
pub struct ChunkOutcome {
    pub counts: Counts,
    pub errors: Vec<RowError>,
    pub duplicates: Vec<Duplicate>,
}

impl ChunkOutcome {
    /// Counts `row` as failed, for `errors` (fields joined, messages `field: message`).
    pub fn reject(&mut self, row: u32, errors: &[crm_kernel::FieldError]) {
        self.counts.failed += 1;
        let field = errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>().join(",");
        let message = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        self.errors.push(RowError { row, field, message });
    }
}

/// Whole records' writes bundled under the transaction item limit, room
/// left in each bundle for its one quota update and for `shared` items per
/// record; each bundle with the records it holds, for writing them one by
/// one if it is refused.
pub fn bundles<T>(built: Vec<(T, Tx)>, shared: usize) -> Vec<(Vec<T>, Tx)> {
    let mut out: Vec<(Vec<T>, Tx)> = Vec::new();
    for (record, tx) in built {
        match out.last_mut() {
            Some((records, bundle)) if bundle.len() + tx.len() + shared * (records.len() + 1) < MAX_ITEMS => {
                records.push(record);
                *bundle = std::mem::take(bundle).merge(tx);
            }
            _ => out.push((vec![record], tx)),
        }
    }
    out
}

/// The marker an imported row leaves in its record's transaction (any import: contacts, leads, units).
pub fn row_marker(job: &Job, row: u32) -> Key {
    keys::unique(job.tenant_id, "IMPORTROW", &format!("{}#{row}", job.id))
}

/// What a kind of record brings to the engine.
pub trait ImportRow {
    /// What the kind's reads and writes need (its context's app).
    type Ctx: Sync;
    /// A parsed row: what the entity's `POST` takes.
    type Fields: Clone + Send + Sync;
    /// What a row becomes, ready to write.
    type Record: Send + Sync;
    /// The file's columns besides `custom.{code}`.
    const COLUMNS: &'static [&'static str];
    /// The columns a file must have.
    const REQUIRED: &'static [&'static str];
    /// The entity of its custom fields and unique values (`contact`, `lead`, `unit`).
    const ENTITY: &'static str;
    /// The plan limit a record takes a place in, and its usage counter.
    const LIMIT: &'static str;
    const COUNTER: &'static str;

    /// A row's cells (empty ones left out) as the API's parser reads a body.
    fn parse(body: &Value) -> Result<Self::Fields, AppError>;
    /// `f` with its custom values (already checked against the definitions).
    fn with_custom(f: Self::Fields, values: custom_fields::Values) -> Self::Fields;
    fn custom(f: &Self::Fields) -> &custom_fields::Values;
    /// A parsed row as the job's creator imports it (a default owner, say).
    fn prepare(_job: &Job, f: Self::Fields) -> Self::Fields {
        f
    }
    /// What no two rows may share: `(reason, value)` (an email, a phone).
    fn identities(f: &Self::Fields) -> Vec<(&'static str, String)>;
    /// The rows naming records that are not the tenant's, with the problem.
    fn check_references(
        ctx: &Self::Ctx,
        job: &Job,
        rows: &[(u32, Self::Fields)],
    ) -> impl Future<Output = Result<Vec<(u32, FieldError)>, AppError>> + Send;
    /// For rows whose identity another record holds: the duplicate to report.
    fn holders(
        ctx: &Self::Ctx,
        job: &Job,
        rows: &[(u32, Self::Fields)],
    ) -> impl Future<Output = Result<HashMap<u32, Duplicate>, AppError>> + Send;
    /// The records the rows become; what the report should say of them goes to `out`.
    fn build(
        ctx: &Self::Ctx,
        job: &Job,
        rows: Vec<(u32, Self::Fields)>,
        out: &mut ChunkOutcome,
    ) -> impl Future<Output = Result<Vec<(u32, Self::Record)>, AppError>> + Send;
    /// The record's id and the marker attribute that names it (`contact_id`).
    fn id(r: &Self::Record) -> (&'static str, EntityId);
    /// The record's items after its row marker: the record, its markers, unique values, search terms.
    fn items(job: &Job, defs: &[Definition], r: &Self::Record, tx: Tx) -> Result<Tx, AppError>;
    /// At most how many items [`ImportRow::shared`] adds per record of a bundle.
    const SHARED_PER_RECORD: usize = 0;
    /// What the records of one transaction share, written once (a parent's
    /// tally of its children, a check that the parent is still there).
    fn shared(_job: &Job, _records: &[&Self::Record], tx: Tx) -> Tx {
        tx
    }
    /// The verdict on a row refused for a label the engine does not know
    /// (an address another record took meanwhile).
    fn refused(
        ctx: &Self::Ctx,
        job: &Job,
        row: u32,
        record: &Self::Record,
        label: &str,
    ) -> impl Future<Output = Result<Verdict, AppError>> + Send;
}

/// What became of a row written on its own.
pub enum Verdict {
    Duplicate(Duplicate),
    Error(RowError),
}

/// One data row as `R`'s fields, or its problems (empty cells are absent;
/// a `custom.{code}` cell typed by its definition and checked like the API's).
pub fn parse_row<R: ImportRow>(columns: &[String], defs: &[Definition], record: &csv::StringRecord) -> Result<R::Fields, Vec<FieldError>> {
    let (mut body, mut custom) = (Map::new(), custom_fields::Values::new());
    for (c, v) in columns.iter().zip(record.iter()) {
        let v = crm_kernel::spreadsheet::restore(v.trim());
        if v.is_empty() {
            continue;
        }
        match c.strip_prefix(crate::csv_file::CUSTOM).and_then(|code| defs.iter().find(|d| d.code == code)) {
            Some(d) => {
                custom.insert(d.code.clone(), d.from_cell(v));
            }
            None => {
                body.insert(c.clone(), Value::String(v.to_string()));
            }
        }
    }
    let fields = R::parse(&Value::Object(body)).map_err(|e| e.details().to_vec());
    let values = custom_fields::check(defs, &Default::default(), &custom).map_err(|e| e.details().to_vec());
    match (fields, values) {
        (Ok(f), Ok(v)) => Ok(R::with_custom(f, v)),
        (f, v) => Err(f.err().into_iter().chain(v.err()).flatten().collect()),
    }
}

/// The normalised header of an `R` file, or `400` naming every unknown or missing column.
pub fn header<R: ImportRow>(record: &csv::StringRecord, defs: &[Definition]) -> Result<Vec<String>, AppError> {
    crate::csv_file::header_of(record, defs, R::COLUMNS, R::REQUIRED)
}

/// A chunk's rows, each parsed or with its problems.
pub type Parsed<F> = Vec<(u32, Result<F, Vec<FieldError>>)>;

/// Judges and (unless a dry run) writes one chunk of parsed rows.
pub async fn chunk<R: ImportRow>(
    store: &Store,
    ctx: &R::Ctx,
    job: &Job,
    defs: &[Definition],
    rows: Parsed<R::Fields>,
) -> Result<ChunkOutcome, AppError> {
    let mut out = ChunkOutcome::default();
    out.counts.processed = rows.len() as u32;
    let mut valid = Vec::new();
    for (row, parsed) in rows {
        match parsed {
            Ok(f) => valid.push((row, R::prepare(job, f))),
            Err(errors) => out.reject(row, &errors),
        }
    }
    let strangers: HashMap<u32, FieldError> = R::check_references(ctx, job, &valid).await?.into_iter().collect();
    valid.retain(|(row, _)| match strangers.get(row) {
        Some(e) => {
            out.reject(*row, std::slice::from_ref(e));
            false
        }
        None => true,
    });
    let candidates = first_of_each::<R>(valid, defs, &mut out);
    // One read for the row markers; the kind's read for the holders.
    let markers = store.get_many(&candidates.iter().map(|(row, _)| row_marker(job, *row)).collect::<Vec<_>>()).await?;
    let mut fresh = Vec::new();
    for ((row, f), marker) in candidates.into_iter().zip(markers) {
        if marker.is_some() {
            out.counts.created += 1;
        } else {
            fresh.push((row, f));
        }
    }
    let mut held = R::holders(ctx, job, &fresh).await?;
    let mut to_build = Vec::new();
    for (row, f) in fresh {
        match held.remove(&row) {
            Some(d) => {
                out.counts.duplicates += 1;
                out.duplicates.push(d);
            }
            None => to_build.push((row, f)),
        }
    }
    let records = R::build(ctx, job, to_build, &mut out).await?;
    if job.dry_run {
        out.counts.created += records.len() as u32;
    } else {
        write::<R>(store, ctx, job, defs, records, &mut out).await?;
    }
    out.errors.sort_by_key(|e| e.row);
    out.duplicates.sort_by_key(|d| d.row);
    Ok(out)
}

/// The rows that are first in the chunk to hold their identities and unique
/// custom values; the later ones are duplicates or row errors.
fn first_of_each<R: ImportRow>(valid: Vec<(u32, R::Fields)>, defs: &[Definition], out: &mut ChunkOutcome) -> Vec<(u32, R::Fields)> {
    let mut seen: HashSet<(&'static str, String)> = HashSet::new();
    let mut unique_seen: HashSet<Key> = HashSet::new();
    let mut kept = Vec::new();
    for (row, f) in valid {
        let unique: Vec<(String, Key)> =
            defs.iter().filter(|d| d.unique).filter_map(|d| R::custom(&f).get(&d.code).map(|v| (d.code.clone(), d.value_key(v)))).collect();
        if let Some((code, _)) = unique.iter().find(|(_, k)| unique_seen.contains(k)) {
            out.counts.failed += 1;
            out.errors.push(RowError {
                row,
                field: format!("custom_fields.{code}"),
                message: format!("custom_fields.{code}: an earlier row of the file has this value"),
            });
            continue;
        }
        let ids = R::identities(&f);
        match ids.iter().find(|id| seen.contains(*id)) {
            Some((reason, value)) => {
                out.counts.duplicates += 1;
                out.duplicates.push(Duplicate::earlier_row(row, reason, value));
            }
            None => {
                seen.extend(ids);
                unique_seen.extend(unique.into_iter().map(|(_, k)| k));
                kept.push((row, f));
            }
        }
    }
    kept
}

/// The items of one imported record: its row marker first (so a retry's
/// refusal names it), then the kind's own.
fn record_tx<R: ImportRow>(job: &Job, defs: &[Definition], row: u32, r: &R::Record) -> Result<Tx, AppError> {
    let (attr, id) = R::id(r);
    let marker = item::to_item(&row_marker(job, row), &json!({ attr: id, "job_id": job.id }))?;
    R::items(job, defs, r, Tx::new().put_new("import_row", marker))
}

async fn write<R: ImportRow>(
    store: &Store,
    ctx: &R::Ctx,
    job: &Job,
    defs: &[Definition],
    records: Vec<(u32, R::Record)>,
    out: &mut ChunkOutcome,
) -> Result<(), AppError> {
    let max = job.limit.unwrap_or(0);
    let mut built = Vec::new();
    for (row, r) in records {
        let tx = record_tx::<R>(job, defs, row, &r)?;
        built.push(((row, r), tx));
    }
    for (singles, tx) in bundles(built, R::SHARED_PER_RECORD) {
        let n = singles.len() as i64;
        let tx = R::shared(job, &singles.iter().map(|(_, r)| r).collect::<Vec<_>>(), tx);
        match store.transact(usage::take_n(tx, R::LIMIT, job.tenant_id, R::COUNTER, n, max)).await {
            Ok(()) => out.counts.created += n as u32,
            Err(StoreError::ConditionFailed { .. }) => {
                for (row, r) in singles {
                    one::<R>(store, ctx, job, defs, row, &r, max, out).await?;
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// One row on its own, with its own verdict.
#[allow(clippy::too_many_arguments)]
async fn one<R: ImportRow>(
    store: &Store,
    ctx: &R::Ctx,
    job: &Job,
    defs: &[Definition],
    row: u32,
    r: &R::Record,
    max: i64,
    out: &mut ChunkOutcome,
) -> Result<(), AppError> {
    let tx = R::shared(job, &[r], record_tx::<R>(job, defs, row, r)?);
    let tx = usage::take(tx, R::LIMIT, job.tenant_id, R::COUNTER, max);
    let label = match store.transact(tx).await {
        Ok(()) => {
            out.counts.created += 1;
            return Ok(());
        }
        Err(StoreError::ConditionFailed { label }) => label,
        Err(e) => return Err(e.into()),
    };
    if label == "import_row" {
        out.counts.created += 1;
    } else if label == R::LIMIT {
        out.counts.failed += 1;
        out.errors.push(RowError { row, field: R::LIMIT.into(), message: format!("the plan's {} ({max}) is reached", R::LIMIT) });
    } else if let Some(code) = label.strip_prefix("custom_unique:") {
        out.counts.failed += 1;
        out.errors.push(RowError {
            row,
            field: format!("custom_fields.{code}"),
            message: format!("custom_fields.{code}: another record has this value"),
        });
    } else {
        match R::refused(ctx, job, row, r, &label).await? {
            Verdict::Duplicate(d) => {
                out.counts.duplicates += 1;
                out.duplicates.push(d);
            }
            Verdict::Error(e) => {
                out.counts.failed += 1;
                out.errors.push(e);
            }
        }
    }
    Ok(())
}
