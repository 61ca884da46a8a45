//! The user profile's coded dictionaries (the spec's `job_title_codes` and
//! `department_codes`): the product's global codes, with English and Arabic
//! labels, plus the codes a tenant adds (`admin.customDictionaries`). A
//! user's `job_title_code` and `department_code` must be an active code of
//! its dictionary, global or the tenant's. The machinery is
//! [`crm_dictionaries`]; these are identity's two dictionaries.

use crm_dictionaries::{CodeStyle, Dictionary};
use crm_kernel::AppError;

pub use crm_dictionaries::{check, load, Entry, EntryChanges};

pub const JOB_TITLE_CODES: Dictionary = Dictionary {
    name: "job_title_codes",
    global: &[
        ("sales_representative", "Sales representative", "مندوب مبيعات"),
        ("account_executive", "Account executive", "مسؤول حسابات"),
        ("sales_manager", "Sales manager", "مدير مبيعات"),
        ("property_consultant", "Property consultant", "مستشار عقاري"),
        ("broker", "Broker", "وسيط"),
        ("marketing_specialist", "Marketing specialist", "أخصائي تسويق"),
        ("customer_success", "Customer success", "نجاح العملاء"),
        ("finance_officer", "Finance officer", "مسؤول مالي"),
        ("operations", "Operations", "العمليات"),
        ("executive", "Executive", "إدارة عليا"),
    ],
    style: CodeStyle::Snake,
    feature: "admin.customDictionaries",
};

pub const DEPARTMENT_CODES: Dictionary = Dictionary {
    name: "department_codes",
    global: &[
        ("sales", "Sales", "المبيعات"),
        ("marketing", "Marketing", "التسويق"),
        ("customer_success", "Customer success", "نجاح العملاء"),
        ("finance", "Finance", "المالية"),
        ("operations", "Operations", "العمليات"),
        ("management", "Management", "الإدارة"),
        ("it", "IT", "تقنية المعلومات"),
    ],
    style: CodeStyle::Snake,
    feature: "admin.customDictionaries",
};

/// The dictionaries `/v1/admin/dictionaries/{dictionary}` serves.
pub const ALL: [&Dictionary; 2] = [&JOB_TITLE_CODES, &DEPARTMENT_CODES];

/// The path segment `{dictionary}`; anything else is `404`.
pub fn parse(s: &str) -> Result<&'static Dictionary, AppError> {
    ALL.into_iter().find(|d| d.name == s).ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_dictionaries_are_found_by_name() {
        assert_eq!(parse("department_codes").unwrap().name, "department_codes");
        assert_eq!(parse("colours").unwrap_err().code(), "NOT_FOUND");
        for d in ALL {
            assert!(d.globals().all(|e| d.valid_code(&e.code).is_ok() && !e.label_en.is_empty() && !e.label_ar.is_empty()));
        }
    }
}
