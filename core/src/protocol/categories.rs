//! `GET /api/v1/categories`: the city's categories as they are now (names, time limit, anonymity
//! rule, duplicate radius, default unit and extra questions), written by the server and read
//! by the phone ([`CategoryList::parse`]), which keeps the last copy to check drafts offline.

use serde::{Deserialize, Serialize};

use super::AnswerError;
use crate::taxonomy::Category;

/// Every category of the city, in code order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryList {
    pub categories: Vec<Category>,
}

impl CategoryList {
    /// Read a `GET /api/v1/categories` answer; an empty list is refused (a city without
    /// categories cannot take reports, so it is a broken answer, not a taxonomy to keep).
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        let list: Self = super::parse_answer(body)?;
        if list.categories.is_empty() {
            return Err(AnswerError { reason: "the category list is empty".into() });
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Taxonomy;

    #[test]
    fn the_list_reads_back_as_written_with_its_questions() {
        let shipped = Taxonomy::default_taxonomy().unwrap();
        let list = CategoryList { categories: shipped.categories().to_vec() };
        let read = CategoryList::parse(&serde_json::to_vec(&list).unwrap()).unwrap();
        assert_eq!(read, list);
        assert!(read.categories.iter().any(|c| c.questions.iter().any(|q| q.required)));
        assert!(CategoryList::parse(br#"{"categories":[]}"#).is_err());
        assert!(CategoryList::parse(b"<html>").is_err());
    }
}
