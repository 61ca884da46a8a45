//! Records as CSV, both ways, pure. Import: a header row names the columns
//! (for contacts `first_name`, `last_name`, `email`, `phone`, `job_title`,
//! `company_id`, `lifecycle_stage`; case and spaces forgiven, a UTF-8 BOM
//! ignored); each data row becomes the same JSON the entity's `POST` takes,
//! so one parser judges both ([`crm_jobs::engine::parse_row`]). Unknown columns
//! are refused up front, with the list of known ones. A column
//! `custom.{code}` fills the tenant's custom field `code`, typed by its
//! definition ([`crate::custom_fields::Definition::from_cell`]) and checked
//! like the API's (types, options, required fields). Export writes the
//! standard columns, plus `id`, `owner_user_id`, `created_at`.

use crm_kernel::AppError;

use crate::contact::Contact;
#[cfg(test)]
use crate::custom_fields::Definition;

pub const IMPORT_COLUMNS: &[&str] = &["first_name", "last_name", "email", "phone", "job_title", "company_id", "lifecycle_stage"];
pub const EXPORT_COLUMNS: &[&str] =
    &["id", "first_name", "last_name", "email", "phone", "job_title", "company_id", "lifecycle_stage", "owner_user_id", "created_at"];

/// The export file's lines for `contacts` (the header when `with_header`),
/// without the columns of the fields its reader may not read (`hidden`).
pub fn export(contacts: &[Contact], with_header: bool, hidden: &crm_auth::sensitive::Hidden) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(e.to_string());
    let shown: Vec<bool> = EXPORT_COLUMNS.iter().map(|c| !hidden.hides(c)).collect();
    let keep = |cells: &[String]| -> Vec<String> { cells.iter().zip(&shown).filter(|(_, s)| **s).map(|(c, _)| c.clone()).collect() };
    if with_header {
        w.write_record(EXPORT_COLUMNS.iter().zip(&shown).filter(|(_, s)| **s).map(|(c, _)| *c)).map_err(err)?;
    }
    for c in contacts {
        let f = &c.fields;
        let opt = |o: Option<String>| o.unwrap_or_default();
        let cells = [
            c.id.to_string(),
            f.first_name.clone(),
            opt(f.last_name.clone()),
            opt(f.email.as_ref().map(|e| e.as_str().to_string())),
            opt(f.phone.as_ref().map(|p| p.to_string())),
            opt(f.job_title.clone()),
            opt(f.company_id.map(|i| i.to_string())),
            f.lifecycle_stage.clone(),
            opt(f.owner_user_id.map(|u| u.to_string())),
            c.created_at.to_string(),
        ];
        w.write_record(keep(&cells).iter().map(|cell| crm_kernel::spreadsheet::safe_cell(cell).into_owned())).map_err(err)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact_import::ContactRows;
    use crm_jobs::engine::{header, parse_row};

    fn records(text: &str) -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes()).records().map(Result::unwrap).collect()
    }

    #[test]
    fn rows_parse_like_the_api_and_name_their_problems() {
        let r = records("\u{feff}First Name,Email,phone,Lifecycle-Stage\nLayla,Layla@Example.com,+201001234567,customer\n,bad,0100,won\n\"Smith, Jr.\",,,\n");
        let cols = header::<ContactRows>(&r[0], &[]).unwrap();
        assert_eq!(cols, vec!["first_name", "email", "phone", "lifecycle_stage"]);
        let ok = parse_row::<ContactRows>(&cols, &[], &r[1]).unwrap();
        assert_eq!((ok.email.as_ref().map(|e| e.as_str()), ok.lifecycle_stage.as_str()), (Some("layla@example.com"), "customer"));
        let fields: Vec<String> = parse_row::<ContactRows>(&cols, &[], &r[2]).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["email", "phone", "lifecycle_stage", "first_name"]);
        assert_eq!(parse_row::<ContactRows>(&cols, &[], &r[3]).unwrap().first_name, "Smith, Jr.");
        let bad = header::<ContactRows>(&records("name,email\n")[0], &[]).unwrap_err();
        assert_eq!(bad.details()[0].field, "columns.name");
    }

    fn def(code: &str, field_type: crate::custom_fields::FieldType, required: bool) -> Definition {
        crate::custom_fields::test_definition(code, field_type, required, &["villa", "flat"])
    }

    #[test]
    fn custom_columns_are_typed_by_their_definition_and_required_ones_enforced() {
        use crate::custom_fields::FieldType;
        let defs =
            [def("budget", FieldType::Number, true), def("wants", FieldType::Multiselect, false), def("vip", FieldType::Bool, false)];
        let r = records("first_name,Custom.Budget,custom.wants,custom.vip\nLayla,2500000,villa; flat,yes\nOmar,,,maybe\n");
        let cols = header::<ContactRows>(&r[0], &defs).unwrap();
        let ok = parse_row::<ContactRows>(&cols, &defs, &r[1]).unwrap();
        assert_eq!(
            serde_json::to_value(&ok.custom_fields).unwrap(),
            serde_json::json!({"budget": 2500000, "vip": true, "wants": ["flat", "villa"]})
        );
        let fields: Vec<String> = parse_row::<ContactRows>(&cols, &defs, &r[2]).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["custom_fields.vip", "custom_fields.budget"]);
        assert_eq!(
            header::<ContactRows>(&records("first_name,custom.nope\n")[0], &defs).unwrap_err().details()[0].field,
            "columns.custom.nope"
        );
    }
}
