//! Coded dictionaries (M3CoreCRM's coded dictionary standard): every
//! dictionary has the product's global codes, with English and Arabic
//! labels, and the codes a tenant adds. A write that takes a code takes only
//! an active one of its dictionary, global or the tenant's ([`check`]).
//!
//! A dictionary is a [`Dictionary`] value (its name, its global codes, how
//! its codes are spelled, and the plan feature that lets a tenant add its
//! own): identity declares `job_title_codes` and `department_codes`,
//! inventory `unit_type_codes` and `component_type_codes`. A tenant's codes
//! are items of one partition per dictionary (`T#{t}#DICT#{name}` /
//! `CODE#{code}`): a list is one Query, a write one conditional Put within
//! [`MAX_TENANT_CODES`], held by a usage counter in the same transaction
//! ([`write`]).

pub mod entry;
pub mod write;

pub use entry::{CodeStyle, Dictionary, Entry, EntryChanges, Source};
pub use write::{check, create, load, retire, update, MAX_TENANT_CODES};
