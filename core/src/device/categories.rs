//! The city's categories on the phone: refreshed from `GET /api/v1/categories` (public, so it
//! works before sign-in) with their extra questions, kept in the device store, and used to
//! check drafts and to draw the new-report screen, so a category the city added or changed
//! (a new required question) is asked as the server will check it, offline with the last copy.
//!
//! The answer carries categories only: their major classes and handling units are the ones the
//! app shipped with (the server checks a category against the same shipped ones when an admin
//! writes it). A default unit the phone does not know is dropped from its copy, since the phone
//! never routes to units; a category of an unknown major class makes the whole answer
//! unusable, and the copy in use stays.

use crate::protocol::CategoryList;
use crate::taxonomy::{Category, Taxonomy};

use super::Device;
use super::error::{Error, Result};

/// The settings key of the last category list the server gave.
const CATEGORIES_KEY: &str = "categories";
pub(crate) const CATEGORIES_PATH: &str = "/api/v1/categories";

/// `categories` over the major classes and units of `base`: the taxonomy a draft is checked
/// against.
pub(crate) fn taxonomy_of(base: &Taxonomy, categories: Vec<Category>) -> Result<Taxonomy> {
    let categories = categories
        .into_iter()
        .map(|mut c| {
            if c.default_unit.as_deref().is_some_and(|u| base.unit(u).is_none()) {
                c.default_unit = None;
            }
            c
        })
        .collect();
    Taxonomy::from_parts(base.majors().to_vec(), base.units().to_vec(), categories).map_err(|e| {
        Error::Protocol { endpoint: CATEGORIES_PATH, reason: format!("the categories do not fit: {e}") }
    })
}

impl Device {
    /// Use the category list kept by the last refresh, if any (at open: offline, the phone
    /// checks drafts against the city's last known categories, not the shipped ones).
    pub(crate) fn load_kept_categories(&self) -> Result<()> {
        let Some(kept) = self.store().setting::<CategoryList>(CATEGORIES_KEY)? else { return Ok(()) };
        // A kept copy that no longer fits this app's major classes is ignored: the next refresh
        // brings a usable one.
        if let Ok(taxonomy) = taxonomy_of(&self.taxonomy(), kept.categories) {
            self.set_taxonomy(taxonomy);
        }
        Ok(())
    }

    /// Fetch the city's categories and, when they differ from the ones in use, keep them and
    /// use them from now on. Returns whether they changed. Blocks on the network; offline it
    /// fails with a transport error and the copy in use stays.
    pub fn refresh_categories(&self) -> Result<bool> {
        let list = self.remote().get_public_as(CATEGORIES_PATH, CATEGORIES_PATH, CategoryList::parse)?;
        if list.categories.as_slice() == self.taxonomy().categories() {
            return Ok(false);
        }
        let taxonomy = taxonomy_of(&self.taxonomy(), list.categories.clone())?;
        self.store().set_setting(CATEGORIES_KEY, &list)?;
        self.set_taxonomy(taxonomy);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::CategoryCode;

    #[test]
    fn unknown_units_are_dropped_and_unknown_majors_refused() {
        let shipped = Taxonomy::default_taxonomy().unwrap();
        let mut categories = shipped.categories().to_vec();
        categories[0].default_unit = Some("a-unit-added-later".into());
        let code = categories[0].code;
        let taxonomy = taxonomy_of(&shipped, categories.clone()).unwrap();
        assert_eq!(taxonomy.get(code).unwrap().default_unit, None);

        categories[1].code = CategoryCode::parse("C9901").unwrap();
        assert!(matches!(taxonomy_of(&shipped, categories), Err(Error::Protocol { .. })));
    }
}
