//! `make template`: the route functions of every context, generated from
//! its route table and its `functions/{binary}/stack.yaml`.
//!
//! The root stack (`template.yaml`, kept by hand) holds what the contexts
//! share: the table, the bus, the queues, the HTTP API and its authorizer, the
//! workers. Each context's routes deploy in a nested stack,
//! `stacks/{binary}.yaml`: per route a function, its integration, its route
//! and the permission API Gateway needs to invoke it, and one role the
//! routes share. A context past [`ROUTES_PER_STACK`] routes spreads over
//! `stacks/{binary}-2.yaml` and on. The root's `AWS::Serverless::Application`
//! entries, between [`BEGIN`] and [`END`], are written too: each passes its
//! stack the root values it references (ADR 0018).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml::value::{Tag, TaggedValue};
use serde_yaml::{Mapping, Value};

use crate::catalogue::{Context, RouteInfo};

/// Four resources a route: 100 routes leave a stack 100 resources short of
/// CloudFormation's 500, room for the roles and for growth.
pub const ROUTES_PER_STACK: usize = 100;

pub const BEGIN: &str = "  # >>> nested route stacks: written by `make template` from the route tables (do not edit)";
pub const END: &str = "  # <<< nested route stacks";

/// A context's `stack.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The PascalCase name of its stacks (`Records` → `RecordsRoutes`).
    pub stack: String,
    pub memory: Option<u32>,
    pub timeout: Option<u32>,
    /// The statements of the role its routes share.
    pub policies: Value,
    /// What single routes need beyond the rest, by route name.
    #[serde(default)]
    pub routes: BTreeMap<String, RouteConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    #[serde(default)]
    pub env: Mapping,
    pub memory: Option<u32>,
    pub timeout: Option<u32>,
    /// Runs with a role that has no statements of its own (public routes
    /// that read nothing: liveness, the API document, the 404).
    #[serde(default)]
    pub bare_role: bool,
}

/// The files `make template` writes, by path from the repository root.
pub type Files = BTreeMap<PathBuf, String>;

fn tagged(tag: &str, value: Value) -> Value {
    Value::Tagged(Box::new(TaggedValue { tag: Tag::new(tag), value }))
}

fn r#ref(name: &str) -> Value {
    tagged("Ref", Value::String(name.into()))
}

fn get_att(what: &str) -> Value {
    tagged("GetAtt", Value::String(what.into()))
}

fn sub(text: &str) -> Value {
    tagged("Sub", Value::String(text.into()))
}

fn map<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Mapping(entries.into_iter().map(|(k, v)| (Value::String(k.into()), v)).collect())
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

/// The root values a child stack references, each turned into a parameter
/// of the child: `!Ref Table` stays `!Ref Table` (a parameter of the same
/// name), `!GetAtt Table.Arn` becomes `!Ref TableArn`, and `${Table.Arn}`
/// in a `!Sub` becomes `${TableArn}`. Names the child defines, and
/// pseudo parameters, stay as they are.
#[derive(Debug, Default)]
struct Imports {
    local: BTreeSet<String>,
    params: BTreeMap<String, Value>,
}

impl Imports {
    fn name(&mut self, reference: &str) -> Option<String> {
        let (logical, attr) = match reference.split_once('.') {
            Some((l, a)) => (l, Some(a)),
            None => (reference, None),
        };
        if logical.starts_with("AWS::") || logical.starts_with('!') || self.local.contains(logical) {
            return None;
        }
        let (param, root) = match attr {
            Some(a) => (format!("{logical}{}", a.replace('.', "")), get_att(reference)),
            None => (logical.to_string(), r#ref(logical)),
        };
        self.params.insert(param.clone(), root);
        Some(param)
    }

    fn import(&mut self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::Tagged(t) => {
                let tag = t.tag.to_string();
                match (tag.trim_start_matches('!'), &t.value) {
                    ("Ref", Value::String(name)) => {
                        self.name(name);
                        value.clone()
                    }
                    ("GetAtt", Value::String(what)) => match self.name(what) {
                        Some(param) => r#ref(&param),
                        None => value.clone(),
                    },
                    ("Sub", Value::String(text)) => sub(&self.import_sub(text)?),
                    ("Ref" | "GetAtt" | "Sub", other) => return Err(format!("!{tag} {other:?}: use the short string form")),
                    (_, inner) => tagged(&tag, self.import(inner)?),
                }
            }
            Value::Mapping(m) => {
                if m.keys().any(|k| k.as_str().is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))) {
                    return Err(format!("{m:?}: write intrinsics in their short form (!Ref, !GetAtt, !Sub)"));
                }
                Value::Mapping(m.iter().map(|(k, v)| Ok((k.clone(), self.import(v)?))).collect::<Result<_, String>>()?)
            }
            Value::Sequence(items) => Value::Sequence(items.iter().map(|v| self.import(v)).collect::<Result<_, _>>()?),
            other => other.clone(),
        })
    }

    fn import_sub(&mut self, text: &str) -> Result<String, String> {
        crate::template::rename_sub_vars(text, |name| Ok(self.name(name).unwrap_or_else(|| name.to_string())))
    }
}

/// `arn:…:{api}/*/GET/v1/contacts/*`: the routes a permission lets API
/// Gateway invoke the function for (path parameters become `*`).
fn source_arn(route: &RouteInfo) -> Value {
    let tail = if route.path() == "$default" {
        "$default".to_string()
    } else {
        let method = if route.method() == "ANY" { "*" } else { route.method() };
        let path: Vec<&str> = route.path().split('/').map(|seg| if seg.starts_with('{') { "*" } else { seg }).collect();
        format!("{method}{}", path.join("/"))
    };
    sub(&format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/*/{tail}"))
}

fn role(binary: &str, description: &str, statements: Option<&Value>) -> Value {
    let mut props = Mapping::new();
    props.insert(s("Description"), s(description));
    props.insert(
        s("AssumeRolePolicyDocument"),
        map([
            ("Version", s("2012-10-17")),
            (
                "Statement",
                Value::Sequence(vec![map([
                    ("Effect", s("Allow")),
                    ("Principal", map([("Service", s("lambda.amazonaws.com"))])),
                    ("Action", s("sts:AssumeRole")),
                ])]),
            ),
        ]),
    );
    props.insert(
        s("ManagedPolicyArns"),
        Value::Sequence(vec![
            sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
            r#ref("AppSecretsReadPolicy"),
        ]),
    );
    if let Some(statements) = statements {
        props.insert(
            s("Policies"),
            Value::Sequence(vec![map([
                ("PolicyName", s(&format!("{binary}-routes"))),
                ("PolicyDocument", map([("Version", s("2012-10-17")), ("Statement", statements.clone())])),
            ])]),
        );
    }
    map([("Type", s("AWS::IAM::Role")), ("Properties", Value::Mapping(props))])
}

/// The resources of one route.
fn route_resources(binary: &str, route: &RouteInfo, cfg: &RouteConfig, out: &mut Mapping) {
    let name = route.name;
    let function = format!("{name}Function");
    let integration = format!("{name}Integration");
    let mut props = Mapping::new();
    props.insert(s("Description"), s(&format!("{}: {}", route.key, route.summary)));
    props.insert(s("Role"), get_att(if cfg.bare_role { "BareRole.Arn" } else { "RoutesRole.Arn" }));
    if let Some(m) = cfg.memory {
        props.insert(s("MemorySize"), Value::Number(m.into()));
    }
    if let Some(t) = cfg.timeout {
        props.insert(s("Timeout"), Value::Number(t.into()));
    }
    if !cfg.env.is_empty() {
        props.insert(s("Environment"), map([("Variables", Value::Mapping(cfg.env.clone()))]));
    }
    out.insert(
        s(&function),
        map([
            ("Type", s("AWS::Serverless::Function")),
            ("Metadata", map([("BuildMethod", s("rust-cargolambda")), ("BuildProperties", map([("Binary", s(binary))]))])),
            ("Properties", Value::Mapping(props)),
        ]),
    );
    out.insert(
        s(&integration),
        map([
            ("Type", s("AWS::ApiGatewayV2::Integration")),
            (
                "Properties",
                map([
                    ("ApiId", r#ref("HttpApi")),
                    ("IntegrationType", s("AWS_PROXY")),
                    ("IntegrationUri", get_att(&format!("{function}.Arn"))),
                    ("PayloadFormatVersion", s("2.0")),
                ]),
            ),
        ]),
    );
    let mut route_props = Mapping::new();
    route_props.insert(s("ApiId"), r#ref("HttpApi"));
    route_props.insert(s("RouteKey"), s(route.key));
    route_props.insert(s("Target"), sub(&format!("integrations/${{{integration}}}")));
    if route.public() {
        route_props.insert(s("AuthorizationType"), s("NONE"));
    } else {
        route_props.insert(s("AuthorizationType"), s("CUSTOM"));
        route_props.insert(s("AuthorizerId"), r#ref("Authorizer"));
    }
    out.insert(s(&format!("{name}Route")), map([("Type", s("AWS::ApiGatewayV2::Route")), ("Properties", Value::Mapping(route_props))]));
    out.insert(
        s(&format!("{name}Permission")),
        map([
            ("Type", s("AWS::Lambda::Permission")),
            (
                "Properties",
                map([
                    ("Action", s("lambda:InvokeFunction")),
                    ("FunctionName", r#ref(&function)),
                    ("Principal", s("apigateway.amazonaws.com")),
                    ("SourceArn", source_arn(route)),
                ]),
            ),
        ]),
    );
}

/// One nested stack: the template and what its root entry passes it.
struct Child {
    logical_id: String,
    path: PathBuf,
    template: Value,
    params: BTreeMap<String, Value>,
}

fn child(ctx: &Context, cfg: &Config, routes: &[RouteInfo], globals: &Value, part: usize, parts: usize) -> Result<Child, String> {
    let binary = ctx.binary;
    let mut resources = Mapping::new();
    resources.insert(s("RoutesRole"), role(binary, &format!("Shared by the {binary} route functions (ADR 0014)"), Some(&cfg.policies)));
    let none = RouteConfig::default();
    if routes.iter().any(|r| cfg.routes.get(r.name).is_some_and(|c| c.bare_role)) {
        resources
            .insert(s("BareRole"), role(binary, &format!("The {binary} routes that read nothing (logs and the app secrets only)"), None));
    }
    for route in routes {
        route_resources(binary, route, cfg.routes.get(route.name).unwrap_or(&none), &mut resources);
    }
    let mut imports = Imports { local: resources.keys().filter_map(|k| k.as_str().map(str::to_string)).collect(), ..Default::default() };
    let resources = imports.import(&Value::Mapping(resources))?;

    let mut function = globals.as_mapping().cloned().ok_or("template.yaml: Globals.Function is missing")?;
    function.insert(s("CodeUri"), s(".."));
    if let Some(m) = cfg.memory {
        function.insert(s("MemorySize"), Value::Number(m.into()));
    }
    if let Some(t) = cfg.timeout {
        function.insert(s("Timeout"), Value::Number(t.into()));
    }
    let function = imports.import(&Value::Mapping(function))?;

    let suffix = if part == 0 { String::new() } else { (part + 1).to_string() };
    let file = if part == 0 { format!("{binary}.yaml") } else { format!("{binary}-{}.yaml", part + 1) };
    let of = if parts > 1 { format!(" (part {} of {parts})", part + 1) } else { String::new() };
    let parameters: Mapping = imports.params.keys().map(|p| (s(p), map([("Type", s("String"))]))).collect();
    let template = map([
        ("AWSTemplateFormatVersion", s("2010-09-09")),
        ("Transform", s("AWS::Serverless-2016-10-31")),
        ("Description", s(&format!("The {binary} routes{of}: {} functions behind the root stack's HTTP API.", routes.len()))),
        ("Parameters", Value::Mapping(parameters)),
        ("Globals", map([("Function", function)])),
        ("Resources", resources),
    ]);
    Ok(Child {
        logical_id: format!("{}Routes{suffix}", cfg.stack),
        path: PathBuf::from("stacks").join(file),
        template,
        params: imports.params,
    })
}

fn load_config(root: &Path, binary: &str) -> Result<Config, String> {
    let path = root.join("functions").join(binary).join("stack.yaml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every file `make template` writes, given the repository root.
pub fn generate(root: &Path, contexts: &[Context]) -> Result<Files, String> {
    let template_path = root.join("template.yaml");
    let text = std::fs::read_to_string(&template_path).map_err(|e| format!("{}: {e}", template_path.display()))?;
    let parsed: Value = serde_yaml::from_str(&text).map_err(|e| format!("template.yaml: {e}"))?;
    let globals = parsed.get("Globals").and_then(|g| g.get("Function")).cloned().unwrap_or(Value::Null);
    let mut files = Files::new();
    let mut entries = Mapping::new();
    for ctx in contexts {
        let cfg = load_config(root, ctx.binary)?;
        for name in cfg.routes.keys() {
            if !ctx.routes.iter().any(|r| r.name == name) {
                return Err(format!("functions/{}/stack.yaml: no route is named {name}", ctx.binary));
            }
        }
        let parts = ctx.routes.len().div_ceil(ROUTES_PER_STACK);
        for (part, routes) in ctx.routes.chunks(ROUTES_PER_STACK).enumerate() {
            let child = child(ctx, &cfg, routes, &globals, part, parts)?;
            let body = to_yaml(&child.template)?;
            files.insert(
                child.path.clone(),
                format!(
                    "# The {} routes' stack, written by `make template` from functions/{}/src/lib.rs\n# (ROUTES) and functions/{}/stack.yaml. Do not edit: a test fails when it is stale.\n{body}",
                    ctx.binary, ctx.binary, ctx.binary
                ),
            );
            let params: Mapping = child.params.into_iter().map(|(k, v)| (s(&k), v)).collect();
            entries.insert(
                s(&child.logical_id),
                map([
                    ("Type", s("AWS::Serverless::Application")),
                    ("Properties", map([("Location", s(&child.path.to_string_lossy())), ("Parameters", Value::Mapping(params))])),
                ]),
            );
        }
    }
    let entries = to_yaml(&Value::Mapping(entries))?;
    files.insert(PathBuf::from("template.yaml"), splice(&text, &entries)?);
    Ok(files)
}

/// YAML text of `value`, with date-like scalars quoted: YAML 1.1 readers
/// (cfn-lint among them) take an unquoted `2012-10-17` for a date.
fn to_yaml(value: &Value) -> Result<String, String> {
    let text = serde_yaml::to_string(value).map_err(|e| e.to_string())?;
    let is_date = |v: &str| v.len() == 10 && v.char_indices().all(|(i, c)| if i == 4 || i == 7 { c == '-' } else { c.is_ascii_digit() });
    Ok(text
        .lines()
        .map(|line| match line.rsplit_once(": ") {
            Some((key, v)) if is_date(v) => format!("{key}: \"{v}\"\n"),
            _ => format!("{line}\n"),
        })
        .collect())
}

/// `template` with the lines between the markers replaced by `entries`
/// (a YAML mapping, indented under `Resources`).
fn splice(template: &str, entries: &str) -> Result<String, String> {
    let lines: Vec<&str> = template.lines().collect();
    let begin = lines.iter().position(|l| *l == BEGIN).ok_or_else(|| format!("template.yaml: the line {BEGIN:?} is missing"))?;
    let end = lines
        .iter()
        .position(|l| *l == END)
        .filter(|e| *e > begin)
        .ok_or_else(|| format!("template.yaml: {END:?} must follow {BEGIN:?}"))?;
    let mut out: Vec<String> = lines[..=begin].iter().map(|l| l.to_string()).collect();
    out.extend(entries.lines().map(|l| format!("  {l}")));
    out.extend(lines[end..].iter().map(|l| l.to_string()));
    Ok(out.join("\n") + "\n")
}

/// Writes the files; answers the paths that changed.
pub fn write(root: &Path, files: &Files) -> Result<Vec<PathBuf>, String> {
    let mut changed = Vec::new();
    std::fs::create_dir_all(root.join("stacks")).map_err(|e| e.to_string())?;
    let stale: Vec<PathBuf> = std::fs::read_dir(root.join("stacks"))
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| PathBuf::from("stacks").join(e.file_name())))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml") && !files.contains_key(p))
        .collect();
    for path in stale {
        std::fs::remove_file(root.join(&path)).map_err(|e| e.to_string())?;
        changed.push(path);
    }
    for (path, text) in files {
        let full = root.join(path);
        if std::fs::read_to_string(&full).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&full, text).map_err(|e| format!("{}: {e}", full.display()))?;
            changed.push(path.clone());
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_http::Access;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn the_committed_stacks_are_what_make_template_writes() {
        let files = generate(&repo(), &crate::catalogue::contexts()).unwrap();
        for (path, text) in &files {
            let committed = std::fs::read_to_string(repo().join(path)).unwrap_or_default();
            assert!(committed == *text, "{} is stale: run `make template`", path.display());
        }
        let on_disk: BTreeSet<PathBuf> =
            std::fs::read_dir(repo().join("stacks")).unwrap().map(|e| PathBuf::from("stacks").join(e.unwrap().file_name())).collect();
        let written: BTreeSet<PathBuf> = files.keys().filter(|p| p.starts_with("stacks")).cloned().collect();
        assert_eq!(on_disk, written, "stacks/ holds a file `make template` does not write");
    }

    #[test]
    fn root_references_become_parameters_and_local_ones_stay() {
        let mut imports = Imports { local: BTreeSet::from(["XFunction".to_string()]), ..Default::default() };
        let v: Value = serde_yaml::from_str(
            "a: !Ref Table\nb: !GetAtt Table.Arn\nc: !Sub '${Table.Arn}/index/*:${AWS::Region}:${XFunction.Arn}:${!Lit}'\nd: !GetAtt XFunction.Arn\ne: [!Ref AWS::Region]",
        )
        .unwrap();
        let out = imports.import(&v).unwrap();
        assert_eq!(out["a"], r#ref("Table"));
        assert_eq!(out["b"], r#ref("TableArn"));
        assert_eq!(out["c"], sub("${TableArn}/index/*:${AWS::Region}:${XFunction.Arn}:${!Lit}"));
        assert_eq!(out["d"], get_att("XFunction.Arn"));
        assert_eq!(imports.params.keys().collect::<Vec<_>>(), ["Table", "TableArn"]);
        assert_eq!(imports.params["TableArn"], get_att("Table.Arn"));
        assert!(imports.import(&serde_yaml::from_str("{Ref: Table}").unwrap()).is_err(), "long forms are refused");
    }

    #[test]
    fn permissions_name_the_route_they_allow() {
        let route = |key| RouteInfo { key, name: "X", summary: "", access: Access::Public, contract: crm_http::Contract::NONE };
        let arn = |key| match source_arn(&route(key)) {
            Value::Tagged(t) => t.value.as_str().unwrap().rsplit(":${HttpApi}/").next().unwrap().to_string(),
            _ => unreachable!(),
        };
        assert_eq!(arn("GET /v1/contacts/{id}/channels/{channelId}"), "*/GET/v1/contacts/*/channels/*");
        assert_eq!(arn("ANY /v1/x"), "*/*/v1/x");
        assert_eq!(arn("$default"), "*/$default");
    }

    /// The structure holds 600 routes and more: a context spreads over as
    /// many stacks as it needs, each well under CloudFormation's 500.
    #[test]
    fn a_context_of_650_routes_spreads_over_stacks_under_the_limit() {
        let names: Vec<&'static str> = (0..650).map(|i| &*Box::leak(format!("Route{i}").into_boxed_str())).collect();
        let keys: Vec<&'static str> = (0..650).map(|i| &*Box::leak(format!("GET /v1/things{i}").into_boxed_str())).collect();
        let ctx = Context {
            binary: "records",
            routes: (0..650)
                .map(|i| RouteInfo {
                    key: keys[i],
                    name: names[i],
                    summary: "a route",
                    access: Access::Permission(crm_auth::rbac::CONTACT_READ),
                    contract: crm_http::Contract::NONE,
                })
                .collect(),
        };
        let files = generate(&repo(), &[ctx]).unwrap();
        let stacks: Vec<_> = files.iter().filter(|(p, _)| p.starts_with("stacks")).collect();
        assert_eq!(stacks.len(), 7);
        for (path, text) in stacks {
            let v: Value = serde_yaml::from_str(text).unwrap();
            let n = v["Resources"].as_mapping().unwrap().len();
            assert!(n <= 4 * ROUTES_PER_STACK + 2, "{}: {n} resources", path.display());
        }
        assert!(files[&PathBuf::from("template.yaml")].contains("RecordsRoutes7:"));
    }
}
