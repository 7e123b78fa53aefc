//! Typed columns: the text a nullable code or id column holds, as the value core parses it into.
//!
//! A non-null code or id column maps straight onto its core type with diesel's
//! `deserialize_as = String` (core's codes and [`CaseId`] convert from and into `String`). A
//! nullable one needs this small carrier, because `Option<GridCode>` and `Option<String>` are
//! both foreign to the server and cannot be converted into each other directly. A stored value core does not accept
//! fails the read with the parse error (the store answers it as a database error), never as a
//! missing row or a panic.
//!
//! The statistics read millions of rows a request, so their columns go through [`Parsed`]
//! instead: parsed from the text in the database's own buffer, without a `String` made and
//! dropped for each column of each row.

use std::str::FromStr;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromStaticSqlRow, Queryable};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::{Nullable, Text};
use diesel::sqlite::{Sqlite, SqliteValue};
use gridline_core::codes::{AreaCode, CaseId, CaseIdError, CategoryCode, CodeError, GridCode};
use gridline_core::workflow::{CaseState, Channel, UnknownName};

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
    AreaCode => CodeError,
);

/// A case id read as a bare column rather than through a row type: a text that is not one
/// fails the read as corrupt stored data.
pub fn stored_case_id(text: &str) -> super::StoreResult<CaseId> {
    CaseId::parse(text).map_err(|e| super::StoreError::Corrupt(e.to_string()))
}

/// A text column (`T`) or a nullable one (`Option<T>`) parsed into core's type where the
/// database keeps the text; a text core does not accept fails the read with the parse error.
/// Read-only: rows are written through `String` or [`NullableText`].
#[derive(Debug, Clone, Copy)]
pub struct Parsed<T>(T);

fn parse<T: FromStr>(text: &str) -> deserialize::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    Ok(text.parse::<T>()?)
}

impl<T: FromStr> FromSql<Text, Sqlite> for Parsed<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        parse(value.read_text()).map(Parsed)
    }
}

impl<T: FromStr> FromSql<Text, Pg> for Parsed<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        parse(std::str::from_utf8(value.as_bytes())?).map(Parsed)
    }
}

impl<T: FromStr> FromSql<Nullable<Text>, Sqlite> for Parsed<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        parse(value.read_text()).map(|value| Parsed(Some(value)))
    }

    fn from_nullable_sql(value: Option<SqliteValue<'_, '_, '_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => <Self as FromSql<Nullable<Text>, Sqlite>>::from_sql(value),
            None => Ok(Parsed(None)),
        }
    }
}

impl<T: FromStr> FromSql<Nullable<Text>, Pg> for Parsed<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        parse(std::str::from_utf8(value.as_bytes())?).map(|value| Parsed(Some(value)))
    }

    fn from_nullable_sql(value: Option<PgValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => <Self as FromSql<Nullable<Text>, Pg>>::from_sql(value),
            None => Ok(Parsed(None)),
        }
    }
}

/// The store's connection, whose backend is chosen when it connects: a value is read by that
/// backend's impl above.
type Multi = <super::DbConnection as diesel::Connection>::Backend;

impl<T: FromStr> FromSql<Text, Multi> for Parsed<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(value: <Multi as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Text>()
    }
}

impl<T: FromStr> FromSql<Nullable<Text>, Multi> for Parsed<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn from_sql(value: <Multi as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Nullable<Text>>()
    }

    fn from_nullable_sql(value: Option<<Multi as Backend>::RawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(value) => <Self as FromSql<Nullable<Text>, Multi>>::from_sql(value),
            None => Ok(Parsed(None)),
        }
    }
}

/// Diesel's own text types are made queryable the same way: a single value is its own row.
macro_rules! parsed_queryable {
    ($($sql:ty => $value:ty),+ $(,)?) => {$(
        impl<T, DB: Backend> Queryable<$sql, DB> for Parsed<$value>
        where
            Self: FromSql<$sql, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )+};
}

parsed_queryable!(Text => T, Nullable<Text> => Option<T>);

/// The way out of the carrier for each type the statistics read (`From` cannot be written once
/// for every `T`: the value types are core's).
macro_rules! parsed_into {
    ($($value:ty),+ $(,)?) => {$(
        impl From<Parsed<$value>> for $value {
            fn from(parsed: Parsed<$value>) -> Self {
                parsed.0
            }
        }

        impl From<Parsed<Option<$value>>> for Option<$value> {
            fn from(parsed: Parsed<Option<$value>>) -> Self {
                parsed.0
            }
        }
    )+};
}

parsed_into!(CaseId, CaseState, GridCode, CategoryCode, AreaCode, Channel);
