pub mod apply_post;
pub mod delete;
