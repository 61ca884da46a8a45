//! A background job (`GET /v1/jobs/{id}`): an import or an export of
//! contacts, leads or units, or an import of map shapes from a GeoJSON file. A job is one item that its worker checkpoints
//! after every chunk of rows, under its version: progress is visible while
//! it runs, and a worker that dies resumes from the last checkpoint on the
//! queue's next delivery. Each kind belongs to one context, whose worker
//! runs it ([`JobKind::context`]); the job record and its routes are the same
//! for all.

use crm_auth::{rbac, Permission};
use crm_kernel::{EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const JOB: &str = "JOB";
/// Row errors and duplicates kept on the job (the rest are counted).
pub const MAX_REPORTED: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    ContactsImport,
    ContactsExport,
    LeadsImport,
    UnitsImport,
    UnitsExport,
    /// Map shapes from a GeoJSON file (`POST /v1/maps/shapes/import/file`):
    /// its rows are the file's features.
    MapShapesImport,
}

/// What the jobs routes take: one of the kinds' read permissions (the
/// job's own kind's is then checked on the job).
pub const READ_ANY: &[Permission] = &[rbac::CONTACT_READ, rbac::LEAD_READ, rbac::UNIT_READ, rbac::OVERLAY_READ];
/// What `POST /v1/jobs/{id}/start` takes: one of the imports' permissions.
pub const START_ANY: &[Permission] = &[rbac::CONTACT_CREATE, rbac::LEAD_IMPORT, rbac::UNIT_UPDATE, rbac::SHAPE_MANAGE];

/// What a kind's import file is: its names, its type (the upload form
/// pins it) and its size limit (the form and `POST /v1/jobs/{id}/start` hold to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    /// What the file's name may end with.
    pub extensions: &'static [&'static str],
    pub content_type: &'static str,
    pub max_bytes: i64,
}

/// A CSV of at most [`crate::csv_file::MAX_BYTES`].
pub const CSV_FILE: FileKind = FileKind { extensions: &[".csv"], content_type: "text/csv", max_bytes: crate::csv_file::MAX_BYTES };

/// A GeoJSON FeatureCollection (RFC 7946's `application/geo+json`): read
/// whole, so smaller than a CSV, which is streamed.
pub const GEOJSON_FILE: FileKind =
    FileKind { extensions: &[".geojson", ".json"], content_type: "application/geo+json", max_bytes: 10 * 1024 * 1024 };

impl JobKind {
    /// The record kind the job writes or reads (its custom-field entity).
    pub fn entity(self) -> &'static str {
        match self {
            JobKind::ContactsImport | JobKind::ContactsExport => "contact",
            JobKind::LeadsImport => "lead",
            JobKind::UnitsImport | JobKind::UnitsExport => "unit",
            JobKind::MapShapesImport => "map_shape",
        }
    }

    /// The context whose worker runs the job (`records`, `inventory`, `maps`): its
    /// queue's rule picks the kinds it owns from `job.queued` and `job.continue`.
    pub fn context(self) -> &'static str {
        match self {
            JobKind::ContactsImport | JobKind::ContactsExport | JobKind::LeadsImport => "records",
            JobKind::UnitsImport | JobKind::UnitsExport => "inventory",
            JobKind::MapShapesImport => "maps",
        }
    }

    pub fn is_export(self) -> bool {
        matches!(self, JobKind::ContactsExport | JobKind::UnitsExport)
    }

    /// The plan limit an import's records take places in.
    pub fn limit(self) -> Option<&'static str> {
        match self {
            JobKind::ContactsImport => Some("contacts.max"),
            JobKind::LeadsImport => Some("leads.max"),
            JobKind::UnitsImport => Some("units.max"),
            JobKind::MapShapesImport => Some("maps.shapes.max"),
            JobKind::ContactsExport | JobKind::UnitsExport => None,
        }
    }

    /// What following a job of the kind takes (`GET /v1/jobs/{id}`).
    pub fn read_permission(self) -> Permission {
        match self {
            JobKind::ContactsImport | JobKind::ContactsExport => rbac::CONTACT_READ,
            JobKind::LeadsImport => rbac::LEAD_READ,
            JobKind::UnitsImport | JobKind::UnitsExport => rbac::UNIT_READ,
            JobKind::MapShapesImport => rbac::OVERLAY_READ,
        }
    }

    /// What starting a job of the kind takes (its route's permission, and
    /// `POST /v1/jobs/{id}/start`'s).
    pub fn start_permission(self) -> Permission {
        match self {
            JobKind::ContactsImport => rbac::CONTACT_CREATE,
            JobKind::LeadsImport => rbac::LEAD_IMPORT,
            JobKind::UnitsImport => rbac::UNIT_UPDATE,
            JobKind::MapShapesImport => rbac::SHAPE_MANAGE,
            JobKind::ContactsExport | JobKind::UnitsExport => self.read_permission(),
        }
    }

    /// What an import of the kind reads.
    pub fn file(self) -> FileKind {
        match self {
            JobKind::MapShapesImport => GEOJSON_FILE,
            _ => CSV_FILE,
        }
    }

    /// The plan feature `custom.{code}` columns of the kind's file need (its entity's).
    pub fn custom_fields_feature(self) -> &'static str {
        crm_records::write::custom_fields_feature(self.entity())
    }

    /// The event a completed job emits (audited).
    pub fn completed(self) -> crm_events::EventType {
        use crm_events::types;
        match self {
            JobKind::ContactsImport => types::CONTACTS_IMPORTED,
            JobKind::ContactsExport => types::CONTACTS_EXPORTED,
            JobKind::LeadsImport => types::LEADS_IMPORTED,
            JobKind::UnitsImport => types::UNITS_IMPORTED,
            JobKind::UnitsExport => types::UNITS_EXPORTED,
            JobKind::MapShapesImport => types::MAP_SHAPES_IMPORTED,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    AwaitingUpload,
    Queued,
    Running,
    Completed,
    Failed,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RowError {
    pub row: u32,
    pub field: String,
    pub message: String,
}

/// A row that matches an existing record (a contact's email or phone, a
/// lead's email, a unit's code in its building), or an earlier row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Duplicate {
    pub row: u32,
    pub reason: String,
    pub value: String,
    /// The contact holding the address (`None`: an earlier row of the same file).
    pub contact_id: Option<String>,
    /// Leads import: the earlier lead with this email (the row is skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    /// Leads import: the row was imported all the same (a lead may match a
    /// contact; the lead keeps the match in its `duplicates`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
    /// Units import: the unit of the building holding the code (the row is skipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
}

impl Duplicate {
    /// A row holding what an earlier row of the file holds.
    pub fn earlier_row(row: u32, reason: &str, value: &str) -> Self {
        Self { row, reason: reason.into(), value: value.into(), contact_id: None, lead_id: None, imported: false, unit_id: None }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Counts {
    /// Data rows read so far.
    pub processed: u32,
    pub created: u32,
    pub duplicates: u32,
    pub failed: u32,
    /// Rows exported.
    pub exported: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: EntityId,
    pub tenant_id: TenantId,
    /// `contacts_import`, `units_export`… (the item's `kind` attribute is `job`).
    #[serde(rename = "type")]
    pub kind: JobKind,
    pub status: JobStatus,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The file in the bucket (`transfers/{tenant}/{job}/…`).
    pub object_key: String,
    /// The version of the upload the job was started with: the worker reads
    /// exactly that file, whatever is uploaded over it later.
    #[serde(default)]
    pub object_version: Option<String>,
    /// Import: check and preview only, write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Export: the list filter (contacts: `owner`, `company`, `lifecycle`,
    /// `segment`; units: the `GET /v1/units` parameters). A map shapes
    /// import: where the shapes go (`overlay_id`, `layer_id`, `change_note`).
    #[serde(default)]
    pub filter: Value,
    /// Import: whether the creator's plan had the kind's custom fields
    /// (`contacts.customFields`) when the job was created (`custom.{code}` columns need it).
    #[serde(default)]
    pub custom_fields_allowed: bool,
    /// The plan's limit on the records an import creates (`contacts.max`,
    /// `leads.max`, `units.max`), as the job's creator's entitlements stood at its start.
    #[serde(default, rename = "contacts_max")]
    pub limit: Option<i64>,
    /// Leads import: whether the creator's plan had `leads.scoring` (rows are scored).
    #[serde(default)]
    pub leads_scoring: bool,
    /// Export: what its creator sees (roles and team scope, ADR 0013), so
    /// the file holds exactly the rows their list shows.
    #[serde(default)]
    pub viewer_roles: Vec<String>,
    #[serde(default)]
    pub viewer_scope: crm_auth::visibility::Scope,
    /// Export: the creator's permissions, so the file leaves out the fields
    /// they may not read (`crm_auth::sensitive`) as their list does.
    #[serde(default)]
    pub viewer_permissions: std::collections::BTreeSet<String>,
    /// What its creator's plan held when the job was made, held to the
    /// starter's at its start ([`Job::narrow_to`]) (a map shapes import:
    /// `maps.enabled`, `maps.componentShapes`, `maps.shapes.max`); `None` on
    /// jobs made before it was kept.
    #[serde(default)]
    pub viewer_entitlements: Option<Granted>,
    /// Export: the written file's name for the download.
    #[serde(default)]
    pub download_name: Option<String>,
    /// The next data row to read (1 = the first after the header).
    #[serde(default)]
    pub next_row: u32,
    #[serde(default)]
    pub total_rows: Option<u32>,
    #[serde(default)]
    pub counts: Counts,
    #[serde(default)]
    pub errors: Vec<RowError>,
    #[serde(default)]
    pub duplicates: Vec<Duplicate>,
    /// Deliveries that started work (a crash and its retry are two).
    #[serde(default)]
    pub attempts: u32,
    #[serde(default)]
    pub failure: Option<String>,
    #[serde(default)]
    pub finished_at: Option<Timestamp>,
    pub version: u64,
}

impl Job {
    pub fn new(kind: JobKind, tenant_id: TenantId, by: UserId, file: &str, now: Timestamp) -> Self {
        let id = EntityId::new();
        Self {
            id,
            tenant_id,
            kind,
            status: JobStatus::AwaitingUpload,
            created_by: by,
            created_at: now,
            updated_at: now,
            object_key: format!("transfers/{tenant_id}/{id}/{file}"),
            object_version: None,
            dry_run: false,
            filter: Value::Null,
            limit: None,
            leads_scoring: false,
            custom_fields_allowed: false,
            viewer_roles: Vec::new(),
            viewer_scope: Default::default(),
            viewer_permissions: Default::default(),
            viewer_entitlements: None,
            download_name: None,
            next_row: 1,
            total_rows: None,
            counts: Counts::default(),
            errors: Vec::new(),
            duplicates: Vec::new(),
            attempts: 0,
            failure: None,
            finished_at: None,
            version: 1,
        }
    }

    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, JOB, id)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let sort = format!("{}#{}", self.created_at, self.id);
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "job").with_index(
            Index::ByOwner,
            keys::by_owner_pk(self.tenant_id, JOB, &self.created_by.to_string()),
            sort,
        ))
    }

    /// Keeps what `p`, the job's creator, holds now: their roles, team
    /// scope, permissions and plan, which [`Job::viewer`] gives back.
    pub fn started_by(&mut self, p: &crm_auth::Principal) {
        (self.viewer_roles, self.viewer_scope, self.viewer_permissions) = (p.roles.clone(), p.scope.clone(), p.permissions.clone());
        self.viewer_entitlements = Some(Granted::of(&p.entitlements));
    }

    /// Holds the job to what `p`, who starts it (`POST /v1/jobs/{id}/start`),
    /// holds now as well: the plan's limits and features kept are the lesser
    /// of both, so a plan downgraded between the upload form and the start is
    /// the one the job works within.
    pub fn narrow_to(&mut self, p: &crm_auth::Principal) {
        let e = &p.entitlements;
        self.limit = self.kind.limit().map(|l| self.limit.map_or(e.limit(l), |kept| kept.min(e.limit(l))));
        self.leads_scoring &= e.has("leads.scoring");
        self.custom_fields_allowed &= e.has(self.kind.custom_fields_feature());
        if let Some(g) = &mut self.viewer_entitlements {
            g.features.retain(|f| e.has(f));
            for (key, kept) in g.limits.iter_mut() {
                *kept = (*kept).min(e.limit(key));
            }
        }
    }

    /// The job's creator as they stood when it started ([`Job::started_by`]):
    /// an export's reader, so the file holds exactly what their list shows;
    /// a map shapes import's writer, within their plan.
    pub fn viewer(&self) -> crm_auth::Principal {
        let mut p =
            crm_auth::Principal::with_roles(self.tenant_id, self.created_by, self.viewer_roles.clone(), crm_auth::AuthMethod::AccessToken);
        p.scope = self.viewer_scope.clone();
        if !self.viewer_permissions.is_empty() {
            p.permissions = self.viewer_permissions.clone();
        }
        if let Some(g) = &self.viewer_entitlements {
            p.entitlements = g.entitlements();
        }
        p
    }

    /// Keeps the first [`MAX_REPORTED`] row errors and duplicates.
    pub fn report(&mut self, errors: Vec<RowError>, duplicates: Vec<Duplicate>) {
        let room = MAX_REPORTED.saturating_sub(self.errors.len());
        self.errors.extend(errors.into_iter().take(room));
        let room = MAX_REPORTED.saturating_sub(self.duplicates.len());
        self.duplicates.extend(duplicates.into_iter().take(room));
    }
}

/// A plan's features and limits as a job keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Granted {
    pub plan: String,
    pub features: Vec<String>,
    pub limits: std::collections::BTreeMap<String, i64>,
}

impl Granted {
    pub fn of(e: &crm_auth::entitlements::Entitlements) -> Self {
        Self {
            plan: e.plan.clone(),
            features: e.features.iter().map(|f| f.to_string()).collect(),
            limits: e.limits.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    pub fn entitlements(&self) -> crm_auth::entitlements::Entitlements {
        let features: Vec<&str> = self.features.iter().map(String::as_str).collect();
        let limits: Vec<(&str, i64)> = self.limits.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        crm_auth::entitlements::Entitlements::from_parts(&self.plan, &features, &limits)
    }
}

/// A job as its API shows it: without the worker's internal fields
/// (the object key, the plan's limits, the viewer's scope).
pub fn public(job: &Job) -> JobView {
    JobView {
        id: job.id,
        tenant_id: job.tenant_id,
        kind: job.kind,
        status: job.status,
        created_by: job.created_by,
        created_at: job.created_at,
        updated_at: job.updated_at,
        object_version: job.object_version.clone(),
        dry_run: job.dry_run,
        filter: job.filter.clone(),
        leads_scoring: job.leads_scoring,
        download_name: job.download_name.clone(),
        next_row: job.next_row,
        total_rows: job.total_rows,
        counts: job.counts.clone(),
        errors: job.errors.clone(),
        duplicates: job.duplicates.clone(),
        attempts: job.attempts,
        failure: job.failure.clone(),
        finished_at: job.finished_at,
        version: job.version,
        download: None,
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct JobView {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(rename = "type")]
    pub kind: JobKind,
    pub status: JobStatus,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub object_version: Option<String>,
    pub dry_run: bool,
    /// Export: the list filter.
    pub filter: Value,
    pub leads_scoring: bool,
    pub download_name: Option<String>,
    pub next_row: u32,
    pub total_rows: Option<u32>,
    pub counts: Counts,
    pub errors: Vec<RowError>,
    pub duplicates: Vec<Duplicate>,
    pub attempts: u32,
    pub failure: Option<String>,
    pub finished_at: Option<Timestamp>,
    pub version: u64,
    /// A completed export's file (`GET /v1/jobs/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<Download>,
}

/// A presigned download.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Download {
    pub url: String,
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_keeps_its_creators_plan_and_gives_it_back() {
        let mut p =
            crm_auth::Principal::with_roles(TenantId::new(), UserId::new(), vec!["manager".into()], crm_auth::AuthMethod::AccessToken);
        p.entitlements = crm_auth::entitlements::Entitlements::from_parts(
            "DevPro",
            &["maps.enabled", "maps.componentShapes"],
            &[("maps.shapes.max", 7)],
        );
        let mut job = Job::new(JobKind::MapShapesImport, p.tenant_id, p.user_id, "shapes.geojson", Timestamp::now());
        job.started_by(&p);
        let stored: Job = serde_json::from_value(serde_json::to_value(&job).unwrap()).unwrap();
        let back = stored.viewer();
        assert_eq!(back.entitlements, p.entitlements, "features and limits as they stood");
        assert_eq!((back.roles, back.permissions), (p.roles, p.permissions));
        let mut older = serde_json::to_value(&job).unwrap();
        older.as_object_mut().unwrap().remove("viewer_entitlements");
        let older: Job = serde_json::from_value(older).unwrap();
        assert_eq!(
            older.viewer().entitlements,
            crm_auth::entitlements::Entitlements::for_plan("DevFree"),
            "a job from before keeps the default"
        );
    }

    #[test]
    fn each_kind_names_its_file() {
        assert_eq!(JobKind::UnitsImport.file(), CSV_FILE);
        assert_eq!(JobKind::MapShapesImport.file().content_type, "application/geo+json");
        assert_eq!((JobKind::MapShapesImport.context(), JobKind::MapShapesImport.limit()), ("maps", Some("maps.shapes.max")));
        assert!(READ_ANY.contains(&JobKind::MapShapesImport.read_permission()));
        assert!(START_ANY.contains(&JobKind::MapShapesImport.start_permission()));
    }
}
