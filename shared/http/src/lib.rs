//! HTTP plumbing shared by every route function (`lambda_http`).
//!
//! * [`route`]: the route table of a bounded context — each route key with
//!   its declared [`Access`](route::Access) (deny by default) and handler —
//!   and [`dispatch`](route::dispatch), the one entry point of a route binary.
//! * [`call`]: what a handler receives: the request, its [`RequestContext`]
//!   (request id, principal from the authorizer) and input parsers.
//! * [`reply`]: the JSON envelope, error rendering and security headers.

pub mod call;
pub mod context;
pub mod contract;
pub mod idempotency;
pub mod list;
pub mod metrics;
pub mod reply;
pub mod route;
pub mod telemetry;

pub use call::Call;
pub use context::RequestContext;
pub use contract::Contract;
pub use list::ListQuery;
pub use reply::Reply;
pub use route::{dispatch, dispatch_noting_refusals, Access, Refusal, Route};

/// Largest request body a route accepts (bigger answers `413 PAYLOAD_TOO_LARGE`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
