pub mod validate_post;
