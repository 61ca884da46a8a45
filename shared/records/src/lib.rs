//! What every CRM record shares — contacts, companies and leads (records),
//! deals (deals), units later:
//!
//! * [`fields`] — parsing helpers for JSON bodies;
//! * [`custom_fields`] — the tenant's typed custom fields per entity;
//! * [`write`] — owners, edit rights, plan quotas, unique custom values and
//!   change sets, the same for every record's create, patch and delete.

pub mod custom_fields;
pub mod fields;
pub mod write;
