//! The Stripe adapter: a real HTTP client of Stripe's REST API
//! (`STRIPE_BASE_URL`, default `https://api.stripe.com`; the key is
//! `STRIPE_API_KEY` from Secrets Manager). Bodies are form-encoded with
//! Stripe's bracket keys (`metadata[tenantId]`, `period[start]`), every
//! request carries `Authorization: Bearer sk_…`, and every POST an
//! `Idempotency-Key` derived from what it does (`invoice-{id}`,
//! `invoiceitem-{id}-{line}`), so a retried close never bills twice.
//!
//! Usage reaches Stripe as invoice items of the invoice billing drafted
//! (ADR 0028): one item per line, in minor units, then the invoice is
//! finalised.

use crm_kernel::{Env, TenantId};
use serde_json::Value;

use crate::invoices::Invoice;

/// The API version the adapter speaks.
pub const API_VERSION: &str = "2026-07-29.dahlia";

/// Why a call failed, and whether trying again can help (429, 5xx, network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeError {
    pub retryable: bool,
    pub status: u16,
    pub detail: String,
}

impl std::fmt::Display for StripeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stripe answered {}: {}", self.status, self.detail)
    }
}

pub struct Stripe {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
}

impl Stripe {
    /// The adapter, if `STRIPE_API_KEY` is configured.
    pub fn from_env(env: &Env) -> Result<Option<Self>, String> {
        let Some(key) = env.get("STRIPE_API_KEY").filter(|k| *k != "set-me") else { return Ok(None) };
        if !(key.starts_with("sk_") || key.starts_with("rk_")) {
            return Err("STRIPE_API_KEY must be a secret or restricted key (sk_… or rk_…)".into());
        }
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(20)).build().map_err(|e| e.to_string())?;
        let base_url = env.get("STRIPE_BASE_URL").unwrap_or("https://api.stripe.com").trim_end_matches('/').to_string();
        Ok(Some(Self { http, base_url, api_key: key.to_string() }))
    }

    async fn post(&self, path: &str, idempotency_key: &str, params: &[(String, String)]) -> Result<Value, StripeError> {
        let body = form(params);
        let sent = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.api_key)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("idempotency-key", idempotency_key)
            .header("stripe-version", API_VERSION)
            .body(body)
            .send()
            .await
            .map_err(|e| StripeError { retryable: true, status: 0, detail: e.to_string() })?;
        let status = sent.status().as_u16();
        let text = sent.text().await.map_err(|e| StripeError { retryable: true, status, detail: e.to_string() })?;
        if !(200..300).contains(&status) {
            // Stripe's error body: {error: {type, code, message, param}}; never the key.
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            let e = &v["error"];
            // 401/403: our key is wrong or rotated — configuration, not the
            // invoice: retried until it is fixed.
            return Err(StripeError {
                retryable: matches!(status, 401 | 403 | 409 | 429) || status >= 500,
                status,
                detail: format!(
                    "{} {} {}",
                    e["type"].as_str().unwrap_or("?"),
                    e["code"].as_str().unwrap_or(""),
                    e["message"].as_str().unwrap_or("")
                ),
            });
        }
        serde_json::from_str(&text).map_err(|_| StripeError { retryable: false, status, detail: "not JSON".into() })
    }

    /// `POST /v1/customers`: the tenant's customer (once per tenant).
    pub async fn create_customer(&self, t: TenantId, name: &str, email: Option<&str>) -> Result<String, StripeError> {
        let v = self.post("/v1/customers", &format!("customer-{t}"), &customer_params(t, name, email)).await?;
        id_of(&v)
    }

    /// `POST /v1/invoices`: our invoice's draft on Stripe, not advancing by
    /// itself (`auto_advance=false`) until every line is on it.
    pub async fn create_invoice(&self, customer: &str, invoice: &Invoice) -> Result<String, StripeError> {
        let created = self.post("/v1/invoices", &format!("invoice-{}", invoice.id), &invoice_params(customer, invoice)).await?;
        id_of(&created)
    }

    /// A `GET` of Stripe's API.
    async fn get(&self, path: &str) -> Result<Value, StripeError> {
        let sent = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.api_key)
            .header("stripe-version", API_VERSION)
            .send()
            .await
            .map_err(|e| StripeError { retryable: true, status: 0, detail: e.to_string() })?;
        let status = sent.status().as_u16();
        let v: Value = sent.json().await.map_err(|e| StripeError { retryable: true, status, detail: e.to_string() })?;
        if (200..300).contains(&status) {
            Ok(v)
        } else {
            Err(StripeError {
                retryable: matches!(status, 401 | 403 | 429) || status >= 500,
                status,
                detail: v["error"]["message"].as_str().unwrap_or("").to_string(),
            })
        }
    }

    /// Puts on Stripe's draft `stripe_id` every line of `invoice` it does not
    /// hold yet (each item names its line: `metadata[line]`), then finalises
    /// it (`auto_advance=true`: Stripe collects). Safe to repeat at any step,
    /// however long after: what is there is read, not re-sent.
    pub async fn complete(&self, customer: &str, stripe_id: &str, invoice: &Invoice, period: (i64, i64)) -> Result<(), StripeError> {
        let remote = self.get(&format!("/v1/invoices/{stripe_id}")).await?;
        if remote["status"] != "draft" {
            return Ok(());
        }
        // Items go to the draft's own customer, whatever the tenant's is now.
        let customer = remote["customer"].as_str().unwrap_or(customer).to_string();
        let present = self.lines_of(stripe_id, invoice).await?;
        for (i, _) in invoice.lines.iter().enumerate().filter(|(i, _)| !present.contains(&i.to_string())) {
            let params = invoice_item_params(&customer, stripe_id, invoice, i, period);
            self.post("/v1/invoiceitems", &format!("invoiceitem-{}-{i}", invoice.id), &params).await?;
        }
        self.post(&format!("/v1/invoices/{stripe_id}/finalize"), &format!("finalize-{}", invoice.id), &[pair("auto_advance", "true")])
            .await?;
        Ok(())
    }

    /// The lines of ours (`metadata[line]`) a Stripe invoice holds: every
    /// page of `GET /v1/invoices/{id}/lines` (an invoice embeds only its first).
    async fn lines_of(&self, stripe_id: &str, invoice: &Invoice) -> Result<std::collections::BTreeSet<String>, StripeError> {
        let mut present = std::collections::BTreeSet::new();
        let mut after: Option<String> = None;
        loop {
            let page = match &after {
                None => self.get(&format!("/v1/invoices/{stripe_id}/lines?limit=100")).await?,
                Some(a) => self.get(&format!("/v1/invoices/{stripe_id}/lines?limit=100&starting_after={a}")).await?,
            };
            let data = page["data"].as_array().cloned().unwrap_or_default();
            for l in &data {
                if l["metadata"]["invoiceId"].as_str() == Some(invoice.id.to_string().as_str()) {
                    if let Some(n) = l["metadata"]["line"].as_str() {
                        present.insert(n.to_string());
                    }
                }
            }
            match (page["has_more"].as_bool(), data.last().and_then(|l| l["id"].as_str())) {
                (Some(true), Some(last)) => after = Some(last.to_string()),
                _ => return Ok(present),
            }
        }
    }
}

fn id_of(v: &Value) -> Result<String, StripeError> {
    v["id"].as_str().map(str::to_string).ok_or(StripeError { retryable: false, status: 200, detail: "an object without id".into() })
}

fn pair(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

/// A form body (`application/x-www-form-urlencoded`).
pub fn form(params: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

pub fn customer_params(t: TenantId, name: &str, email: Option<&str>) -> Vec<(String, String)> {
    let mut p = vec![pair("name", name), pair("metadata[tenantId]", t.to_string())];
    if let Some(e) = email {
        p.push(pair("email", e));
    }
    p
}

pub fn invoice_params(customer: &str, invoice: &Invoice) -> Vec<(String, String)> {
    vec![
        pair("customer", customer),
        pair("currency", invoice.currency.code().to_ascii_lowercase()),
        pair("collection_method", "charge_automatically"),
        pair("auto_advance", "false"),
        pair("pending_invoice_items_behavior", "exclude"),
        pair("description", format!("Period {}", invoice.period)),
        pair("metadata[tenantId]", invoice.tenant_id.to_string()),
        pair("metadata[invoiceId]", invoice.id.to_string()),
        pair("metadata[period]", invoice.period.clone()),
    ]
}

/// Line `i` of `invoice` as an invoice item of Stripe's invoice `stripe_id`.
pub fn invoice_item_params(
    customer: &str,
    stripe_id: &str,
    invoice: &Invoice,
    i: usize,
    (start, end): (i64, i64),
) -> Vec<(String, String)> {
    let line = &invoice.lines[i];
    vec![
        pair("customer", customer),
        pair("invoice", stripe_id),
        pair("amount", line.amount.to_string()),
        pair("currency", invoice.currency.code().to_ascii_lowercase()),
        pair("description", line.description.clone()),
        pair("period[start]", start.to_string()),
        pair("period[end]", end.to_string()),
        pair("metadata[invoiceId]", invoice.id.to_string()),
        pair("metadata[product]", line.product_code.clone()),
        pair("metadata[line]", i.to_string()),
        pair("metadata[quantity]", line.quantity.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_billing::invoice::{InvoiceStatus, Line};
    use crm_kernel::{Currency, EntityId, Timestamp};

    #[test]
    fn forms_use_stripes_bracket_keys_and_minor_units() {
        let t = TenantId::new();
        let invoice = Invoice {
            id: EntityId::new(),
            tenant_id: t,
            period: "2026-11".into(),
            period_start: "2026-11-01".into(),
            period_end: "2026-12-01".into(),
            period_starts_at: None,
            period_ends_at: None,
            lines: vec![Line {
                product_code: "DISCOUNT:PROMO".into(),
                description: "Promo code A&B".into(),
                quantity: 1,
                unit_amount: -500,
                amount: -500,
                metadata: Value::Null,
            }],
            total_amount: -500,
            currency: Currency::parse("EGP").unwrap(),
            status: InvoiceStatus::Draft,
            provider_invoice_id: None,
            provider_customer_id: None,
            sending_until: None,
            provider_error: None,
            created_at: Timestamp::now(),
            finalized_at: None,
            paid_at: None,
            voided_at: None,
            version: 1,
        };
        let body = form(&invoice_item_params("cus_1", "in_1", &invoice, 0, (1, 2)));
        assert!(body.contains("amount=-500&currency=egp"), "{body}");
        assert!(body.contains("description=Promo+code+A%26B"), "{body}");
        assert!(body.contains("period%5Bstart%5D=1&period%5Bend%5D=2"), "{body}");
        assert!(body.contains(&format!("metadata%5BinvoiceId%5D={}", invoice.id)), "{body}");
        let c = form(&customer_params(t, "Acme", Some("a@b.co")));
        assert_eq!(c, format!("name=Acme&metadata%5BtenantId%5D={t}&email=a%40b.co"));
    }
}
