//! The lists sync keeps on the phone, on [`GridlineClient`]: which lists each sync pass pulls
//! after the outbox (the inspector's work list, the user's own reports), and reading what was
//! last pulled, offline. Core's `device::pull` does the pulling and caching.

use gridline_core::device::{CachedCase as CoreCached, PullList as CoreList};

use crate::GridlineError;
use crate::client::GridlineClient;
use crate::workflow::CaseState;

/// A list that sync pulls by cursor and keeps on the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum PullList {
    /// The inspector's work list (cases in their cells that need them).
    WorkList,
    /// The signed-in user's own reports and where they stand.
    MyReports,
}

impl From<PullList> for CoreList {
    fn from(list: PullList) -> Self {
        match list {
            PullList::WorkList => CoreList::Worklist,
            PullList::MyReports => CoreList::MyReports,
        }
    }
}

impl From<CoreList> for PullList {
    fn from(list: CoreList) -> Self {
        match list {
            CoreList::Worklist => PullList::WorkList,
            CoreList::MyReports => PullList::MyReports,
        }
    }
}

/// A case as last pulled.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CachedCase {
    /// The list it was pulled with.
    pub list: PullList,
    /// The case id.
    pub id: String,
    /// Where it stood when pulled.
    pub state: CaseState,
    /// The server's JSON for it (the staff view for the work list, the reporter's receipt for
    /// own reports).
    pub json: String,
    /// When the server created it (RFC 3339), for ordering.
    pub created_at: String,
}

impl TryFrom<CoreCached> for CachedCase {
    type Error = GridlineError;
    fn try_from(c: CoreCached) -> Result<Self, GridlineError> {
        Ok(CachedCase {
            list: c.list.into(),
            id: c.id,
            state: CaseState::parse(&c.state)?,
            json: c.json,
            created_at: c.created_at,
        })
    }
}

#[uniffi::export]
impl GridlineClient {
    /// The lists every sync pass pulls after sending the outbox (none until set: the work list
    /// is for inspectors, own reports for anyone who files them).
    pub fn set_pull_lists(&self, lists: Vec<PullList>) {
        let lists: Vec<CoreList> = lists.into_iter().map(Into::into).collect();
        self.device.sync().set_pull_lists(&lists);
    }

    /// The lists each sync pass pulls.
    pub fn pull_lists(&self) -> Vec<PullList> {
        self.device.sync().pull_lists().into_iter().map(Into::into).collect()
    }

    /// The cases of `list` as last pulled, newest first; readable offline.
    pub fn cached_cases(&self, list: PullList) -> Result<Vec<CachedCase>, GridlineError> {
        self.device.store().cached_cases(list.into())?.into_iter().map(CachedCase::try_from).collect()
    }

    /// One case of `list` as last pulled, if the list holds it.
    pub fn cached_case(&self, list: PullList, case_id: String) -> Result<Option<CachedCase>, GridlineError> {
        self.device.store().cached_case(list.into(), &case_id)?.map(CachedCase::try_from).transpose()
    }
}
