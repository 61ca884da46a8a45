//! Field-level permissions (ADR 0022): fields some roles may not read. A
//! deal's amount needs `deal.amount.read`; a contact's email addresses
//! `contact.email.read`, its phone and WhatsApp numbers `contact.phone.read`.
//! Without the code the field is *absent* — from responses, exports and
//! search results — not blanked: `hidden_fields` names what was taken out,
//! so a client tells "hidden" from "empty".
//!
//! The registry below is the one list; [`Redacted`] applies it to any view
//! that names its fields ([`Sensitivity`]), and its JSON Schema marks those
//! fields optional, so the contract holds for every reader.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::rbac::{self, Permission};
use crate::Principal;

/// One field a permission guards, and everywhere the view carries it.
#[derive(Debug, PartialEq, Eq)]
pub struct Sensitive {
    /// The name `hidden_fields` reports.
    pub field: &'static str,
    pub permission: Permission,
    /// The top-level keys that hold it (`amount` and its `value` in major units).
    pub keys: &'static [&'static str],
    /// The `channels[].type`s that hold it (a contact's other addresses).
    pub channels: &'static [&'static str],
}

/// A deal's guarded fields.
pub const DEAL: &[Sensitive] =
    &[Sensitive { field: "amount", permission: rbac::DEAL_AMOUNT_READ, keys: &["amount", "value"], channels: &[] }];

/// A contact's guarded fields.
pub const CONTACT: &[Sensitive] = &[
    Sensitive { field: "email", permission: rbac::CONTACT_EMAIL_READ, keys: &["email"], channels: &["email"] },
    Sensitive { field: "phone", permission: rbac::CONTACT_PHONE_READ, keys: &["phone"], channels: &["phone", "whatsapp"] },
];

/// A view whose serialized object carries guarded fields.
pub trait Sensitivity {
    const SENSITIVE: &'static [Sensitive];
}

/// The fields of `of` the caller may not read.
pub fn hidden(p: &Principal, of: &'static [Sensitive]) -> Hidden {
    Hidden(of.iter().filter(|s| !p.can(s.permission)).collect())
}

/// What one reader may not see of a kind of record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hidden(Vec<&'static Sensitive>);

impl Hidden {
    /// Whether `field` (a [`Sensitive::field`]) is hidden.
    pub fn hides(&self, field: &str) -> bool {
        self.0.iter().any(|s| s.field == field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names `hidden_fields` reports.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|s| s.field.to_string()).collect()
    }

    /// Takes the hidden fields out of a serialized view and names them.
    pub fn apply(&self, object: &mut Map<String, Value>) {
        if self.0.is_empty() {
            return;
        }
        for s in &self.0 {
            for k in s.keys {
                object.remove(*k);
            }
            if let Some(Value::Array(channels)) = object.get_mut("channels") {
                channels.retain(|c| !c["type"].as_str().is_some_and(|t| s.channels.contains(&t)));
            }
        }
        object.insert("hidden_fields".into(), Value::from(self.names()));
    }
}

/// A view as one reader may see it: serialized without its hidden fields.
#[derive(Debug, Clone)]
pub struct Redacted<T> {
    pub view: T,
    pub hidden: Hidden,
}

impl<T: Sensitivity> Redacted<T> {
    /// `view` for the caller `p`.
    pub fn for_reader(view: T, p: &Principal) -> Self {
        Self { view, hidden: hidden(p, T::SENSITIVE) }
    }
}

impl<T: Serialize> Serialize for Redacted<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.hidden.is_empty() {
            return self.view.serialize(s);
        }
        let mut value = serde_json::to_value(&self.view).map_err(serde::ser::Error::custom)?;
        if let Value::Object(map) = &mut value {
            self.hidden.apply(map);
        }
        value.serialize(s)
    }
}

impl<T: JsonSchema + Sensitivity> JsonSchema for Redacted<T> {
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = T::json_schema(generator);
        let guarded: Vec<&str> = T::SENSITIVE.iter().flat_map(|s| s.keys.iter().copied()).collect();
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            required.retain(|r| !r.as_str().is_some_and(|r| guarded.contains(&r)));
        }
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            let names: Vec<&str> = T::SENSITIVE.iter().map(|s| s.field).collect();
            properties.insert(
                "hidden_fields".into(),
                serde_json::json!({
                    "description": "Fields the caller's roles may not read, left out of this record (field-level permissions).",
                    "type": "array",
                    "items": { "type": "string", "enum": names },
                }),
            );
        }
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kernel::{TenantId, UserId};
    use serde_json::json;

    #[derive(Serialize, schemars::JsonSchema)]
    struct Card {
        name: String,
        email: Option<String>,
        phone: Option<String>,
        channels: Vec<Value>,
    }

    impl Sensitivity for Card {
        const SENSITIVE: &'static [Sensitive] = CONTACT;
    }

    fn reader(codes: &[Permission]) -> Principal {
        let mut p = Principal::with_roles(TenantId::new(), UserId::new(), vec![], crate::AuthMethod::AccessToken);
        p.permissions = codes.iter().map(|c| c.0.to_string()).collect();
        p
    }

    fn card() -> Card {
        Card {
            name: "Mona".into(),
            email: Some("mona@x.example".into()),
            phone: None,
            channels: vec![json!({"type": "email", "value": "mona@x.example"}), json!({"type": "whatsapp", "value": "+201000000000"})],
        }
    }

    #[test]
    fn a_hidden_field_is_absent_everywhere_the_view_carries_it() {
        let phone_only = serde_json::to_value(Redacted::for_reader(card(), &reader(&[rbac::CONTACT_PHONE_READ]))).unwrap();
        assert_eq!(
            phone_only,
            json!({"name": "Mona", "phone": null, "channels": [{"type": "whatsapp", "value": "+201000000000"}], "hidden_fields": ["email"]})
        );
        let everything =
            serde_json::to_value(Redacted::for_reader(card(), &reader(&[rbac::CONTACT_EMAIL_READ, rbac::CONTACT_PHONE_READ]))).unwrap();
        assert_eq!(everything, serde_json::to_value(card()).unwrap(), "a full reader sees the view as it is");
        let nothing = serde_json::to_value(Redacted::for_reader(card(), &reader(&[]))).unwrap();
        assert_eq!((nothing.get("email"), nothing.get("phone"), nothing["channels"].clone()), (None, None, json!([])));
        assert_eq!(nothing["hidden_fields"], json!(["email", "phone"]));
    }

    #[test]
    fn the_schema_makes_guarded_fields_optional_and_names_hidden_fields() {
        let schema = schemars::schema_for!(Redacted<Card>);
        let required: Vec<&str> = schema.get("required").and_then(Value::as_array).unwrap().iter().filter_map(Value::as_str).collect();
        assert_eq!(required, ["name", "channels"]);
        assert_eq!(schema.get("properties").unwrap()["hidden_fields"]["items"]["enum"], json!(["email", "phone"]));
    }

    #[test]
    fn hidden_fields_are_those_whose_code_the_reader_lacks() {
        let h = hidden(&reader(&[rbac::CONTACT_EMAIL_READ]), CONTACT);
        assert!(h.hides("phone") && !h.hides("email"));
        assert_eq!(h.names(), ["phone"]);
    }
}
