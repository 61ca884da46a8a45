//! The files bucket every context shares (imports and exports under
//! `transfers/`, later unit media and plan overlays):
//!
//! * [`policy`]: browser uploads by presigned `POST` whose signed policy
//!   holds the key, the content type and a `content-length-range` — the
//!   storage itself refuses a file outside them (pure, unit-tested);
//! * [`store`]: the bucket: upload forms, the size and version of what was
//!   uploaded (a job pins the version it started with), streamed reads of a
//!   pinned version, writes and presigned downloads.

pub mod policy;
pub mod store;

pub use policy::UploadForm;
pub use store::Files;
