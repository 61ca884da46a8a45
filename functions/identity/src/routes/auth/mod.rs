//! `/v1/auth/...`.

pub mod forgot_password;
pub mod login;
pub mod logout;
pub mod refresh;
pub mod register;
pub mod reset_password;
pub mod verify_email;
