//! A pipeline (the spec's `pipelines` and `pipeline_stages` tables): a named,
//! ordered list of stages, each with a win probability and at most one of
//! the `is_win` / `is_loss` outcomes. The stages live on the pipeline's own
//! item (a pipeline has a handful, at most [`MAX_STAGES`]), so reading a
//! pipeline — and checking a move against it — is one GetItem.
//!
//! Rules ([`Pipeline::check_stages`], pure): 1–[`MAX_STAGES`] stages with
//! unique names; exactly one win stage and one loss stage (`mark-won` and
//! `mark-lost` move there); the win stage is 100 %, the loss stage 0 %.

use crm_kernel::fields::{Fields, Input};
use crm_kernel::{AppError, EntityId, FieldError, TenantId, Timestamp};
use crm_store::item::ItemExt;
use crm_store::{item, keys, Index, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

pub const PIPELINE: &str = "PIPELINE";
pub const MAX_STAGES: usize = 20;

/// A stage as received (`POST /v1/pipelines/{id}/stages`, `PATCH
/// …/stages/{stageId}`, a new pipeline's `stages`): absent keeps.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StageRequest {
    /// Required on create; 1 to 80 characters, unique in the pipeline.
    #[schemars(length(max = 80))]
    pub name: Input<String>,
    /// 0 to 100 (a win stage is 100, a loss stage 0).
    #[schemars(range(min = 0, max = 100))]
    pub probability_pct: Input<i64>,
    pub is_win: Input<bool>,
    pub is_loss: Input<bool>,
    /// Where it goes, 0-based (a new stage goes before the closed ones);
    /// a new pipeline's stages are in list order.
    #[schemars(range(min = 0, max = 19))]
    pub position: Input<u64>,
}

impl StageRequest {
    /// The position asked for among `len` stages (0-based), if any.
    pub fn position(&self, len: usize) -> Result<Option<usize>, AppError> {
        match self.position {
            Input::Absent | Input::Null => Ok(None),
            Input::Given(i) if (i as usize) < len => Ok(Some(i as usize)),
            _ => Err(AppError::invalid("position", format!("must be 0 to {}", len.saturating_sub(1)))),
        }
    }
}

/// The body of `POST /v1/pipelines`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NewPipeline {
    /// Required; 1 to 120 characters.
    #[schemars(length(max = 120))]
    pub name: Input<String>,
    #[schemars(length(max = 1000))]
    pub description: Input<String>,
    pub is_active: Input<bool>,
    /// 1 to 20 stages, one win and one loss (default: a B2B funnel).
    #[schemars(length(min = 1, max = 20))]
    pub stages: Input<Vec<Input<StageRequest>>>,
}

/// The body of `PATCH /v1/pipelines/{id}` (stages change under `/stages`).
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PipelineChanges {
    #[schemars(length(max = 120))]
    pub name: Input<String>,
    #[schemars(length(max = 1000))]
    pub description: Input<String>,
    /// The default pipeline cannot be archived.
    pub is_active: Input<bool>,
    /// Only `true`: this pipeline becomes the default, the old one stops being it.
    pub is_default: Input<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stage {
    pub id: EntityId,
    pub name: String,
    /// 0–100: the weight of this stage's deals in the forecast.
    pub probability_pct: u8,
    #[serde(default)]
    pub is_win: bool,
    #[serde(default)]
    pub is_loss: bool,
}

impl Stage {
    pub fn is_open(&self) -> bool {
        !self.is_win && !self.is_loss
    }

    /// A stage's changes applied to `base` (absent keeps). Every problem is
    /// named under `at` (`stages[2]`; empty at the top of a body).
    pub fn apply(base: &Stage, c: StageRequest, at: &str, errors: &mut Vec<FieldError>) -> Stage {
        let mut s = base.clone();
        let mut f = if at.is_empty() { Fields::new() } else { Fields::nested(at) };
        if let Some(n) = f.text("name", c.name, 80) {
            match n {
                Some(n) => s.name = n,
                None => f.error("name", "is required"),
            }
        }
        if let Some(p) = f.int("probability_pct", c.probability_pct, 0..=100) {
            s.probability_pct = p as u8;
        }
        for (flag, input, slot) in [("is_win", c.is_win, &mut s.is_win), ("is_loss", c.is_loss, &mut s.is_loss)] {
            if let Some(b) = f.bool(flag, input) {
                *slot = b;
            }
        }
        if s.is_win {
            s.probability_pct = 100;
        }
        if s.is_loss {
            s.probability_pct = 0;
        }
        errors.extend(f.into_errors());
        s
    }

    fn blank() -> Stage {
        Stage { id: EntityId::new(), name: String::new(), probability_pct: 0, is_win: false, is_loss: false }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Pipeline {
    pub id: EntityId,
    pub tenant_id: TenantId,
    pub name: String,
    pub description: Option<String>,
    pub is_active: bool,
    /// The pipeline new deals and converted leads land in when none is named.
    pub is_default: bool,
    pub stages: Vec<Stage>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: u64,
}

/// The stages a pipeline gets when it is created without any: a B2B sales
/// funnel with the usual probabilities (the spec leaves default stage probabilities open; ADR 0015).
pub fn default_stages() -> Vec<Stage> {
    [
        ("Qualification", 10, false, false),
        ("Needs analysis", 25, false, false),
        ("Proposal", 50, false, false),
        ("Negotiation", 75, false, false),
        ("Won", 100, true, false),
        ("Lost", 0, false, true),
    ]
    .into_iter()
    .map(|(name, p, w, l)| Stage { id: EntityId::new(), name: name.into(), probability_pct: p, is_win: w, is_loss: l })
    .collect()
}

impl Pipeline {
    pub fn key(tenant: TenantId, id: EntityId) -> Key {
        keys::entity(tenant, PIPELINE, id)
    }

    pub fn to_item(&self) -> Result<Item, StoreError> {
        Ok(item::to_item(&Self::key(self.tenant_id, self.id), self)?.with_str("kind", "pipeline").with_index(
            Index::ByKind,
            keys::by_kind_pk(self.tenant_id, PIPELINE),
            format!("{}#{}", self.created_at, self.id),
        ))
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id.to_string() == id)
    }

    pub fn first_open(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.is_open())
    }

    pub fn win_stage(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.is_win)
    }

    pub fn loss_stage(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.is_loss)
    }

    /// A new pipeline's name, description, `is_active` and stages applied to `self`.
    pub fn create(&mut self, c: NewPipeline) -> Result<(), AppError> {
        let mut f = Fields::new();
        self.describe(&mut f, c.name, c.description, c.is_active);
        match c.stages {
            Input::Absent => {}
            Input::Given(list) => {
                let mut errors = Vec::new();
                self.stages = list
                    .into_iter()
                    .enumerate()
                    .map(|(i, input)| {
                        let at = format!("stages[{i}]");
                        match input {
                            Input::Given(c) if c.position.is_present() => {
                                errors.push(FieldError::new(format!("{at}.position"), "a new pipeline's stages are in list order"));
                                Stage::blank()
                            }
                            Input::Given(c) => Stage::apply(&Stage::blank(), c, &at, &mut errors),
                            _ => {
                                errors.push(FieldError::new(&at, "must be {name, probability_pct?, is_win?, is_loss?}"));
                                Stage::blank()
                            }
                        }
                    })
                    .collect();
                f.absorb(errors);
                for (i, s) in self.stages.iter().enumerate() {
                    f.require(&format!("stages[{i}].name"), !s.name.is_empty());
                }
            }
            _ => f.error("stages", "must be a list of stages"),
        }
        f.require("name", !self.name.is_empty());
        f.finish(())?;
        self.check_stages()
    }

    /// Name, description and `is_active` applied to `self` (`is_default`
    /// is the caller's: it changes another pipeline too).
    pub fn change(&mut self, c: PipelineChanges) -> Result<(), AppError> {
        let mut f = Fields::new();
        self.describe(&mut f, c.name, c.description, c.is_active);
        f.finish(())?;
        self.check_stages()
    }

    fn describe(&mut self, f: &mut Fields, name: Input<String>, description: Input<String>, is_active: Input<bool>) {
        if let Some(n) = f.text("name", name, 120) {
            match n {
                Some(n) => self.name = n,
                None => f.error("name", "is required"),
            }
        }
        if let Some(d) = f.text("description", description, 1000) {
            self.description = d;
        }
        if let Some(b) = f.bool("is_active", is_active) {
            self.is_active = b;
        }
    }

    /// The stage rules (see the module docs).
    pub fn check_stages(&self) -> Result<(), AppError> {
        let s = &self.stages;
        if s.is_empty() || s.len() > MAX_STAGES {
            return Err(AppError::invalid("stages", format!("a pipeline has 1 to {MAX_STAGES} stages")));
        }
        for (i, st) in s.iter().enumerate() {
            if st.is_win && st.is_loss {
                return Err(AppError::invalid(format!("stages[{i}]"), "a stage cannot both win and lose"));
            }
            if s[..i].iter().any(|o| o.name.to_lowercase() == st.name.to_lowercase()) {
                return Err(AppError::invalid(format!("stages[{i}].name"), "another stage has this name"));
            }
        }
        if s.iter().filter(|x| x.is_win).count() != 1 || s.iter().filter(|x| x.is_loss).count() != 1 {
            return Err(AppError::invalid("stages", "a pipeline has exactly one win stage and one loss stage"));
        }
        if !s.iter().any(Stage::is_open) {
            return Err(AppError::invalid("stages", "a pipeline needs at least one open stage"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn new(v: serde_json::Value) -> NewPipeline {
        serde_json::from_value(v).unwrap()
    }

    fn blank() -> Pipeline {
        Pipeline {
            id: EntityId::new(),
            tenant_id: TenantId::new(),
            name: String::new(),
            description: None,
            is_active: true,
            is_default: false,
            stages: default_stages(),
            created_at: Timestamp::now(),
            updated_at: Timestamp::now(),
            version: 1,
        }
    }

    #[test]
    fn default_stages_keep_the_rules() {
        let mut p = blank();
        p.create(new(json!({"name": "Sales"}))).unwrap();
        assert_eq!(p.win_stage().unwrap().probability_pct, 100);
        assert_eq!(p.first_open().unwrap().name, "Qualification");
    }

    #[test]
    fn stage_lists_are_checked_and_every_problem_named() {
        let mut p = blank();
        let err = p
            .create(new(json!({"name": "", "stages": [{"name": "A", "probability_pct": 140}, {"probability_pct": 5}, {"name": "W", "is_win": "yes"}]})))
            .unwrap_err();
        let fields: Vec<_> = err.details().iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "stages[0].probability_pct", "stages[2].is_win", "stages[1].name"]);
        let two_wins = json!({"name": "P", "stages": [{"name": "A"}, {"name": "W", "is_win": true}, {"name": "W2", "is_win": true}, {"name": "L", "is_loss": true}]});
        assert!(blank().create(new(two_wins)).is_err());
        let dup =
            json!({"name": "P", "stages": [{"name": "A"}, {"name": "a"}, {"name": "W", "is_win": true}, {"name": "L", "is_loss": true}]});
        assert!(blank().create(new(dup)).is_err());
        let no_open = json!({"name": "P", "stages": [{"name": "W", "is_win": true}, {"name": "L", "is_loss": true}]});
        assert!(blank().create(new(no_open)).is_err());
        let ok = json!({"name": "P", "stages": [{"name": "A", "probability_pct": 30}, {"name": "W", "is_win": true, "probability_pct": 20}, {"name": "L", "is_loss": true}]});
        let mut p = blank();
        p.create(new(ok)).unwrap();
        assert_eq!(p.win_stage().unwrap().probability_pct, 100, "a win stage is always 100 %");
    }
}
