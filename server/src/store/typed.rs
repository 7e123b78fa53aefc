//! Typed columns: the text a nullable code column holds, as the value core parses it into.
//!
//! A non-null code column maps straight onto its core type with diesel's
//! `deserialize_as = String` (core's codes convert from and into `String`). A nullable one needs
//! this small carrier, because `Option<GridCode>` and `Option<String>` are both foreign to the
//! server and cannot be converted into each other directly. A stored value core does not accept
//! fails the read with the parse error (the store answers it as a database error), never as a
//! missing row or a panic.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::expression::AsExpression;
use diesel::sql_types::{Nullable, Text};
use gridline_core::codes::{CodeError, GridCode};

/// The text of a nullable grid-code column, on its way into or out of [`GridCode`].
#[derive(Debug, Clone)]
pub struct NullableGridText(Option<String>);

impl<DB: Backend> Queryable<Nullable<Text>, DB> for NullableGridText
where
    Option<String>: FromStaticSqlRow<Nullable<Text>, DB>,
{
    type Row = Option<String>;

    fn build(text: Option<String>) -> deserialize::Result<Self> {
        Ok(Self(text))
    }
}

impl AsExpression<Nullable<Text>> for NullableGridText {
    type Expression = <Option<String> as AsExpression<Nullable<Text>>>::Expression;

    fn as_expression(self) -> Self::Expression {
        AsExpression::<Nullable<Text>>::as_expression(self.0)
    }
}

impl TryFrom<NullableGridText> for Option<GridCode> {
    type Error = CodeError;

    fn try_from(text: NullableGridText) -> Result<Self, CodeError> {
        text.0.as_deref().map(GridCode::parse).transpose()
    }
}

impl From<Option<GridCode>> for NullableGridText {
    fn from(code: Option<GridCode>) -> Self {
        Self(code.map(|code| code.to_string()))
    }
}
