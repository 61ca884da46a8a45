//! Login emails are the kernel's [`crm_kernel::Email`].

pub use crm_kernel::Email;
