//! One answer, two wire formats: Open311 documents are built once as a small tree ([`Node`]) and
//! written as XML (`.xml`, the format the specification requires) or JSON (`.json`). Errors
//! ([`Fault`]) take the specification's shape: `<errors><error><code>…` or `[{"code":…}]`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use quick_xml::escape::escape;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorKind};
use crate::store::StoreError;

/// The format named by a resource's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// `services.xml` → (`services`, XML). An unknown suffix is a fault answered in XML.
pub fn split_format(file: &str) -> Result<(&str, Format), (Fault, Format)> {
    let unsupported = || (Fault::not_found("unsupported format: use .xml or .json"), Format::Xml);
    let (name, suffix) = file.rsplit_once('.').ok_or_else(unsupported)?;
    match suffix {
        "xml" => Ok((name, Format::Xml)),
        "json" => Ok((name, Format::Json)),
        _ => Err(unsupported()),
    }
}

/// A document node. An [`Node::Object`] becomes child elements (XML) or an object (JSON); a
/// [`Node::List`] becomes one element per item, each named by the list's item name (XML), or an
/// array (JSON). A [`Node::Null`] is an empty element or `null`.
#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Number(f64),
    Int(i64),
    Bool(bool),
    Null,
    Object(Vec<(&'static str, Node)>),
    List(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(value: impl Into<String>) -> Node {
        Node::Text(value.into())
    }

    pub fn opt_text(value: Option<impl Into<String>>) -> Node {
        value.map_or(Node::Null, |v| Node::Text(v.into()))
    }

    fn to_json(&self) -> Value {
        match self {
            Node::Text(s) => Value::String(s.clone()),
            Node::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Node::Int(n) => Value::from(*n),
            Node::Bool(b) => Value::Bool(*b),
            Node::Null => Value::Null,
            Node::Object(fields) => Value::Object(
                fields.iter().map(|(k, v)| ((*k).to_owned(), v.to_json())).collect::<Map<_, _>>(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::to_json).collect()),
        }
    }

    fn write_xml(&self, name: &str, out: &mut String) {
        out.push('<');
        out.push_str(name);
        out.push('>');
        match self {
            Node::Text(s) => out.push_str(&escape(s.as_str())),
            Node::Number(n) => out.push_str(&n.to_string()),
            Node::Int(n) => out.push_str(&n.to_string()),
            Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Node::Null => {}
            Node::Object(fields) => fields.iter().for_each(|(k, v)| v.write_xml(k, out)),
            Node::List(item, items) => items.iter().for_each(|v| v.write_xml(item, out)),
        }
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    }
}

/// The answer: `root` names the XML root element (JSON has none).
pub fn respond(status: StatusCode, format: Format, root: &str, node: &Node) -> HttpResponse {
    let body = match format {
        Format::Json => node.to_json().to_string(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            node.write_xml(root, &mut out);
            out
        }
    };
    HttpResponse::build(status).content_type(format.content_type()).body(body)
}

/// An Open311 error: the HTTP status is also the error's `code`, as the specification's
/// examples do.
#[derive(Debug)]
pub struct Fault {
    pub status: StatusCode,
    pub description: String,
}

impl Fault {
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, description: description.into() }
    }

    pub fn forbidden(description: impl Into<String>) -> Self {
        Self { status: StatusCode::FORBIDDEN, description: description.into() }
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self { status: StatusCode::NOT_FOUND, description: description.into() }
    }

    pub fn respond(&self, format: Format) -> HttpResponse {
        let error = Node::Object(vec![
            ("code", Node::Int(i64::from(self.status.as_u16()))),
            ("description", Node::text(&self.description)),
        ]);
        respond(self.status, format, "errors", &Node::List("error", vec![error]))
    }
}

impl From<super::form::FormError> for Fault {
    fn from(e: super::form::FormError) -> Self {
        Fault::bad_request(e.to_string())
    }
}

/// Intake's problems keep their meaning; a field-level refusal (422 in `/api/v1`) is a 400 here,
/// the status Open311 clients expect for a request they must correct.
impl From<ApiError> for Fault {
    fn from(e: ApiError) -> Self {
        let status = match e.kind {
            ErrorKind::Unprocessable | ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized | ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            other => other.status(),
        };
        if status.is_server_error() {
            // The problem+json rendering logs the cause (never sent); its body is not used.
            let _ = e.error_response();
        }
        let description = match &e.field {
            Some(field) => format!("{}: {}", wire_field(field), e.detail),
            None => e.detail.clone(),
        };
        Fault { status, description }
    }
}

impl From<StoreError> for Fault {
    fn from(e: StoreError) -> Self {
        Fault::from(ApiError::from(e))
    }
}

/// Intake's field names as the Open311 client sent them.
fn wire_field(field: &str) -> String {
    match field {
        "category" => "service_code".to_owned(),
        "position.lat" => "lat".to_owned(),
        "position.lon" => "long".to_owned(),
        _ => match field.strip_prefix("answers.") {
            Some(code) => format!("attribute[{code}]"),
            None => field.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn one_tree_two_formats() {
        let node = Node::List(
            "service",
            vec![Node::Object(vec![
                ("service_code", Node::text("E0101")),
                ("metadata", Node::Bool(false)),
                ("group", Node::Null),
                ("name", Node::text("a < b & \"c\"")),
            ])],
        );
        let xml = respond(StatusCode::OK, Format::Xml, "services", &node);
        let json = respond(StatusCode::OK, Format::Json, "services", &node);
        assert_eq!(xml.headers().get("content-type").unwrap(), "text/xml; charset=utf-8");
        assert_eq!(json.headers().get("content-type").unwrap(), "application/json; charset=utf-8");
        let mut out = String::new();
        node.write_xml("services", &mut out);
        assert_eq!(
            out,
            "<services><service><service_code>E0101</service_code><metadata>false</metadata><group></group>\
             <name>a &lt; b &amp; &quot;c&quot;</name></service></services>"
        );
        assert_eq!(node.to_json()[0]["name"], "a < b & \"c\"");
    }

    #[test]
    fn suffixes() {
        assert_eq!(split_format("services.json").unwrap(), ("services", Format::Json));
        assert_eq!(split_format("GL-261129-7KQ2MX.xml").unwrap(), ("GL-261129-7KQ2MX", Format::Xml));
        assert!(split_format("services.csv").is_err());
        assert!(split_format("services").is_err());
    }
}
