//! The pieces the OpenAPI document is built from ([`super::operations`] lists the operations
//! with them): an [`Op`] per method and path, its parameters, request body and answers, each
//! answer body named by its Rust type (utoipa's `ToSchema`, derived on core's protocol types and
//! the server's own), so the schemas in the document are the serde shapes the server sends.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// Component schemas collected while the document is built, by name.
pub(super) type Schemas = Vec<(String, RefOr<Schema>)>;

/// A schema reference for `T`, registering `T` and every schema it refers to.
pub(super) fn typed<T: ToSchema>(schemas: &mut Schemas) -> Value {
    let name: Cow<'static, str> = T::name();
    schemas.push((name.to_string(), T::schema()));
    T::schemas(schemas);
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
        }
    }
}

/// Where a parameter is.
#[derive(Debug, Clone, Copy)]
pub enum In {
    Path,
    Query,
    Header,
}

/// An answer's body.
pub enum Body {
    /// JSON of a Rust type.
    Json(fn(&mut Schemas) -> Value),
    /// JSON Lines: one value of a Rust type per line (the schema is the line's).
    JsonLines(fn(&mut Schemas) -> Value),
    /// An RFC 9457 problem (`application/problem+json`) of a Rust type that carries more than
    /// the shared problem's fields.
    Problem(fn(&mut Schemas) -> Value),
    /// A body whose Rust type does not derive `ToSchema` yet, with its content type and schema.
    Untyped(&'static str, Value),
    /// The same body in several content types (Open311's JSON and XML), each with its schema.
    Alternatives(&'static [&'static str], Value),
    /// No body.
    Empty,
}

struct Answer {
    status: u16,
    description: &'static str,
    body: Body,
}

/// One documented operation.
pub struct Op {
    pub method: Method,
    pub path: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
    security: Option<Value>,
    parameters: Vec<Value>,
    body: Option<(&'static str, bool, Body)>,
    /// Named examples of the request body (OpenAPI `examples`), by name.
    body_examples: Option<Value>,
    answers: Vec<Answer>,
    problems: Vec<u16>,
}

impl Op {
    pub fn new(method: Method, path: &'static str, tag: &'static str, summary: &'static str) -> Self {
        Op {
            method,
            path,
            tag,
            summary,
            description: None,
            security: None,
            parameters: Vec::new(),
            body: None,
            body_examples: None,
            answers: Vec::new(),
            problems: Vec::new(),
        }
    }

    pub fn describe(mut self, description: &'static str) -> Self {
        self.description = Some(description);
        self
    }

    /// Needs a bearer token.
    pub fn bearer(mut self) -> Self {
        self.security = Some(json!([{ "bearer": [] }]));
        self
    }

    /// Answers without a token too (a token may widen the view).
    pub fn bearer_optional(mut self) -> Self {
        self.security = Some(json!([{}, { "bearer": [] }]));
        self
    }

    /// Needs a sensor system's key (`glsen_…`), which opens only the alarm intake.
    pub fn sensor_key(mut self) -> Self {
        self.security = Some(json!([{ "sensorKey": [] }]));
        self
    }

    /// Named examples of the request body: `{"name": {"summary": …, "value": …}}`.
    pub fn body_examples(mut self, examples: Value) -> Self {
        self.body_examples = Some(examples);
        self
    }

    /// Needs the metrics token.
    pub fn metrics_token(mut self) -> Self {
        self.security = Some(json!([{ "metricsToken": [] }]));
        self
    }

    pub fn param(
        mut self,
        place: In,
        name: &'static str,
        required: bool,
        schema: Value,
        description: impl Into<Option<&'static str>>,
    ) -> Self {
        let place = match place {
            In::Path => "path",
            In::Query => "query",
            In::Header => "header",
        };
        let mut parameter = json!({ "name": name, "in": place, "required": required, "schema": schema });
        if let Some(description) = description.into() {
            parameter["description"] = json!(description);
        }
        self.parameters.push(parameter);
        self
    }

    /// A request body of the Rust type `schema` names.
    pub fn body(
        mut self,
        content_type: &'static str,
        required: bool,
        schema: fn(&mut Schemas) -> Value,
    ) -> Self {
        self.body = Some((content_type, required, Body::Json(schema)));
        self
    }

    /// A request body described by its schema (a Rust type not deriving `ToSchema` yet).
    pub fn body_schema(mut self, content_type: &'static str, required: bool, schema: Value) -> Self {
        self.body = Some((content_type, required, Body::Untyped(content_type, schema)));
        self
    }

    pub fn answer(mut self, status: u16, description: &'static str, body: Body) -> Self {
        self.answers.push(Answer { status, description, body });
        self
    }

    /// The refusals this operation answers, each an RFC 9457 problem.
    pub fn problems(mut self, statuses: &[u16]) -> Self {
        self.problems.extend_from_slice(statuses);
        self
    }

    fn content(body: &Body, content_type: &'static str, schemas: &mut Schemas) -> Option<Value> {
        match body {
            Body::Json(schema) => Some(json!({ content_type: { "schema": schema(schemas) } })),
            Body::JsonLines(schema) => Some(json!({ "application/jsonl": { "schema": schema(schemas) } })),
            Body::Problem(schema) => {
                Some(json!({ "application/problem+json": { "schema": schema(schemas) } }))
            }
            Body::Untyped(content_type, schema) => Some(json!({ *content_type: { "schema": schema } })),
            Body::Alternatives(content_types, schema) => Some(Value::Object(
                content_types.iter().map(|t| ((*t).to_owned(), json!({ "schema": schema }))).collect(),
            )),
            Body::Empty => None,
        }
    }

    /// The refusals every operation of its kind answers, whether or not its entry names them:
    /// a body can be malformed (400), too large (413), of another type (415) or of the wrong
    /// shape (422); a token can be missing or expired (401); a write under `/api/v1` outside
    /// `/auth` is refused to the read-only viewer (403).
    fn implied_problems(&self) -> Vec<u16> {
        let mut implied = Vec::new();
        if self.body.is_some() && !self.path.starts_with("/open311/") {
            implied.extend([400, 413, 415, 422]);
        }
        if self.security.as_ref().is_some_and(|s| s.to_string().contains("bearer")) {
            implied.push(401);
        }
        if self.method != Method::Get
            && self.path.starts_with("/api/v1/")
            && !self.path.starts_with("/api/v1/auth/")
        {
            implied.push(403);
        }
        implied.retain(|status| !self.answers.iter().any(|a| a.status == *status));
        implied
    }

    /// This operation as an OpenAPI operation object.
    pub(super) fn to_json(&self, schemas: &mut Schemas) -> Value {
        let mut responses = serde_json::Map::new();
        for answer in &self.answers {
            let content = Self::content(&answer.body, "application/json", schemas);
            // One status with several bodies (JSON, or CSV when asked) is one response with a
            // content entry per media type; the first answer's description names it.
            let response = responses
                .entry(answer.status.to_string())
                .or_insert_with(|| json!({ "description": answer.description }));
            if let (Some(Value::Object(more)), Some(response)) = (content, response.as_object_mut()) {
                let entry = response.entry("content").or_insert_with(|| json!({}));
                if let Some(existing) = entry.as_object_mut() {
                    existing.extend(more);
                }
            }
        }
        for status in self.problems.iter().chain(&self.implied_problems()) {
            responses.insert(status.to_string(), json!({ "$ref": "#/components/responses/Problem" }));
        }
        let mut operation = json!({
            "tags": [self.tag],
            "summary": self.summary,
            "operationId": operation_id(self.method, self.path),
            "responses": responses,
        });
        if let Some(description) = self.description {
            operation["description"] = json!(description);
        }
        if let Some(security) = &self.security {
            operation["security"] = security.clone();
        }
        if !self.parameters.is_empty() {
            operation["parameters"] = json!(self.parameters);
        }
        if let Some((content_type, required, body)) = &self.body {
            let mut content = Self::content(body, content_type, schemas);
            if let (Some(examples), Some(Value::Object(content))) = (&self.body_examples, content.as_mut())
                && let Some(Value::Object(media)) = content.get_mut(*content_type)
            {
                media.insert("examples".to_owned(), examples.clone());
            }
            operation["requestBody"] = json!({ "required": required, "content": content });
        }
        operation
    }
}

/// A stable id from the method and path: `get_api_v1_cases_id_timeline`.
fn operation_id(method: Method, path: &str) -> String {
    let words: Vec<&str> =
        path.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    format!("{}_{}", method.as_str(), words.join("_"))
}

/// The whole document from the operations, the info block and the shared components.
pub(super) fn document(operations: &[Op], info: Value) -> Value {
    let mut schemas: Schemas = Vec::new();
    let mut paths: BTreeMap<&str, serde_json::Map<String, Value>> = BTreeMap::new();
    for op in operations {
        paths.entry(op.path).or_default().insert(op.method.as_str().to_owned(), op.to_json(&mut schemas));
    }
    let problem = typed::<crate::error::Problem<'static>>(&mut schemas);
    let mut components = serde_json::Map::new();
    for (name, schema) in schemas {
        components.insert(name, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
    json!({
        "openapi": "3.1.0",
        "info": info,
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": components,
            "responses": {
                "Problem": {
                    "description": "RFC 9457 problem",
                    "headers": {
                        "Retry-After": { "description": "On 429 and 503: seconds to wait", "schema": { "type": "integer" } }
                    },
                    "content": { "application/problem+json": { "schema": problem } }
                }
            },
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT" },
                "metricsToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token configured in GRIDLINE_METRICS_TOKEN"
                },
                "sensorKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A sensor system's key (`glsen_...`), issued by POST /api/v1/admin/sensor-systems. It files alarms for that system's own devices and opens no other API."
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Two Rust types that take one schema name would leave only the last one in the document.
    #[test]
    fn each_schema_name_is_one_shape() {
        let mut schemas: Schemas = Vec::new();
        for op in super::super::all_operations() {
            op.to_json(&mut schemas);
        }
        let mut shapes: BTreeMap<String, Value> = BTreeMap::new();
        let mut twice = std::collections::BTreeSet::new();
        for (name, schema) in schemas {
            let shape = serde_json::to_value(schema).unwrap();
            if *shapes.entry(name.clone()).or_insert_with(|| shape.clone()) != shape {
                twice.insert(name);
            }
        }
        assert!(twice.is_empty(), "names of two shapes each: {twice:?}");
    }
}
