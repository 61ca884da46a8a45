//! Notes: free text attached to the tenant, optionally to a record
//! (contact, company, deal, lead...). Pure rules, no I/O.

use crm_kernel::fields::Input;
use crm_kernel::{AppError, EntityId, FieldError, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item};
use serde::{Deserialize, Serialize};

pub const KIND: &str = "NOTE";
pub const MAX_BODY_CHARS: usize = 10_000;
/// Record types a note can be attached to.
pub const SUBJECT_TYPES: &[&str] = &["contact", "company", "deal", "lead", "property", "unit"];

/// A note body: trimmed, 1 to 10 000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transparent)]
pub struct NoteBody(#[schemars(length(min = 1, max = 10_000))] String);

impl NoteBody {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("body", "must not be empty"));
        }
        // The limit is on what is sent (the schema's `maxLength`).
        if raw.chars().count() > MAX_BODY_CHARS {
            return Err(FieldError::new("body", format!("must be at most {MAX_BODY_CHARS} characters")));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The record a note is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SubjectRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

impl SubjectRef {
    pub fn parse(kind: &str, id: &str) -> Result<Self, FieldError> {
        if !SUBJECT_TYPES.contains(&kind) {
            return Err(FieldError::new("subject.type", format!("must be one of {}", SUBJECT_TYPES.join(", "))));
        }
        let id = EntityId::parse(id).map_err(|_| FieldError::new("subject.id", "must be a ULID"))?;
        Ok(Self { kind: kind.into(), id: id.to_string() })
    }
}

impl SubjectRef {
    /// A `{type, id}` field of a change set named `field` (`null`: none);
    /// its problems are named under `field` (`related.type`, …).
    pub fn from_input(field: &str, input: Input<SubjectInput>) -> Result<Option<Self>, FieldError> {
        match input {
            Input::Absent | Input::Null => Ok(None),
            Input::Given(s) => {
                Self::parse(&s.kind, &s.id).map(Some).map_err(|e| FieldError::new(e.field.replacen("subject", field, 1), e.message))
            }
            Input::Invalid(_) => Err(FieldError::new(field, "must be {type, id}")),
        }
    }
}

/// The body of `POST /v1/notes`, as received.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNoteRequest {
    /// Trimmed, 1 to 10 000 characters.
    #[schemars(length(min = 1, max = 10_000))]
    pub body: String,
    #[serde(default)]
    pub subject: Option<SubjectInput>,
}

/// The record a new note (a task, an activity) is about: `{type, id}`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectInput {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["contact", "company", "deal", "lead", "property", "unit"]))]
    pub kind: String,
    pub id: String,
}

/// A validated new note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    pub body: NoteBody,
    pub subject: Option<SubjectRef>,
}

impl NewNote {
    /// Collects every field problem at once.
    pub fn parse(req: CreateNoteRequest) -> Result<Self, AppError> {
        let mut errors = Vec::new();
        let body = NoteBody::parse(&req.body).map_err(|e| errors.push(e)).ok();
        let subject = match req.subject {
            None => Some(None),
            Some(s) => SubjectRef::parse(&s.kind, &s.id).map(Some).map_err(|e| errors.push(e)).ok(),
        };
        match (body, subject) {
            (Some(body), Some(subject)) if errors.is_empty() => Ok(Self { body, subject }),
            _ => Err(AppError::invalid_fields(errors)),
        }
    }
}

/// A stored note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Note {
    pub id: EntityId,
    pub body: NoteBody,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectRef>,
    pub author_user_id: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

impl Note {
    pub fn create(new: NewNote, author: UserId, now: Timestamp) -> Self {
        Self {
            id: EntityId::new(),
            body: new.body,
            subject: new.subject,
            author_user_id: author,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }
}

/// The stored item of a note, with its index entries: the tenant's notes
/// newest first (`by_kind`) and, when attached, the record's timeline
/// (`by_parent`).
pub fn to_item(tenant: crm_kernel::TenantId, note: &Note) -> Result<Item, AppError> {
    let sort = format!("{}#{}", note.created_at, note.id);
    let mut it = item::to_item(&keys::entity(tenant, KIND, note.id), note)?.with_str("kind", "note").with_index(
        Index::ByKind,
        keys::by_kind_pk(tenant, KIND),
        sort.clone(),
    );
    if let Some(s) = &note.subject {
        it = it.with_index(Index::ByParent, keys::by_parent_pk(tenant, &s.kind.to_ascii_uppercase(), &s.id), format!("{sort}#{KIND}"));
    }
    Ok(it)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(body: &str, subject: Option<(&str, &str)>) -> CreateNoteRequest {
        CreateNoteRequest { body: body.into(), subject: subject.map(|(k, i)| SubjectInput { kind: k.into(), id: i.into() }) }
    }

    #[test]
    fn trims_and_accepts_arabic() {
        let n = NewNote::parse(req("  ملاحظة عن العميل  ", None)).unwrap();
        assert_eq!(n.body.as_str(), "ملاحظة عن العميل");
    }

    #[test]
    fn reports_every_bad_field() {
        let err = NewNote::parse(req("   ", Some(("planet", "x")))).unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["body", "subject.type"]);
    }

    #[test]
    fn body_length_is_counted_in_characters() {
        assert!(NoteBody::parse(&"ب".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(NoteBody::parse(&"ب".repeat(MAX_BODY_CHARS + 1)).is_err());
    }

    #[test]
    fn subject_needs_a_known_type_and_a_ulid() {
        let id = EntityId::new().to_string();
        assert!(SubjectRef::parse("contact", &id).is_ok());
        assert!(SubjectRef::parse("contact", "42").is_err());
    }
}
