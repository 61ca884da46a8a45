//! All end-to-end tests, in one binary (one link of the AWS SDK). They start
//! the local stack in-process — emulator-backed table, bus and queues, the
//! HttpApi, the authorizer, the stream and queue drivers — and drive it over
//! HTTP as a frontend would. Run them with `make test`.

mod helpers;

mod access;
mod admin;
mod admin_notices;
mod apikeys;
mod approvals;
mod audit_export;
mod auth;
mod billing;
mod bulk_users;
mod companies;
mod contact_channels;
mod contacts;
mod contract;
mod custom_fields;
mod deals;
mod delivery;
mod dictionaries;
mod docs_page;
mod entitlements;
mod errors;
mod field_permissions;
mod fuzz;
mod health;
mod idempotency;
mod identity;
mod imports;
mod inventory;
mod invitations;
mod leads;
mod lifecycle;
mod links;
mod malformed;
mod maps;
mod notes;
mod notify;
mod phone;
mod pipeline;
mod ratelimit;
mod recovery;
mod reminders;
mod roles;
mod seats;
mod security;
mod segments;
mod store;
mod tasks;
mod tenancy;
mod tenancy_sweep;
mod totp;
mod users;
mod visibility;
