//! The inventory's coded dictionaries: `GET|POST /v1/admin/unit-type-codes`,
//! `PATCH|DELETE /v1/admin/unit-type-codes/{code}`, and the same for
//! `component-type-codes`: the product's global codes, then the tenant's
//! (`inventory.codeManagement` to add or change them; `DELETE` retires a
//! code, which stays on the records that have it).

pub mod type_codes;
