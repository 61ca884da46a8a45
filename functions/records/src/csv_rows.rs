//! Contacts as CSV, both ways, pure. Import: a header row names the columns
//! (`first_name`, `last_name`, `email`, `phone`, `job_title`, `company_id`,
//! `lifecycle_stage`; case and spaces forgiven, a UTF-8 BOM ignored); each
//! data row becomes the same JSON a `POST /v1/contacts` takes, so one parser
//! ([`crate::contact::ContactFields::apply`]) judges both. Unknown columns
//! are refused up front, with the list of known ones. A column
//! `custom.{code}` fills the tenant's custom field `code`, typed by its
//! definition ([`crate::custom_fields::Definition::from_cell`]) and checked
//! like the API's (types, options, required fields). Export writes the
//! standard columns, plus `id`, `owner_user_id`, `created_at`.

use crm_kernel::{AppError, FieldError};
use serde_json::{Map, Value};

use crate::contact::{Contact, ContactFields};
use crate::custom_fields::{self, Definition};

/// The prefix of a custom-field column.
pub const CUSTOM: &str = "custom.";

pub const IMPORT_COLUMNS: &[&str] = &["first_name", "last_name", "email", "phone", "job_title", "company_id", "lifecycle_stage"];
pub const EXPORT_COLUMNS: &[&str] =
    &["id", "first_name", "last_name", "email", "phone", "job_title", "company_id", "lifecycle_stage", "owner_user_id", "created_at"];
/// Largest file accepted.
pub const MAX_BYTES: i64 = 20 * 1024 * 1024;
pub const MAX_ROWS: usize = 50_000;

/// The normalised header, or `400` naming every unknown column (a
/// `custom.{code}` column must name an active custom field in `defs`).
pub fn header(record: &csv::StringRecord, defs: &[Definition]) -> Result<Vec<String>, AppError> {
    header_of(record, defs, IMPORT_COLUMNS)
}

/// The normalised header of a file whose known columns are `known` (and
/// `custom.{code}` of an active field in `defs`), or `400` naming every
/// unknown column; a `first_name` column is required.
pub fn header_of(record: &csv::StringRecord, defs: &[Definition], known_columns: &[&str]) -> Result<Vec<String>, AppError> {
    let cols: Vec<String> =
        record.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_ascii_lowercase().replace([' ', '-'], "_")).collect();
    let known = |c: &str| match c.strip_prefix(CUSTOM) {
        Some(code) => defs.iter().any(|d| d.code == code && d.active),
        None => known_columns.contains(&c),
    };
    let unknown: Vec<FieldError> = cols
        .iter()
        .filter(|c| !known(c))
        .map(|c| {
            FieldError::new(
                format!("columns.{c}"),
                format!("unknown column; known: {}, and custom.{{code}} of an active custom field", known_columns.join(", ")),
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::invalid_fields(unknown));
    }
    if !cols.iter().any(|c| c == "first_name") {
        return Err(AppError::invalid("columns.first_name", "the file needs a first_name column"));
    }
    Ok(cols)
}

/// One data row as contact fields, or its problems (empty cells are
/// absent), its custom fields checked against `defs`.
pub fn row(columns: &[String], defs: &[Definition], record: &csv::StringRecord) -> Result<ContactFields, Vec<FieldError>> {
    let (mut body, mut custom) = (Map::new(), custom_fields::Values::new());
    for (c, v) in columns.iter().zip(record.iter()) {
        let v = crm_kernel::spreadsheet::restore(v.trim());
        if v.is_empty() {
            continue;
        }
        match c.strip_prefix(CUSTOM).and_then(|code| defs.iter().find(|d| d.code == code)) {
            Some(d) => {
                custom.insert(d.code.clone(), d.from_cell(v));
            }
            None => {
                body.insert(c.clone(), Value::String(v.to_string()));
            }
        }
    }
    let fields = ContactFields::apply(&ContactFields::blank(), &Value::Object(body)).map_err(|e| e.details().to_vec());
    let values = custom_fields::check(defs, &Default::default(), &custom).map_err(|e| e.details().to_vec());
    match (fields, values) {
        (Ok(f), Ok(v)) => Ok(ContactFields { custom_fields: v, ..f }),
        (f, v) => Err(f.err().into_iter().chain(v.err()).flatten().collect()),
    }
}

/// The export file's lines for `contacts` (the header when `with_header`).
pub fn export(contacts: &[Contact], with_header: bool) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| AppError::Internal(e.to_string());
    if with_header {
        w.write_record(EXPORT_COLUMNS).map_err(err)?;
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
        w.write_record(cells.iter().map(|cell| crm_kernel::spreadsheet::safe_cell(cell).into_owned())).map_err(err)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str) -> Vec<csv::StringRecord> {
        csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes()).records().map(Result::unwrap).collect()
    }

    #[test]
    fn rows_parse_like_the_api_and_name_their_problems() {
        let r = records("\u{feff}First Name,Email,phone,Lifecycle-Stage\nLayla,Layla@Example.com,+201001234567,customer\n,bad,0100,won\n\"Smith, Jr.\",,,\n");
        let cols = header(&r[0], &[]).unwrap();
        assert_eq!(cols, vec!["first_name", "email", "phone", "lifecycle_stage"]);
        let ok = row(&cols, &[], &r[1]).unwrap();
        assert_eq!((ok.email.as_ref().map(|e| e.as_str()), ok.lifecycle_stage.as_str()), (Some("layla@example.com"), "customer"));
        let fields: Vec<String> = row(&cols, &[], &r[2]).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["email", "phone", "lifecycle_stage", "first_name"]);
        assert_eq!(row(&cols, &[], &r[3]).unwrap().first_name, "Smith, Jr.");
        let bad = header(&records("name,email\n")[0], &[]).unwrap_err();
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
        let cols = header(&r[0], &defs).unwrap();
        let ok = row(&cols, &defs, &r[1]).unwrap();
        assert_eq!(
            serde_json::to_value(&ok.custom_fields).unwrap(),
            serde_json::json!({"budget": 2500000, "vip": true, "wants": ["flat", "villa"]})
        );
        let fields: Vec<String> = row(&cols, &defs, &r[2]).unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["custom_fields.vip", "custom_fields.budget"]);
        assert_eq!(header(&records("first_name,custom.nope\n")[0], &defs).unwrap_err().details()[0].field, "columns.custom.nope");
    }
}
