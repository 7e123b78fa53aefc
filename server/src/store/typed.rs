//! Typed columns: the text a nullable code or id column holds, as the value core parses it into.
//!
//! A non-null code or id column maps straight onto its core type with diesel's
//! `deserialize_as = String` (core's codes and [`CaseId`] convert from and into `String`). A
//! nullable one needs this small carrier, because `Option<GridCode>` and `Option<String>` are
//! both foreign to the server and cannot be converted into each other directly. A stored value core does not accept
//! fails the read with the parse error (the store answers it as a database error), never as a
//! missing row or a panic.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::expression::AsExpression;
use diesel::sql_types::{Nullable, Text};
use gridline_core::codes::{CaseId, CaseIdError, CategoryCode, CodeError, GridCode};
use gridline_core::workflow::{CaseState, UnknownName};

/// The text of a nullable grid-code, category-code or case-id column, on its way into or out of
/// [`GridCode`], [`CategoryCode`] or [`CaseId`].
#[derive(Debug, Clone)]
pub struct NullableText(Option<String>);

impl<DB: Backend> Queryable<Nullable<Text>, DB> for NullableText
where
    Option<String>: FromStaticSqlRow<Nullable<Text>, DB>,
{
    type Row = Option<String>;

    fn build(text: Option<String>) -> deserialize::Result<Self> {
        Ok(Self(text))
    }
}

impl AsExpression<Nullable<Text>> for NullableText {
    type Expression = <Option<String> as AsExpression<Nullable<Text>>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Nullable<Text>>::as_expression(self.0)
    }
}

/// The two conversions between [`NullableText`] and `Option<$value>`: parsed with `FromStr` on
/// the way out of the database (its error fails the read), written as the value's text.
macro_rules! nullable_text {
    ($($value:ty => $error:ty),+ $(,)?) => {$(
        impl TryFrom<NullableText> for Option<$value> {
            type Error = $error;

            fn try_from(text: NullableText) -> Result<Self, $error> {
                text.0.as_deref().map(str::parse).transpose()
            }
        }

        impl From<Option<$value>> for NullableText {
            fn from(value: Option<$value>) -> Self {
                Self(value.map(|value| value.to_string()))
            }
        }
    )+};
}

nullable_text!(
    GridCode => CodeError,
    CaseId => CaseIdError,
    CaseState => UnknownName,
    CategoryCode => CodeError,
);

/// A case id read as a bare column rather than through a row type: a text that is not one
/// fails the read as corrupt stored data.
pub fn stored_case_id(text: &str) -> super::StoreResult<CaseId> {
    CaseId::parse(text).map_err(|e| super::StoreError::Corrupt(e.to_string()))
}
