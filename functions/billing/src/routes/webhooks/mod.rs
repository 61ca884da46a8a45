pub mod stripe_post;
