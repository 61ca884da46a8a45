//! `POST /v1/companies` — create a company (the owner defaults to the
//! caller). One transaction: the company, its search terms, `company.created`
//! and its audit entry.

use crm_events::audit::AuditExt;
use crm_http::{Call, Reply};
use crm_kernel::{AppError, EntityId, Timestamp};
use crm_store::Tx;
use serde_json::json;

use crate::company::{Company, CompanyChanges, CompanyFields, COMPANY};
use crate::{search_index, App};

pub async fn handle(app: &App, call: Call) -> Result<Reply, AppError> {
    let p = call.principal()?.clone();
    let mut changes: CompanyChanges = call.json()?;
    let custom = std::mem::take(&mut changes.custom_fields);
    let owner_given = changes.owner_user_id.is_present();
    let mut fields = CompanyFields::apply(&CompanyFields::blank(), changes)?;
    if !owner_given {
        fields.owner_user_id = Some(p.user_id);
    }
    crm_records::write::check_owner(&app.store, p.tenant_id, fields.owner_user_id).await?;
    let now = Timestamp::now();
    let company = Company {
        id: EntityId::new(),
        tenant_id: p.tenant_id,
        fields,
        created_by: p.user_id,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let event = crm_events::DomainEvent::caused_by(
        &call,
        crm_events::types::COMPANY_CREATED,
        crate::companies::subject(&company),
        json!({ "name": company.fields.name, "domain": company.fields.domain, "owner_user_id": company.fields.owner_user_id }),
    )?;
    let (values, tx) = crm_records::write::custom_values(&app.store, &p, "company", &Default::default(), custom, true, Tx::new()).await?;
    let company = Company { fields: CompanyFields { custom_fields: values, ..company.fields }, ..company };
    let tx = tx.put_new("company", company.to_item()?).emit_audited(&event);
    let tx = search_index::write(tx, p.tenant_id, COMPANY, company.id, &[], &company.fields.terms())?;
    let tx = super::super::take_quota(tx, &p, "companies.max");
    if let Err(e) = app.store.transact(tx).await {
        return Err(match &e {
            crm_store::StoreError::ConditionFailed { label } => {
                super::super::quota_refused(&p, label).or_else(|| super::super::custom_conflict(label)).unwrap_or_else(|| e.into())
            }
            _ => e.into(),
        });
    }
    Ok(Reply::created(format!("/v1/companies/{}", company.id), &company).etag(company.version))
}
