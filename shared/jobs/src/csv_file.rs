//! What every imported or exported CSV shares: its size and row limits, the
//! header a kind's columns are read from (case and spaces forgiven, a UTF-8
//! BOM ignored, unknown columns refused up front with the list of known
//! ones), and `custom.{code}` columns for a tenant's custom fields.

use crm_kernel::{AppError, FieldError};
use crm_records::custom_fields::Definition;

/// The prefix of a custom-field column.
pub const CUSTOM: &str = "custom.";
/// Largest file accepted.
pub const MAX_BYTES: i64 = 20 * 1024 * 1024;
/// Most data rows a file may hold (imports are all or nothing on this).
pub const MAX_ROWS: usize = 50_000;

/// The normalised header of a file whose known columns are `known_columns`
/// (and `custom.{code}` of an active field in `defs`), or `400` naming every
/// unknown column; each of `required` must be there.
pub fn header_of(
    record: &csv::StringRecord,
    defs: &[Definition],
    known_columns: &[&str],
    required: &[&str],
) -> Result<Vec<String>, AppError> {
    let cols: Vec<String> =
        record.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_ascii_lowercase().replace([' ', '-'], "_")).collect();
    let known = |c: &str| match c.strip_prefix(CUSTOM) {
        Some(code) => defs.iter().any(|d| d.code == code && d.active),
        None => known_columns.contains(&c),
    };
    let mut problems: Vec<FieldError> = cols
        .iter()
        .filter(|c| !known(c))
        .map(|c| {
            FieldError::new(
                format!("columns.{c}"),
                format!("unknown column; known: {}, and custom.{{code}} of an active custom field", known_columns.join(", ")),
            )
        })
        .collect();
    for (i, c) in cols.iter().enumerate() {
        if cols[..i].contains(c) {
            problems.push(FieldError::new(format!("columns.{c}"), "appears twice in the header"));
        }
    }
    problems.extend(
        required
            .iter()
            .filter(|r| !cols.iter().any(|c| c == *r))
            .map(|r| FieldError::new(format!("columns.{r}"), format!("the file needs a {r} column"))),
    );
    if !problems.is_empty() {
        return Err(AppError::invalid_fields(problems));
    }
    Ok(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> csv::StringRecord {
        csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes()).records().next().unwrap().unwrap()
    }

    #[test]
    fn a_header_is_normalised_and_every_problem_named() {
        let known = ["code", "building_id", "unit_type_code"];
        let cols = header_of(&header("\u{feff}Code, Building-ID ,unit type code\n"), &[], &known, &["code"]).unwrap();
        assert_eq!(cols, vec!["code", "building_id", "unit_type_code"]);
        let bad = header_of(&header("name,code,code\n"), &[], &known, &["code", "building_id"]).unwrap_err();
        let fields: Vec<&str> = bad.details().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["columns.name", "columns.code", "columns.building_id"]);
        assert!(bad.details()[1].message.contains("twice"));
    }
}
