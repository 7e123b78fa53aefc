//! The OpenAPI shapes of the account writes' fields (login name, display name, password, role
//! and the scope that fits it), each built from the rule and the limits the server applies, so
//! the document refuses what the server refuses.

use gridline_core::workflow::Role;
use gridline_core::workflow::scope::Scope;
use serde_json::{Value, json};
use utoipa::openapi::schema::SchemaType;
use utoipa::openapi::{Object, ObjectBuilder, Type};

use crate::api::openapi::{CONTROL_CLASS, TRIMMED_CLASS, text_schema};
use crate::auth::password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::auth::users::{MAX_DISPLAY_NAME_CHARS, MAX_LOGIN_CHARS, MIN_LOGIN_CHARS};

/// What `users::normalize_login` accepts: [`MIN_LOGIN_CHARS`] to [`MAX_LOGIN_CHARS`] of
/// `a-z 0-9 . _ -` in either case, white space around.
pub fn login_pattern() -> String {
    let ws = TRIMMED_CLASS;
    format!("^[{ws}]*[A-Za-z0-9._-]{{{MIN_LOGIN_CHARS},{MAX_LOGIN_CHARS}}}[{ws}]*$")
}

/// What `users::check_display_name` accepts: 1 to [`MAX_DISPLAY_NAME_CHARS`] characters once
/// trimmed, none of them a control character.
pub fn display_name_pattern() -> String {
    let (ws, control) = (TRIMMED_CLASS, CONTROL_CLASS);
    let inner = MAX_DISPLAY_NAME_CHARS - 2;
    format!("^[{ws}]*[^{ws}{control}](?:[^{control}]{{0,{inner}}}[^{ws}{control}])?[{ws}]*$")
}

fn string_with(pattern: String) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern))
}

fn or_null(mut schema: Object) -> Object {
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

pub(super) fn login_schema() -> Object {
    string_with(login_pattern()).build()
}

pub(super) fn display_name_schema() -> Object {
    string_with(display_name_pattern()).build()
}

/// A patch's display name: as a new one, or `null` (left as it is).
pub(super) fn display_name_or_null_schema() -> Object {
    or_null(display_name_schema())
}

/// A password the server sets: [`MIN_PASSWORD_CHARS`] to [`MAX_PASSWORD_CHARS`] characters, or
/// `null` (none given).
pub(super) fn password_or_null_schema() -> Object {
    or_null(text_schema(MIN_PASSWORD_CHARS, MAX_PASSWORD_CHARS, None))
}

/// A staff role: any role but citizen (citizens sign up by phone or device).
pub(super) fn staff_role_schema() -> Object {
    roles_schema(Role::ALL.iter().copied().filter(|r| *r != Role::Citizen))
}

/// One of `roles`.
pub(super) fn roles_schema(roles: impl IntoIterator<Item = Role>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(roles.into_iter().map(|r| r.as_str())))
        .build()
}

/// For each of `roles`: with that `role`, the `scope` is of a kind the role holds
/// ([`Scope::kinds_for`]) and, when the role has no default scope ([`Scope::default_for`]),
/// it is given.
pub fn scope_fits_role(roles: &[Role]) -> Vec<Value> {
    roles
        .iter()
        .map(|role| {
            let kinds = json!({ "properties": { "kind": { "enum": Scope::kinds_for(*role) } } });
            let mut then = json!({ "properties": { "scope": kinds } });
            if Scope::default_for(*role).is_none() {
                then["required"] = json!(["scope"]);
                then["properties"]["scope"]["type"] = json!("object");
            }
            json!({
                "if": { "required": ["role"], "properties": { "role": { "const": role.as_str() } } },
                "then": then,
            })
        })
        .collect()
}
