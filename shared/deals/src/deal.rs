//! A deal (the spec's `deals` table; SalesOS "opportunity"): a name, an amount
//! in minor units with its ISO 4217 currency, a pipeline and stage, an
//! owner, a close date, the contacts (with their role) and companies it
//! involves, watchers, and custom fields. `status` follows the stage:
//! `open`, or `won` / `lost` in the pipeline's win or loss stage.
//!
//! Parsed from the API into [`DealFields`] (every bad field named). Stored
//! as one item with its list entries:
//!
//! * `by_kind` `DEAL` — all deals, newest first;
//! * `by_owner` — the owner's deals;
//! * `by_parent` `STAGE#{stage_id}` — the board column, last changed first
//!   (the index the spec's data model suggests: `deals (tenant_id, pipeline_id, stage_id, updated_at DESC)`);
//! * `by_lookup` `DEALPIPELINE#{pipeline_id}` — a pipeline's deals;
//!
//! and a link item per contact and company on it ([`Deal::party_key`]).

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, Currency, EntityId, TenantId, Timestamp, UserId};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pipeline::Stage;

pub const DEAL: &str = "DEAL";
pub const STATUSES: &[&str] = DealStatus::ALL;
pub const CONTACT_ROLES: &[&str] = &["decision_maker", "influencer", "other"];
pub const COMPANY_ROLES: &[&str] = &["primary", "secondary"];
/// The coded dictionary of lost reasons (the spec leaves open whether one is required; we require it, ADR 0015).
pub const LOST_REASONS: &[&str] = &["price", "competitor", "no_budget", "no_decision", "timing", "product_fit", "unresponsive", "other"];
/// The lost reasons' labels, English and Arabic (`GET /v1/deals/lost-reasons`).
pub const LOST_REASON_LABELS: &[(&str, &str, &str)] = &[
    ("price", "Price", "السعر"),
    ("competitor", "Went with a competitor", "اختار منافسًا"),
    ("no_budget", "No budget", "لا توجد ميزانية"),
    ("no_decision", "No decision", "لم يُتخذ قرار"),
    ("timing", "Timing", "التوقيت"),
    ("product_fit", "Product fit", "ملاءمة المنتج"),
    ("unresponsive", "Stopped responding", "توقف عن الرد"),
    ("other", "Other", "أخرى"),
];
pub const MAX_CONTACTS: usize = 20;
pub const MAX_COMPANIES: usize = 10;
pub const MAX_WATCHERS: usize = 10;
pub const MAX_UNITS: usize = 20;

/// A linked record and its role on the deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Party {
    pub id: EntityId,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DealFields {
    pub name: String,
    /// Minor units (cents): 120 000 USD is `12000000`.
    pub amount: i64,
    pub currency: Currency,
    /// 0–100, with up to two decimals; what approval policies look at.
    #[serde(default)]
    pub discount_pct: Option<f64>,
    pub owner_user_id: Option<UserId>,
    /// `YYYY-MM-DD`: the expected (or actual) close.
    pub close_date: Option<String>,
    #[serde(default)]
    pub contacts: Vec<Party>,
    #[serde(default)]
    pub companies: Vec<Party>,
    /// Users told about stage changes and the outcome (the owner always is).
    #[serde(default)]
    pub watchers: Vec<UserId>,
    /// Property units the deal is for (M3CoreCRM §5.8): won, they are sold
    /// to it; lost or deleted, released (the inventory reactor).
    #[serde(default)]
    pub units: Vec<EntityId>,
    #[serde(default)]
    pub custom_fields: crm_records::custom_fields::Values,
}

crm_kernel::named_enum! {
    /// Where a deal stands: it follows its stage (a win stage is won, a loss
    /// stage lost, any other open).
    pub enum DealStatus { Open = "open", Won = "won", Lost = "lost" }
}

impl DealStatus {
    /// The status a deal has in `stage`.
    pub fn of(stage: &Stage) -> Self {
        if stage.is_win {
            DealStatus::Won
        } else if stage.is_loss {
            DealStatus::Lost
        } else {
            DealStatus::Open
        }
    }
}

/// How a deal changes stage — the three moves the API offers.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    /// To another open stage (`move-stage`; reopens a closed deal).
    Stage,
    /// To the pipeline's win stage (`mark-won`).
    Win,
    /// To the pipeline's loss stage (`mark-lost`), with why.
    Lose { reason_code: String, note: Option<String> },
}

impl Move {
    /// The approvable action code, if policies may hold this move.
    pub fn action(&self) -> Option<&'static str> {
        match self {
            Move::Stage => Some("deal.stage.move"),
            Move::Win => Some("deal.mark.win"),
            Move::Lose { .. } => None,
        }
    }

    pub fn event(&self) -> crm_events::EventType {
        match self {
            Move::Stage => crm_events::types::DEAL_STAGE_MOVED,
            Move::Win => crm_events::types::DEAL_WON,
            Move::Lose { .. } => crm_events::types::DEAL_LOST,
        }
    }

    /// The notice family the owner and watchers get.
    pub fn family(&self) -> &'static str {
        match self {
            Move::Stage => "deal.stage_moved",
            Move::Win => "deal.won",
            Move::Lose { .. } => "deal.lost",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Deal {
    pub id: EntityId,
    pub tenant_id: TenantId,
    #[serde(flatten)]
    pub fields: DealFields,
    pub pipeline_id: EntityId,
    pub stage_id: EntityId,
    pub status: DealStatus,
    /// When the deal entered its current stage (time in stage = now − this).
    pub stage_entered_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub lost_reason_code: Option<String>,
    pub lost_reason_note: Option<String>,
    /// The lead this deal was converted from.
    #[serde(default)]
    pub lead_id: Option<EntityId>,
    pub created_by: UserId,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// A contact or company on a deal, as received: `{id, role?}`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyInput {
    pub id: EntityId,
    /// A contact's `decision_maker` (default), `influencer` or `other`; a
    /// company's `primary` (default) or `secondary`.
    #[serde(default)]
    #[schemars(extend("enum" = ["decision_maker", "influencer", "other", "primary", "secondary"]))]
    pub role: Option<String>,
}

/// The body of `POST /v1/deals` and `PATCH /v1/deals/{id}` (and a lead
/// conversion's `deal`): absent keeps, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DealChanges {
    /// Required on create; 1 to 200 characters.
    #[schemars(length(max = 200))]
    pub name: Input<String>,
    /// Minor units (cents), 0 to 10^18: 120 000 USD is `12000000`.
    #[schemars(range(min = 0, max = 1_000_000_000_000_000_i64))]
    pub amount: Input<i64>,
    /// ISO 4217 (`USD`, `EGP`, `AED`); default USD.
    #[schemars(regex(pattern = r"^[A-Za-z]{3}$"))]
    pub currency: Input<String>,
    /// 0 to 100, rounded to two decimals.
    #[schemars(range(min = 0, max = 100))]
    pub discount_pct: Input<f64>,
    /// Defaults to the caller on create.
    pub owner_user_id: Input<UserId>,
    /// `YYYY-MM-DD`.
    #[schemars(extend("format" = "date"))]
    pub close_date: Input<String>,
    /// At most 20 `{id, role}`.
    #[schemars(length(max = 20))]
    pub contacts: Input<Vec<Input<PartyInput>>>,
    /// At most 10 `{id, role}`, one `primary`.
    #[schemars(length(max = 10))]
    pub companies: Input<Vec<Input<PartyInput>>>,
    /// At most 10 user ids, told about stage changes and the outcome.
    #[schemars(length(max = 10))]
    pub watchers: Input<Vec<Input<UserId>>>,
    /// At most 20 ids of the tenant's property units.
    #[schemars(length(max = 20))]
    pub units: Input<Vec<Input<EntityId>>>,
    /// `{code: value}` of the tenant's custom fields for deals.
    pub custom_fields: Input<crm_records::custom_fields::Values>,
    /// Create only (default: the default pipeline); a patch moves with `move-stage`.
    pub pipeline_id: Input<EntityId>,
    /// Create only (default: the pipeline's first open stage).
    pub stage_id: Input<EntityId>,
    /// Refused: it follows the stage (`mark-won`, `mark-lost`, `move-stage`).
    #[schemars(skip)]
    pub status: Input<Value>,
}

/// A list of `{id, role}` (roles default to the first of `roles`), deduplicated.
fn parties(f: &mut Fields, field: &str, input: Input<Vec<Input<PartyInput>>>, roles: &[&str], max: usize) -> Option<Vec<Party>> {
    let list = match input {
        Input::Absent => return None,
        Input::Given(list) if list.len() <= max => list,
        Input::Given(_) => {
            f.error(field, format!("at most {max}"));
            return Some(Vec::new());
        }
        _ => {
            f.error(field, "must be a list of {id, role}");
            return Some(Vec::new());
        }
    };
    let mut out: Vec<Party> = Vec::new();
    for (i, p) in list.into_iter().enumerate() {
        match p {
            Input::Given(PartyInput { role: Some(r), .. }) if !roles.contains(&r.as_str()) => {
                f.error(&format!("{field}[{i}].role"), format!("must be one of {}", roles.join(", ")))
            }
            Input::Given(p) if out.iter().any(|o| o.id == p.id) => {}
            Input::Given(p) => out.push(Party { id: p.id, role: p.role.unwrap_or_else(|| roles[0].to_string()) }),
            _ => f.error(&format!("{field}[{i}].id"), "must be an id"),
        }
    }
    Some(out)
}

impl DealFields {
    pub fn blank(currency: Currency) -> Self {
        Self {
            name: String::new(),
            amount: 0,
            currency,
            discount_pct: None,
            owner_user_id: None,
            close_date: None,
            contacts: Vec::new(),
            companies: Vec::new(),
            watchers: Vec::new(),
            units: Vec::new(),
            custom_fields: Default::default(),
        }
    }

    /// Applies a change set (absent = keep, `null` = clear) to `base`.
    /// `creating` also accepts `pipeline_id` and `stage_id` (read by the caller).
    pub fn apply(base: &Self, c: DealChanges, creating: bool) -> Result<Self, AppError> {
        let mut f = Fields::new();
        f.refuse("status", &c.status, "changes with mark-won, mark-lost or move-stage");
        if !creating {
            f.refuse("pipeline_id", &c.pipeline_id, "moves with POST /v1/deals/{id}/move-stage");
            f.refuse("stage_id", &c.stage_id, "moves with POST /v1/deals/{id}/move-stage");
        }
        let mut next = base.clone();
        if let Some(n) = f.text("name", c.name, 200) {
            next.name = n.unwrap_or_default();
        }
        if let Some(a) = f.int("amount", c.amount, 0..=1_000_000_000_000_000) {
            next.amount = a;
        }
        let currency = "must be an ISO 4217 code such as USD, EGP, AED";
        if let Some(code) = f.set("currency", c.currency, currency) {
            match Currency::parse(&code) {
                Ok(cur) => next.currency = cur,
                Err(_) => f.error("currency", currency),
            }
        }
        if let Some(d) = f.number("discount_pct", c.discount_pct, 0.0..=100.0) {
            next.discount_pct = d.map(|x| (x * 100.0).round() / 100.0);
        }
        if let Some(v) = f.user_id("owner_user_id", c.owner_user_id) {
            next.owner_user_id = v;
        }
        if let Some(d) = f.date("close_date", c.close_date) {
            next.close_date = d.map(|d| d.format("%Y-%m-%d").to_string());
        }
        if let Some(list) = parties(&mut f, "contacts", c.contacts, CONTACT_ROLES, MAX_CONTACTS) {
            next.contacts = list;
        }
        if let Some(list) = parties(&mut f, "companies", c.companies, COMPANY_ROLES, MAX_COMPANIES) {
            next.companies = list;
            if next.companies.iter().filter(|c| c.role == "primary").count() > 1 {
                f.error("companies", "at most one primary company");
            }
        }
        if matches!(c.watchers, Input::Null) {
            // Watchers are replaced, never cleared by `null`.
            f.error("watchers", format!("must be a list of at most {MAX_WATCHERS} user ids"));
        } else if let Some(list) = f.id_list("watchers", c.watchers, MAX_WATCHERS, "user") {
            next.watchers = list;
        }
        if let Some(list) = f.id_list("units", c.units, MAX_UNITS, "unit") {
            next.units = list;
        }
        f.require("name", !next.name.is_empty());
        f.finish(next)
    }
}

impl Deal {
    /// This deal after `how` took it into stage `to` at `now` — the next
    /// version, entered now, its status the stage's, closed when won or
    /// lost (a win without a close date closes today), the loss reason kept
    /// only for a loss. Pure: the caller writes it.
    pub fn move_to(&self, to: &Stage, how: &Move, now: Timestamp) -> Deal {
        let status = DealStatus::of(to);
        let mut next = Deal { stage_id: to.id, status, stage_entered_at: now, updated_at: now, version: self.version + 1, ..self.clone() };
        next.closed_at = (status != DealStatus::Open).then_some(now);
        (next.lost_reason_code, next.lost_reason_note) = match how {
            Move::Lose { reason_code, note } => (Some(reason_code.clone()), note.clone()),
            _ => (None, None),
        };
        if status == DealStatus::Won && next.fields.close_date.is_none() {
            next.fields.close_date = Some(now.date());
        }
        next
    }
}

impl Deal {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, DEAL, id)
    }

    pub fn stage_pk(tenant: TenantId, stage: EntityId) -> String {
        keys::by_parent_pk(tenant, "STAGE", &stage.to_string())
    }

    pub fn pipeline_pk(tenant: TenantId, pipeline: EntityId) -> String {
        keys::by_lookup_pk(tenant, "DEALPIPELINE", &pipeline.to_string())
    }

    /// The link of a contact or company (`party`) to a deal: one item in the
    /// party's `DEALPARTY` partition, so "this contact's deals" is one Query.
    pub fn party_key(tenant: TenantId, party: EntityId, deal: EntityId) -> Key {
        keys::deal_party(tenant, &party.to_string(), &deal.to_string())
    }

    /// The ids of the contacts and companies on the deal.
    pub fn parties(&self) -> Vec<(EntityId, &'static str, &str)> {
        let contacts = self.fields.contacts.iter().map(|p| (p.id, "contact", p.role.as_str()));
        contacts.chain(self.fields.companies.iter().map(|p| (p.id, "company", p.role.as_str()))).collect()
    }

    /// The close month the forecast files the deal under (`none` without a close date).
    pub fn close_month(&self) -> &str {
        self.fields.close_date.as_deref().map(|d| &d[..7]).unwrap_or("none")
    }

    /// The amount in major units (SalesOS `value`): `12000000` USD cents → `120000.0`.
    pub fn value(&self) -> f64 {
        self.fields.amount as f64 / 10f64.powi(self.fields.currency.minor_unit_exponent() as i32)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        let t = self.tenant_id;
        let recent = format!("{}#{}", self.created_at, self.id);
        let mut it = item::to_item(&Self::key(t, self.id), self)?
            .with_str("kind", "deal")
            .with_index(Index::ByKind, keys::by_kind_pk(t, DEAL), recent.clone())
            .with_index(Index::ByParent, Self::stage_pk(t, self.stage_id), format!("{}#{}", self.updated_at, self.id))
            .with_index(Index::ByLookup, Self::pipeline_pk(t, self.pipeline_id), recent.clone());
        if let Some(o) = self.fields.owner_user_id {
            it = it.with_index(Index::ByOwner, keys::by_owner_pk(t, DEAL, &o.to_string()), recent);
        }
        Ok(it)
    }

    /// What the API shows of a deal to `reader`: the record plus `value` in
    /// major units (SalesOS), without the amount unless they may read it
    /// (`deal.amount.read`, [`crm_auth::sensitive`]).
    pub fn public(&self, reader: &crm_auth::Principal) -> DealReply {
        crm_auth::sensitive::Redacted::for_reader(DealView { deal: self.clone(), value: self.value() }, reader)
    }
}

/// A deal as the API shows it: the deal and its amount in major units.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DealView {
    #[serde(flatten)]
    pub deal: Deal,
    /// `amount` in major units of `currency` (120000.0 for 12000000 USD cents).
    pub value: f64,
}

impl crm_auth::sensitive::Sensitivity for DealView {
    const SENSITIVE: &'static [crm_auth::sensitive::Sensitive] = crm_auth::sensitive::DEAL;
}

/// A deal as one reader may see it (the replies' `data`).
pub type DealReply = crm_auth::sensitive::Redacted<DealView>;

/// An open deal for unit tests.
#[cfg(test)]
pub(crate) fn sample(stage: EntityId, amount: i64, currency: &str, close: Option<&str>) -> Deal {
    let now = Timestamp::now();
    Deal {
        id: EntityId::new(),
        tenant_id: TenantId::new(),
        fields: DealFields {
            amount,
            close_date: close.map(str::to_string),
            ..DealFields::blank(Currency::parse(currency).expect("a currency"))
        },
        pipeline_id: EntityId::new(),
        stage_id: stage,
        status: DealStatus::Open,
        stage_entered_at: now,
        closed_at: None,
        lost_reason_code: None,
        lost_reason_note: None,
        lead_id: None,
        created_by: UserId::new(),
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stage(win: bool, loss: bool) -> Stage {
        Stage { id: EntityId::new(), name: "S".into(), probability_pct: 50, is_win: win, is_loss: loss }
    }

    #[test]
    fn a_move_follows_the_stage_closes_on_a_win_or_loss_and_reopens() {
        let now = Timestamp::now();
        let open = sample(EntityId::new(), 1_000, "USD", None);
        let won = open.move_to(&stage(true, false), &Move::Win, now);
        assert_eq!((won.status, won.closed_at, won.version), (DealStatus::Won, Some(now), open.version + 1));
        assert_eq!(won.fields.close_date, Some(now.date()), "a win without a close date closes today");
        let lose = Move::Lose { reason_code: "price".into(), note: Some("too dear".into()) };
        let lost = open.move_to(&stage(false, true), &lose, now);
        assert_eq!(
            (lost.status, lost.lost_reason_code.as_deref(), lost.lost_reason_note.as_deref()),
            (DealStatus::Lost, Some("price"), Some("too dear"))
        );
        assert_eq!(lost.fields.close_date, None, "a loss keeps the expected date as it was");
        let reopened = lost.move_to(&stage(false, false), &Move::Stage, now);
        assert_eq!((reopened.status, reopened.closed_at, reopened.lost_reason_code), (DealStatus::Open, None, None));
        assert_eq!(reopened.stage_entered_at, now);
    }

    #[test]
    fn moves_name_their_action_event_and_notice() {
        assert_eq!(
            (Move::Win.action(), Move::Win.event(), Move::Win.family()),
            (Some("deal.mark.win"), crm_events::types::DEAL_WON, "deal.won")
        );
        let lose = Move::Lose { reason_code: "price".into(), note: None };
        assert_eq!((lose.action(), lose.event().as_str()), (None, "deal.lost"), "a loss needs no approval");
    }

    fn changes(v: Value) -> DealChanges {
        serde_json::from_value(v).unwrap()
    }

    fn usd() -> Currency {
        Currency::parse("USD").unwrap()
    }

    #[test]
    fn creates_parse_money_parties_and_dates() {
        let c = json!({"id": EntityId::new().to_string(), "role": "decision_maker"});
        let f = DealFields::apply(
            &DealFields::blank(usd()),
            changes(json!({"name": " Acme Enterprise License ", "amount": 12000000, "currency": "usd", "discount_pct": 12.345,
                    "close_date": "2026-12-31", "contacts": [c, c], "pipeline_id": "x"})),
            true,
        )
        .unwrap();
        assert_eq!((f.name.as_str(), f.amount, f.currency.code()), ("Acme Enterprise License", 12000000, "USD"));
        assert_eq!((f.discount_pct, f.close_date.as_deref(), f.contacts.len()), (Some(12.35), Some("2026-12-31"), 1));
    }

    #[test]
    fn every_problem_is_named_and_stages_move_elsewhere() {
        let err = DealFields::apply(
            &DealFields::blank(usd()),
            changes(json!({"amount": 12.5, "currency": "XXX", "discount_pct": 120, "close_date": "31/12/2026", "status": "won",
                    "companies": [{"id": EntityId::new().to_string(), "role": "primary"}, {"id": EntityId::new().to_string(), "role": "primary"}],
                    "contacts": [{"id": "nope"}], "stage_id": "s"})),
            false,
        )
        .unwrap_err();
        let mut fields: Vec<_> = err.details().iter().map(|d| d.field.clone()).collect();
        fields.sort();
        assert_eq!(
            fields,
            vec!["amount", "close_date", "companies", "contacts[0].id", "currency", "discount_pct", "name", "stage_id", "status"]
        );
    }

    #[test]
    fn every_lost_reason_has_its_labels() {
        let codes: Vec<&str> = LOST_REASON_LABELS.iter().map(|(c, _, _)| *c).collect();
        assert_eq!(codes, LOST_REASONS);
    }

    #[test]
    fn value_is_in_major_units() {
        let d = sample(EntityId::new(), 5_000_000, "USD", None);
        assert_eq!((d.value(), d.close_month()), (50_000.0, "none"));
        let reader = crm_auth::Principal::with_roles(
            d.tenant_id,
            crm_kernel::UserId::new(),
            vec!["viewer".into()],
            crm_auth::AuthMethod::AccessToken,
        );
        assert_eq!(d.public(&reader).view.value, 50000.0);
        let mut blind = reader.clone();
        blind.permissions.remove(crm_auth::rbac::DEAL_AMOUNT_READ.0);
        let seen = serde_json::to_value(d.public(&blind)).unwrap();
        assert_eq!((seen.get("amount"), seen.get("value"), seen["hidden_fields"].clone()), (None, None, serde_json::json!(["amount"])));
    }
}
