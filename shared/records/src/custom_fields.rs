//! Custom fields (the spec's `custom_field_defs` / `custom_field_values` tables):
//! a tenant defines typed fields per entity (`contact`, `company`; deals,
//! leads and units reuse them later) — `text`, `number`, `date`, `bool`,
//! `select`, `multiselect` — which may be `required` or `unique`. Values live
//! on the record (`custom_fields: {code: value}`), checked against the
//! active definitions on every write ([`check`], pure); a unique value is a
//! marker item claimed in the record's own transaction. Plan feature
//! `contacts.customFields`; at most [`MAX_PER_ENTITY`] definitions per entity.

use std::collections::BTreeMap;

use crm_kernel::fields::Input;
use crm_kernel::{search, AppError, EntityId, FieldError, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const DEFINITION: &str = "CUSTOMFIELD";
pub const ENTITIES: &[&str] = &["contact", "company", "lead", "deal", "unit"];
pub const MAX_PER_ENTITY: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Date,
    Bool,
    Select,
    Multiselect,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Definition {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub entity: String,
    pub code: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub options: Vec<String>,
    pub required: bool,
    pub unique: bool,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

pub type Values = BTreeMap<String, Value>;

impl Definition {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, DEFINITION, id)
    }

    pub fn entity_pk(tenant: TenantId, entity: &str) -> String {
        keys::by_parent_pk(tenant, "CUSTOMFIELDS", entity)
    }

    /// One code per entity.
    pub fn code_key(tenant: TenantId, entity: &str, code: &str) -> Key {
        keys::unique(tenant, "CUSTOMFIELDCODE", &format!("{entity}#{code}"))
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_index(
            Index::ByParent,
            Self::entity_pk(self.tenant_id, &self.entity),
            format!("{}#{}", self.code, self.id),
        ))
    }

    /// The marker of a unique value.
    pub fn value_key(&self, value: &Value) -> Key {
        let v = match value {
            Value::String(s) => search::normalise(s.trim()),
            other => other.to_string(),
        };
        keys::unique(self.tenant_id, "CUSTOMVALUE", &format!("{}#{}#{v}", self.entity, self.code))
    }

    /// A CSV cell as the JSON value the API would take for this field:
    /// numbers and booleans (`true/false`, `yes/no`, `1/0`) parsed,
    /// multiselect options split on `;` or `|`; other types as text.
    pub fn from_cell(&self, cell: &str) -> Value {
        let cell = cell.trim();
        match self.field_type {
            FieldType::Number => match cell.parse::<i64>() {
                Ok(n) => Some(Value::from(n)),
                Err(_) => cell.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number),
            },
            FieldType::Bool => match cell.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Some(Value::Bool(true)),
                "false" | "no" | "0" => Some(Value::Bool(false)),
                _ => None,
            },
            FieldType::Multiselect => Some(Value::Array(
                cell.split([';', '|']).map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.into())).collect(),
            )),
            _ => None,
        }
        .unwrap_or_else(|| Value::String(cell.to_string()))
    }

    /// `value` checked and normalised for this field.
    pub fn value(&self, value: &Value) -> Result<Value, FieldError> {
        let field = format!("custom_fields.{}", self.code);
        let bad = |m: &str| FieldError::new(field.clone(), m.to_string());
        match (self.field_type, value) {
            (FieldType::Text, Value::String(s)) if s.chars().count() <= 2000 => Ok(Value::String(s.trim().to_string())),
            (FieldType::Text, _) => Err(bad("must be text (at most 2000 characters)")),
            (FieldType::Number, Value::Number(n)) if n.as_f64().is_some_and(f64::is_finite) => Ok(Value::Number(n.clone())),
            (FieldType::Number, _) => Err(bad("must be a number")),
            (FieldType::Date, Value::String(s)) => {
                crm_kernel::time::parse_date(&field, s).map(|d| Value::String(d.to_string())).map_err(|_| bad("must be a date YYYY-MM-DD"))
            }
            (FieldType::Date, _) => Err(bad("must be a date YYYY-MM-DD")),
            (FieldType::Bool, Value::Bool(b)) => Ok(Value::Bool(*b)),
            (FieldType::Bool, _) => Err(bad("must be true or false")),
            (FieldType::Select, Value::String(s)) if self.options.contains(s) => Ok(value.clone()),
            (FieldType::Select, _) => Err(bad(&format!("must be one of {}", self.options.join(", ")))),
            (FieldType::Multiselect, Value::Array(a))
                if a.iter().all(|v| v.as_str().is_some_and(|s| self.options.iter().any(|o| o == s))) =>
            {
                let mut v: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                v.sort();
                v.dedup();
                Ok(Value::Array(v.into_iter().map(|s| Value::String(s.into())).collect()))
            }
            (FieldType::Multiselect, _) => Err(bad(&format!("must be a list of {}", self.options.join(", ")))),
        }
    }
}

/// The definitions of `entity` (`contact`, `company`): one key condition.
pub async fn definitions(store: &crm_store::Store, t: TenantId, entity: &str) -> Result<Vec<Definition>, StoreError> {
    let q = crm_store::Query::index(t, crm_store::Index::ByParent, Definition::entity_pk(t, entity)).limit(crm_kernel::Limit::max());
    store.query(q).await?.items.into_iter().map(crm_store::item::from_item::<Definition>).collect()
}

/// The values a record ends with: `base` (the record's current values, or
/// none on create) with `changes` applied (`null` removes), every value
/// checked against the active definitions, unknown codes and missing
/// required fields named.
pub fn check(defs: &[Definition], base: &Values, changes: &Values) -> Result<Values, AppError> {
    let mut errors = Vec::new();
    let mut next = base.clone();
    for (code, v) in changes {
        let field = format!("custom_fields.{code}");
        match defs.iter().find(|d| &d.code == code && d.active) {
            None => errors.push(FieldError::new(field, "is not an active custom field of this entity")),
            Some(_) if v.is_null() => {
                next.remove(code);
            }
            Some(d) => match d.value(v) {
                Ok(v) => {
                    next.insert(code.clone(), v);
                }
                Err(e) => errors.push(e),
            },
        }
    }
    for d in defs.iter().filter(|d| d.active && d.required) {
        let field = format!("custom_fields.{}", d.code);
        if !next.contains_key(&d.code) && !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError::new(format!("custom_fields.{}", d.code), "is required"));
        }
    }
    if errors.is_empty() {
        Ok(next)
    } else {
        Err(AppError::invalid_fields(errors))
    }
}

/// An active contact definition, for the unit tests of the crates that use custom fields.
#[doc(hidden)]
pub fn test_definition(code: &str, t: FieldType, required: bool, options: &[&str]) -> Definition {
    let now = Timestamp::now();
    Definition {
        id: EntityId::new(),
        tenant_id: TenantId::new(),
        entity: "contact".into(),
        code: code.into(),
        label: code.into(),
        field_type: t,
        options: options.iter().map(|s| s.to_string()).collect(),
        required,
        unique: false,
        active: true,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

/// The `custom_fields` of a change set (`null`: none).
pub fn changes_of(input: Input<Values>) -> Result<Values, AppError> {
    match input {
        Input::Absent | Input::Null => Ok(Values::new()),
        Input::Given(v) => Ok(v),
        Input::Invalid(_) => Err(AppError::invalid("custom_fields", "must be an object of {code: value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(code: &str, t: FieldType, required: bool, options: &[&str]) -> Definition {
        test_definition(code, t, required, options)
    }

    #[test]
    fn values_are_typed_required_and_known() {
        let defs = vec![
            def("budget", FieldType::Number, false, &[]),
            def("source", FieldType::Select, true, &["web", "referral"]),
            def("langs", FieldType::Multiselect, false, &["ar", "en"]),
            def("birthday", FieldType::Date, false, &[]),
        ];
        let ok = check(
            &defs,
            &Values::new(),
            &changes_of(Input::Given(
                serde_json::from_value(json!({"budget": 2500000, "source": "web", "langs": ["en", "ar", "en"]})).unwrap(),
            ))
            .unwrap(),
        )
        .unwrap();
        assert_eq!(ok["langs"], json!(["ar", "en"]));
        let err = check(
            &defs,
            &Values::new(),
            &changes_of(Input::Given(
                serde_json::from_value(json!({"budget": "lots", "langs": ["fr"], "birthday": "31/12", "color": "red"})).unwrap(),
            ))
            .unwrap(),
        )
        .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(
            fields,
            vec!["custom_fields.birthday", "custom_fields.budget", "custom_fields.color", "custom_fields.langs", "custom_fields.source"]
        );
        // A patch keeps what it does not name, and cannot drop a required field.
        let later =
            check(&defs, &ok, &changes_of(Input::Given(serde_json::from_value(json!({"budget": null})).unwrap())).unwrap()).unwrap();
        assert!(!later.contains_key("budget") && later.contains_key("source"));
        assert!(check(&defs, &ok, &changes_of(Input::Given(serde_json::from_value(json!({"source": null})).unwrap())).unwrap()).is_err());
    }
}
