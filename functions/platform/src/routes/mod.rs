pub mod docs;
pub mod fallback;
pub mod health;
pub mod openapi;
