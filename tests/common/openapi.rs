//! The API's OpenAPI document (`docs/openapi.json`), read by tests: its
//! operations, the schema of an operation's answer, and a check of a
//! JSON value against such a schema.
//!
//! The check knows the part of OpenAPI 3.0's schema language the document
//! uses, and panics on any other keyword, so that the document cannot
//! grow a rule the check would silently skip. `scripts/test` also runs
//! schemathesis against the served document, which knows all of it.

use serde_json::Value;

pub struct OpenApi {
    pub doc: Value,
}

/// Keywords that say nothing a value must obey.
const ANNOTATIONS: &[&str] = &["description", "default", "example", "title", "readOnly"];

impl OpenApi {
    pub fn committed() -> Self {
        OpenApi {
            doc: serde_json::from_str(vestibule::web::graph::openapi::DOCUMENT).expect("docs/openapi.json is JSON"),
        }
    }

    /// Every operation as (`"GET"`, path).
    pub fn operations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (path, item) in self.doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                if method != "parameters" {
                    out.push((method.to_ascii_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    pub fn operation(&self, method: &str, path: &str) -> &Value {
        let op = &self.doc["paths"][path][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in the document");
        op
    }

    /// What `$ref` points at (`#/components/…`), or the value itself.
    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => {
                let target = self
                    .doc
                    .pointer(pointer.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("{pointer} does not resolve"));
                self.resolve(target)
            }
            None => value,
        }
    }

    /// The JSON schema of `method path`'s answer with `status`; panics when
    /// the document does not list that status for the operation.
    pub fn response_schema(&self, method: &str, path: &str, status: u16) -> &Value {
        let response = &self.operation(method, path)["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {path} does not document status {status}"
        );
        let response = self.resolve(response);
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {path} {status} has no JSON schema");
        schema
    }

    /// Checks `value` against the schema of `method path`'s answer with `status`.
    pub fn assert_answer(&self, method: &str, path: &str, status: u16, value: &Value) {
        let errors = self.check(self.response_schema(method, path, status), value, "");
        assert!(
            errors.is_empty(),
            "{method} {path} {status} does not match the document:\n{}\n{value:#}",
            errors.join("\n")
        );
    }

    /// The ways `value` breaks `schema`, each with its JSON pointer.
    pub fn check(&self, schema: &Value, value: &Value, at: &str) -> Vec<String> {
        let schema = self.resolve(schema);
        let rules = schema
            .as_object()
            .unwrap_or_else(|| panic!("a schema at {at} is not an object"));
        let mut errors = Vec::new();
        if value.is_null() {
            if rules.get("nullable") != Some(&Value::Bool(true)) && rules.contains_key("type") {
                errors.push(format!("{at}: null where {} is not nullable", rules["type"]));
            }
            return errors;
        }
        for (keyword, rule) in rules {
            match keyword.as_str() {
                "type" => {
                    let fits = match rule.as_str().unwrap_or_default() {
                        "object" => value.is_object(),
                        "array" => value.is_array(),
                        "string" => value.is_string(),
                        "integer" => value.is_i64() || value.is_u64(),
                        "number" => value.is_number(),
                        "boolean" => value.is_boolean(),
                        other => panic!("{at}: type {other} is unknown"),
                    };
                    if !fits {
                        errors.push(format!("{at}: {value} is not of type {rule}"));
                    }
                }
                "nullable" => {}
                "properties" => {
                    if let Some(object) = value.as_object() {
                        for (name, property) in rule.as_object().expect("properties") {
                            if let Some(v) = object.get(name) {
                                errors.extend(self.check(property, v, &format!("{at}/{name}")));
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    let declared = rules.get("properties").and_then(Value::as_object);
                    for (name, v) in value.as_object().into_iter().flatten() {
                        if declared.is_some_and(|d| d.contains_key(name)) {
                            continue;
                        }
                        match rule {
                            Value::Bool(true) => {}
                            Value::Bool(false) => errors.push(format!("{at}: {name} is not allowed")),
                            schema => errors.extend(self.check(schema, v, &format!("{at}/{name}"))),
                        }
                    }
                }
                "required" => {
                    if let Some(object) = value.as_object() {
                        for name in rule.as_array().expect("required").iter().filter_map(Value::as_str) {
                            if !object.contains_key(name) {
                                errors.push(format!("{at}: {name} is missing"));
                            }
                        }
                    }
                }
                "items" => {
                    for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                        errors.extend(self.check(rule, item, &format!("{at}/{i}")));
                    }
                }
                "enum" => {
                    if !rule.as_array().expect("enum").contains(value) {
                        errors.push(format!("{at}: {value} is not one of {rule}"));
                    }
                }
                "minItems" | "maxItems" => {
                    if let Some(items) = value.as_array() {
                        let bound = rule.as_u64().expect("a bound") as usize;
                        if (keyword == "minItems" && items.len() < bound)
                            || (keyword == "maxItems" && items.len() > bound)
                        {
                            errors.push(format!("{at}: {} items breaks {keyword} {bound}", items.len()));
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let Some(text) = value.as_str() {
                        let bound = rule.as_u64().expect("a bound") as usize;
                        let n = text.chars().count();
                        if (keyword == "minLength" && n < bound) || (keyword == "maxLength" && n > bound) {
                            errors.push(format!("{at}: length {n} breaks {keyword} {bound}"));
                        }
                    }
                }
                "minimum" | "maximum" => {
                    if let (Some(n), Some(bound)) = (value.as_f64(), rule.as_f64())
                        && ((keyword == "minimum" && n < bound) || (keyword == "maximum" && n > bound))
                    {
                        errors.push(format!("{at}: {n} breaks {keyword} {bound}"));
                    }
                }
                "format" => {
                    if let Some(text) = value.as_str() {
                        let fits = match rule.as_str().unwrap_or_default() {
                            "date-time" => {
                                time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                                    .is_ok()
                            }
                            "uri" => url::Url::parse(text).is_ok(),
                            "email" => text.contains('@'),
                            other => panic!("{at}: format {other} is not known to this check: teach it"),
                        };
                        if !fits {
                            errors.push(format!("{at}: {text:?} is not a {rule}"));
                        }
                    }
                }
                k if ANNOTATIONS.contains(&k) => {}
                other => panic!("{at}: the schema keyword {other} is not known to this check: teach it"),
            }
        }
        errors
    }
}
