//! Reads template.yaml — the one source of truth for what exists — and the
//! nested stacks it names, and resolves their intrinsic functions (`!Ref`,
//! `!GetAtt`, `!Sub`, long or short form) against the physical names the
//! local stack created.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

/// The parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    root: Value,
    /// The directory a nested stack's local `Location` is relative to.
    dir: Option<PathBuf>,
}

/// A nested stack (`AWS::Serverless::Application` with a local template):
/// its template, and the root's values for its parameters (unresolved).
#[derive(Debug, Clone)]
pub struct Nested {
    pub logical_id: String,
    pub template: Template,
    pub parameters: Mapping,
}

/// A SAM/CloudFormation resource.
#[derive(Debug, Clone)]
pub struct Resource<'a> {
    pub logical_id: &'a str,
    pub kind: &'a str,
    pub properties: &'a Value,
    pub metadata: &'a Value,
}

static NULL: Value = Value::Null;

impl Template {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let root: Value = serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Self { root, dir: path.parent().map(Path::to_path_buf) })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let root: Value = serde_yaml::from_str(text).map_err(|e| format!("template.yaml: {e}"))?;
        Ok(Self { root, dir: None })
    }

    /// The nested stacks, loaded.
    pub fn nested(&self) -> Result<Vec<Nested>, String> {
        let mut out = Vec::new();
        for r in self.of_type("AWS::Serverless::Application") {
            let location = r
                .properties
                .get("Location")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{}: the local stack runs nested stacks with a local Location only", r.logical_id))?;
            let dir = self.dir.as_ref().ok_or_else(|| format!("{}: a parsed template cannot locate {location}", r.logical_id))?;
            let parameters = r.properties.get("Parameters").and_then(Value::as_mapping).cloned().unwrap_or_default();
            out.push(Nested { logical_id: r.logical_id.to_string(), template: Template::load(&dir.join(location))?, parameters });
        }
        Ok(out)
    }

    pub fn resources(&self) -> Vec<Resource<'_>> {
        let Some(map) = self.root.get("Resources").and_then(Value::as_mapping) else {
            return Vec::new();
        };
        map.iter()
            .filter_map(|(k, v)| {
                Some(Resource {
                    logical_id: k.as_str()?,
                    kind: v.get("Type")?.as_str()?,
                    properties: v.get("Properties").unwrap_or(&NULL),
                    metadata: v.get("Metadata").unwrap_or(&NULL),
                })
            })
            .collect()
    }

    pub fn of_type(&self, kind: &str) -> Vec<Resource<'_>> {
        self.resources().into_iter().filter(|r| r.kind == kind).collect()
    }

    /// Parameter defaults.
    pub fn parameter_defaults(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        if let Some(map) = self.root.get("Parameters").and_then(Value::as_mapping) {
            for (k, v) in map {
                let (Some(name), Some(default)) = (k.as_str(), v.get("Default")) else {
                    continue;
                };
                let text = match default {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => continue,
                };
                out.insert(name.to_string(), text);
            }
        }
        out
    }

    /// `Globals.Function.<key>`.
    pub fn function_global(&self, key: &str) -> &Value {
        self.root.get("Globals").and_then(|g| g.get("Function")).and_then(|f| f.get(key)).unwrap_or(&NULL)
    }

    /// `Globals.Function.Environment.Variables`.
    pub fn global_env(&self) -> Mapping {
        self.function_global("Environment").get("Variables").and_then(Value::as_mapping).cloned().unwrap_or_default()
    }
}

/// `text` (a `!Sub` string) with each `${name}` renamed to `${rename(name)}`.
pub fn rename_sub_vars(text: &str, mut rename: impl FnMut(&str) -> Result<String, String>) -> Result<String, String> {
    replace_sub_vars(text, |name| Ok(format!("${{{}}}", rename(name)?)))
}

/// `text` (a `!Sub` string) with each `${name}` replaced by `replace(name)`:
/// the one scanner of `${…}` the generator and the resolver share.
fn replace_sub_vars(text: &str, mut replace: impl FnMut(&str) -> Result<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| format!("unterminated ${{ in {text}"))?;
        out.push_str(&replace(&after[..end])?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A nested stack's `value` in the root's terms: each reference to one of
/// its parameters becomes the root expression the root passes for it
/// (`!Ref TableArn` → `!GetAtt Table.Arn`, `${TableArn}` → `${Table.Arn}`).
pub fn in_root_terms(value: &Value, parameters: &Mapping) -> Result<Value, String> {
    let param = |name: &str| parameters.get(name);
    Ok(match value {
        Value::Tagged(t) => {
            let tag = t.tag.to_string();
            match (tag.trim_start_matches('!'), &t.value) {
                ("Ref", Value::String(name)) if param(name).is_some() => param(name).cloned().unwrap_or_default(),
                ("Sub", Value::String(text)) => {
                    let out = rename_sub_vars(text, |name| match param(name) {
                        None => Ok(name.to_string()),
                        Some(Value::Tagged(p)) if matches!(p.tag.to_string().trim_start_matches('!'), "Ref" | "GetAtt") => {
                            p.value.as_str().map(str::to_string).ok_or_else(|| format!("parameter {name}: not a name"))
                        }
                        Some(other) => Err(format!("${{{name}}} in {text}: the root passes {other:?}, not a !Ref or !GetAtt")),
                    })?;
                    Value::Tagged(Box::new(serde_yaml::value::TaggedValue { tag: t.tag.clone(), value: Value::String(out) }))
                }
                (_, inner) => {
                    Value::Tagged(Box::new(serde_yaml::value::TaggedValue { tag: t.tag.clone(), value: in_root_terms(inner, parameters)? }))
                }
            }
        }
        Value::Mapping(m) => {
            Value::Mapping(m.iter().map(|(k, v)| Ok((k.clone(), in_root_terms(v, parameters)?))).collect::<Result<_, String>>()?)
        }
        Value::Sequence(items) => Value::Sequence(items.iter().map(|v| in_root_terms(v, parameters)).collect::<Result<_, _>>()?),
        other => other.clone(),
    })
}

/// Physical values of logical ids and their attributes.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    pub params: HashMap<String, String>,
    pub refs: HashMap<String, String>,
    pub attrs: HashMap<String, String>,
}

impl Resolver {
    fn lookup_ref(&self, name: &str) -> Result<String, String> {
        if let Some(v) = self.params.get(name).or_else(|| self.refs.get(name)) {
            return Ok(v.clone());
        }
        match name {
            "AWS::Region" => Ok("us-east-1".into()),
            "AWS::AccountId" => Ok("123456789012".into()),
            "AWS::StackName" => Ok("crm-local".into()),
            "AWS::URLSuffix" => Ok("amazonaws.com".into()),
            "AWS::Partition" => Ok("aws".into()),
            _ => Err(format!("unresolved Ref {name}")),
        }
    }

    fn lookup_attr(&self, logical: &str, attr: &str) -> Result<String, String> {
        self.attrs.get(&format!("{logical}.{attr}")).cloned().ok_or_else(|| format!("unresolved GetAtt {logical}.{attr}"))
    }

    /// Resolves `${Name}` and `${Name.Attr}` inside a `!Sub` string.
    pub fn sub(&self, text: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
        replace_sub_vars(text, |name| {
            if let Some(literal) = name.strip_prefix('!') {
                Ok(format!("${{{literal}}}"))
            } else if let Some(v) = vars.get(name) {
                Ok(v.clone())
            } else if let Some((logical, attr)) = name.split_once('.') {
                self.lookup_attr(logical, attr)
            } else {
                self.lookup_ref(name)
            }
        })
    }

    /// Resolves every intrinsic function inside `value`.
    pub fn resolve(&self, value: &Value) -> Result<Value, String> {
        match value {
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let name = tag.trim_start_matches('!');
                self.intrinsic(&format!("Fn::{name}"), &tagged.value).or_else(|_| self.intrinsic(name, &tagged.value))
            }
            Value::Mapping(map) if map.len() == 1 => {
                let (k, v) = map.iter().next().expect("one entry");
                match k.as_str() {
                    Some(key) if key == "Ref" || key.starts_with("Fn::") => self.intrinsic(key, v),
                    _ => self.resolve_map(map),
                }
            }
            Value::Mapping(map) => self.resolve_map(map),
            Value::Sequence(seq) => Ok(Value::Sequence(seq.iter().map(|v| self.resolve(v)).collect::<Result<_, _>>()?)),
            other => Ok(other.clone()),
        }
    }

    fn resolve_map(&self, map: &Mapping) -> Result<Value, String> {
        let mut out = Mapping::new();
        for (k, v) in map {
            out.insert(k.clone(), self.resolve(v)?);
        }
        Ok(Value::Mapping(out))
    }

    /// Resolves to a string (the common case: names, ARNs, env values).
    pub fn string(&self, value: &Value) -> Result<String, String> {
        match self.resolve(value)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Sequence(items) => Ok(items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>().join(",")),
            other => Err(format!("expected a string, got {other:?}")),
        }
    }

    fn intrinsic(&self, name: &str, arg: &Value) -> Result<Value, String> {
        match name {
            "Ref" => Ok(Value::String(self.lookup_ref(arg.as_str().ok_or("Ref needs a name")?)?)),
            "Fn::GetAtt" => {
                let (logical, attr) = match arg {
                    Value::String(s) => {
                        s.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())).ok_or("GetAtt needs Logical.Attr")?
                    }
                    Value::Sequence(seq) if seq.len() == 2 => {
                        (seq[0].as_str().ok_or("GetAtt logical id")?.to_string(), seq[1].as_str().ok_or("GetAtt attribute")?.to_string())
                    }
                    _ => return Err("GetAtt form not supported".into()),
                };
                Ok(Value::String(self.lookup_attr(&logical, &attr)?))
            }
            "Fn::Sub" => match arg {
                Value::String(s) => Ok(Value::String(self.sub(s, &BTreeMap::new())?)),
                Value::Sequence(seq) if seq.len() == 2 => {
                    let text = seq[0].as_str().ok_or("Sub text")?;
                    let mut vars = BTreeMap::new();
                    if let Some(map) = seq[1].as_mapping() {
                        for (k, v) in map {
                            vars.insert(k.as_str().unwrap_or_default().to_string(), self.string(v)?);
                        }
                    }
                    Ok(Value::String(self.sub(text, &vars)?))
                }
                _ => Err("Sub form not supported".into()),
            },
            "Fn::Join" => {
                let seq = arg.as_sequence().ok_or("Join needs [sep, [items]]")?;
                let sep = seq.first().and_then(Value::as_str).unwrap_or_default();
                let items = seq.get(1).map(|v| self.resolve(v)).transpose()?.unwrap_or(Value::Null);
                let parts: Vec<String> =
                    items.as_sequence().map(|s| s.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
                Ok(Value::String(parts.join(sep)))
            }
            other => Err(format!("intrinsic {other} is not supported by the local stack")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolver() -> Resolver {
        let mut r = Resolver::default();
        r.params.insert("Stage".into(), "dev".into());
        r.refs.insert("Queue".into(), "http://q".into());
        r.attrs.insert("Queue.Arn".into(), "arn:q".into());
        r
    }

    #[test]
    fn resolves_short_and_long_forms() {
        let r = resolver();
        let v: Value = serde_yaml::from_str("a: !Ref Queue\nb: !GetAtt Queue.Arn\nc: !Sub 'crm-${Stage}-${Queue.Arn}-${!Literal}'\nd: {Ref: Queue}\ne: {'Fn::GetAtt': [Queue, Arn]}").unwrap();
        let out = r.resolve(&v).unwrap();
        assert_eq!(out["a"], "http://q");
        assert_eq!(out["b"], "arn:q");
        assert_eq!(out["c"], "crm-dev-arn:q-${Literal}");
        assert_eq!(out["d"], "http://q");
        assert_eq!(out["e"], "arn:q");
    }

    #[test]
    fn unresolved_names_are_errors() {
        let v: Value = serde_yaml::from_str("!Ref Nope").unwrap();
        assert!(resolver().resolve(&v).is_err());
    }

    #[test]
    fn reads_the_project_template_and_its_nested_stacks() {
        let t = Template::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")).unwrap();
        assert!(!t.of_type("AWS::Serverless::Function").is_empty());
        assert_eq!(t.of_type("AWS::DynamoDB::Table").len(), 1);
        assert_eq!(t.parameter_defaults()["Stage"], "dev");
        let nested = t.nested().unwrap();
        assert!(nested.iter().any(|n| n.logical_id == "RecordsRoutes" && !n.template.of_type("AWS::ApiGatewayV2::Route").is_empty()));
    }

    #[test]
    fn nested_values_read_in_root_terms() {
        let params: Mapping = serde_yaml::from_str("Table: !Ref Table\nTableArn: !GetAtt Table.Arn\nBase: !Ref AppBaseUrl").unwrap();
        let v: Value =
            serde_yaml::from_str("a: !Ref TableArn\nb: !Sub '${TableArn}/index/*:${AWS::Region}'\nc: !Ref Local\nd: [!Ref Base]").unwrap();
        let out = in_root_terms(&v, &params).unwrap();
        let root: Value = serde_yaml::from_str(
            "a: !GetAtt Table.Arn\nb: !Sub '${Table.Arn}/index/*:${AWS::Region}'\nc: !Ref Local\nd: [!Ref AppBaseUrl]",
        )
        .unwrap();
        assert_eq!(out, root);
    }
}
