//! What every CRM record shares — contacts, companies and leads (records),
//! deals (deals), units later:
//!
//! * JSON bodies are read with the one field parser, `crm_kernel::fields`;
//! * [`custom_fields`] — the tenant's typed custom fields per entity;
//! * [`write`] — owners, edit rights, plan quotas, unique custom values and
//!   change sets, the same for every record's create, patch and delete.

pub mod custom_fields;
pub mod write;
