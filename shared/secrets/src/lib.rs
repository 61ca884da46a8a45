//! Secrets reach a function by name, never by value (`docs/adr/0016`). The
//! template gives a function `SECRET_REF_{NAME}` = `{secret id}` or
//! `{secret id}#{json key}`; at cold start [`resolve`] reads each secret once
//! from Secrets Manager (one `GetSecretValue` per distinct secret, run
//! concurrently), and hands the function an environment in which `{NAME}`
//! holds the value — in the process's memory only. The Lambda configuration,
//! the console and `GetFunctionConfiguration` show names; a log line never
//! shows a value. Locally, the emulator serves Secrets Manager.
//!
//! A variable already set as `{NAME}` wins (a developer's own run); a
//! reference that cannot be read fails the start, naming the variable and
//! the secret, never a value.

use std::collections::BTreeMap;

use crm_kernel::Env;

/// The prefix of a reference to a secret.
pub const PREFIX: &str = "SECRET_REF_";

/// One reference: the secret, and the JSON key inside it (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub secret_id: String,
    pub json_key: Option<String>,
}

/// The references of `env` that still need a value (pure).
pub fn references(env: &Env) -> Vec<Reference> {
    let mut out: Vec<Reference> = env
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix(PREFIX)?;
            if name.is_empty() || env.get(name).is_some() {
                return None;
            }
            let (secret_id, json_key) = match v.rsplit_once('#') {
                Some((id, key)) => (id.to_string(), Some(key.to_string())),
                None => (v.to_string(), None),
            };
            Some(Reference { name: name.to_string(), secret_id, json_key })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The value a reference names in a secret's string (pure).
pub fn pick(reference: &Reference, secret_string: &str) -> Result<String, String> {
    match &reference.json_key {
        None => Ok(secret_string.to_string()),
        Some(key) => {
            let doc: serde_json::Value = serde_json::from_str(secret_string)
                .map_err(|_| format!("{PREFIX}{}: secret {} is not a JSON object", reference.name, reference.secret_id))?;
            doc.get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| format!("{PREFIX}{}: secret {} has no string key `{key}`", reference.name, reference.secret_id))
        }
    }
}

/// What a function starts with: the AWS configuration of its execution
/// environment, and its environment variables with the secrets read in.
/// Every bootstrap (`main.rs`) begins here.
pub async fn load() -> Result<(aws_config::SdkConfig, Env), String> {
    let config = aws_config::load_from_env().await;
    let env = resolve(&config, Env::process()).await?;
    Ok((config, env))
}

/// `env` with every `SECRET_REF_{NAME}` read into `{NAME}`.
pub async fn resolve(config: &aws_config::SdkConfig, mut env: Env) -> Result<Env, String> {
    let refs = references(&env);
    if refs.is_empty() {
        return Ok(env);
    }
    let client = aws_sdk_secretsmanager::Client::new(config);
    let ids: std::collections::BTreeSet<&str> = refs.iter().map(|r| r.secret_id.as_str()).collect();
    let fetched = futures::future::join_all(ids.iter().map(|id| {
        let client = client.clone();
        async move {
            let out = client.get_secret_value().secret_id(*id).send().await;
            (*id, out.map(|o| o.secret_string.unwrap_or_default()).map_err(|e| format!("{e:?}")))
        }
    }))
    .await;
    let values: BTreeMap<&str, Result<String, String>> = fetched.into_iter().collect();
    for r in &refs {
        let secret = match &values[r.secret_id.as_str()] {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(variable = %format!("{PREFIX}{}", r.name), secret = %r.secret_id, error = %e, "cannot read a secret");
                return Err(format!("{PREFIX}{}: cannot read secret {}", r.name, r.secret_id));
            }
        };
        env.set(r.name.clone(), pick(r, secret)?);
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Env {
        Env::from_map(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn references_name_a_secret_and_maybe_a_key() {
        let e = env(&[
            ("SECRET_REF_CURSOR_SECRET", "arn:aws:secretsmanager:eu-west-1:1:secret:app-AbC#cursor_secret"),
            ("SECRET_REF_OPERATOR_KEY", "crm/dev/operator-key"),
            ("SECRET_REF_LOCAL", "x"),
            ("LOCAL", "mine"),
            ("TABLE_NAME", "crm"),
        ]);
        assert_eq!(
            references(&e),
            vec![
                Reference {
                    name: "CURSOR_SECRET".into(),
                    secret_id: "arn:aws:secretsmanager:eu-west-1:1:secret:app-AbC".into(),
                    json_key: Some("cursor_secret".into())
                },
                Reference { name: "OPERATOR_KEY".into(), secret_id: "crm/dev/operator-key".into(), json_key: None },
            ],
            "a value set directly wins"
        );
    }

    #[test]
    fn a_key_is_picked_out_of_a_json_secret_and_its_absence_is_named_without_values() {
        let r = Reference { name: "BREVO_API_KEY".into(), secret_id: "p".into(), json_key: Some("brevo_api_key".into()) };
        assert_eq!(pick(&r, r#"{"brevo_api_key":"xkeysib-1","other":"s3cret"}"#).unwrap(), "xkeysib-1");
        let missing = pick(&Reference { json_key: Some("nope".into()), ..r.clone() }, r#"{"other":"s3cret"}"#).unwrap_err();
        assert!(missing.contains("nope") && !missing.contains("s3cret"), "{missing}");
        assert!(pick(&r, "not json").is_err());
        assert_eq!(pick(&Reference { json_key: None, ..r }, "plain").unwrap(), "plain");
    }

    #[tokio::test]
    async fn an_environment_without_references_needs_no_call() {
        let config = aws_config::SdkConfig::builder().behavior_version(aws_config::BehaviorVersion::latest()).build();
        let e = resolve(&config, env(&[("TABLE_NAME", "crm")])).await.unwrap();
        assert_eq!(e.get("TABLE_NAME"), Some("crm"));
    }
}
