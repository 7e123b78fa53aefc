//! Topics (每月一题, "one topic a month"): the problems that keep coming back to one place after
//! they were closed, found each month, ranked, and, once adopted, tracked together so that a
//! street office fixes the class of problem instead of one case at a time (Beijing's 12345
//! hotline picks its yearly topics this way).
//!
//! - **A place** is a grid cell, a community or a street ([`TopicLevel`]); a case is in the
//!   place its row names now.
//! - **Coming back after closure** ([`recurrences`]): a report of a category in a place is a
//!   recurrence when another case of that category in that place was closed before it, at most
//!   [`LOOK_BACK_DAYS`] days before. A closed case that is reopened is a recurrence too, at its
//!   reopening, after its own last closure within the look-back. A recurrence *came back after*
//!   the latest such closure.
//! - **The month** is the city's calendar month of the recurrence (the caller gives times in the
//!   city's time).
//! - **Candidates** ([`rank`]): every category and place with at least [`MIN_RECURRENCES`]
//!   recurrences in the month, with the closures they came back after (distinct), and the
//!   recurrences of each of the [`TREND_MONTHS`] months before.
//! - **Score**: the month's recurrences, most first; ties go to the larger trend, then to more
//!   closures came back after, then by place and category code. The **trend** is the month's
//!   recurrences minus the mean of the previous three months' (6 this month after 1, 2 and 3 is
//!   6 − 2 = +4, rising).
//! - **States and steps** ([`decide`]): an adopted topic is *resolved* (a note may say how) or
//!   *dropped* (a reason is required); both are final. Adopting ([`check_adoption`]) needs an
//!   owner unit or a note saying who takes it on. The street office, the district and the city
//!   act; a viewer reads.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::workflow::{Role, UnknownName, join, wire_enum};

/// How long after a closure a new report of the problem still counts as its coming back.
pub const LOOK_BACK_DAYS: i64 = 90;
/// The fewest recurrences in a month that make a candidate: once may be chance, twice is a
/// pattern.
pub const MIN_RECURRENCES: u32 = 2;
/// The months before the one ranked whose mean the trend compares against.
pub const TREND_MONTHS: usize = 3;
/// The most characters a note or a reason keeps.
pub const MAX_TEXT_CHARS: usize = 500;

wire_enum! {
    /// What a topic's place is.
    TopicLevel, "level" {
        Cell = "cell",
        Community = "community",
        Street = "street",
    }
}

wire_enum! {
    /// Where an adopted topic stands.
    TopicState, "topic state" {
        /// Taken on by an owner; its cases are tracked together.
        Adopted = "adopted",
        /// The class of problem is fixed.
        Resolved = "resolved",
        /// Given up, with a reason.
        Dropped = "dropped",
    }
}

wire_enum! {
    /// A step on an adopted topic.
    TopicAction, "topic action" {
        Resolve = "resolve",
        Drop = "drop",
    }
}

impl TopicLevel {
    /// The digits of a place's code at this level.
    pub fn digits(self) -> usize {
        match self {
            TopicLevel::Cell => 15,
            TopicLevel::Community => 12,
            TopicLevel::Street => 9,
        }
    }
}

impl TopicState {
    /// Whether new reports in the topic's place still join it.
    pub fn is_live(self) -> bool {
        self == TopicState::Adopted
    }

    /// The state in words (Chinese, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            TopicState::Adopted => ("已立题", "Adopted"),
            TopicState::Resolved => ("已解决", "Resolved"),
            TopicState::Dropped => ("已撤销", "Dropped"),
        }
    }
}

impl TopicAction {
    /// The step in words (Chinese, English), for its button.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            TopicAction::Resolve => ("办结", "Resolve"),
            TopicAction::Drop => ("撤销", "Drop"),
        }
    }

    /// Whether the step must carry a reason.
    pub fn needs_reason(self) -> bool {
        self == TopicAction::Drop
    }
}

/// A calendar month of the city, `YYYY-MM` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// The month `month` (1 to 12) of `year`; `None` otherwise.
    pub fn new(year: i32, month: u32) -> Option<Month> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Month { year, month })
    }

    /// The month a date falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    /// The month's first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The month `n` months before this one.
    pub fn back(self, n: u32) -> Month {
        let index = self.year * 12 + self.month as i32 - 1 - n as i32;
        Month { year: index.div_euclid(12), month: index.rem_euclid(12) as u32 + 1 }
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        let index = self.year * 12 + self.month as i32;
        Month { year: index.div_euclid(12), month: index.rem_euclid(12) as u32 + 1 }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(text: &str) -> Result<Month, String> {
        let bad = || format!("{text:?} is not a month: expected YYYY-MM, e.g. 2026-11");
        let (year, month) = text.trim().split_once('-').ok_or_else(bad)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(bad());
        }
        let year: i32 = year.parse().map_err(|_| bad())?;
        let month: u32 = month.parse().map_err(|_| bad())?;
        Month::new(year, month).filter(|_| year >= 1970).ok_or_else(bad)
    }
}

/// One case as the topic rules read it: where it is now, its category, when it was reported,
/// and when it was closed and reopened (city time).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseHistory {
    pub case_id: String,
    /// The place's code at the level ranked.
    pub place: String,
    pub category: String,
    /// None when the report came before the period read (its closures still count).
    pub reported_at: Option<NaiveDateTime>,
    pub closed_at: Vec<NaiveDateTime>,
    pub reopened_at: Vec<NaiveDateTime>,
}

/// How a problem came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Return {
    /// A new report after another case there was closed.
    Report,
    /// The closed case itself was reopened.
    Reopen,
}

/// A problem coming back after a closure.
#[derive(Debug, Clone, PartialEq)]
pub struct Recurrence {
    pub place: String,
    pub category: String,
    /// The case that came back: the new report, or the reopened case.
    pub case_id: String,
    pub at: NaiveDateTime,
    pub how: Return,
    /// The closed case it came back after, and when that closure was.
    pub after_case: String,
    pub after_closed_at: NaiveDateTime,
}

/// Every recurrence among `cases` (each case's report, and each reopening), in time order.
pub fn recurrences(cases: &[CaseHistory]) -> Vec<Recurrence> {
    let look_back = chrono::Duration::days(LOOK_BACK_DAYS);
    let mut by_problem: BTreeMap<(&str, &str), Vec<&CaseHistory>> = BTreeMap::new();
    for case in cases {
        by_problem.entry((&case.place, &case.category)).or_default().push(case);
    }
    let mut out = Vec::new();
    for ((place, category), group) in by_problem {
        // Every closure of the group in time order, so that the latest one before a report is a
        // binary search away (a street's category can hold thousands of cases).
        let mut closures: Vec<(NaiveDateTime, &str)> =
            group.iter().flat_map(|c| c.closed_at.iter().map(move |t| (*t, c.case_id.as_str()))).collect();
        closures.sort_unstable();
        let within = |closed: NaiveDateTime, at: NaiveDateTime| closed < at && at - closed <= look_back;
        // The latest closure before `at` of another case than `case` (a report), or of `case`
        // itself (a reopening), no more than the look-back before it.
        let latest_before = |at: NaiveDateTime, case: &CaseHistory, how: Return| match how {
            Return::Report => {
                let before = closures.partition_point(|(closed, _)| *closed < at);
                closures[..before]
                    .iter()
                    .rev()
                    .find(|(_, id)| *id != case.case_id)
                    .filter(|(closed, _)| within(*closed, at))
                    .map(|(closed, id)| (*closed, (*id).to_owned()))
            }
            Return::Reopen => case
                .closed_at
                .iter()
                .copied()
                .filter(|closed| within(*closed, at))
                .max()
                .map(|closed| (closed, case.case_id.clone())),
        };
        let mut found = |case: &CaseHistory, at: NaiveDateTime, how: Return| {
            if let Some((closed, after)) = latest_before(at, case, how) {
                out.push(Recurrence {
                    place: place.to_owned(),
                    category: category.to_owned(),
                    case_id: case.case_id.clone(),
                    at,
                    how,
                    after_case: after,
                    after_closed_at: closed,
                });
            }
        };
        for case in &group {
            if let Some(reported) = case.reported_at {
                found(case, reported, Return::Report);
            }
            for reopened in &case.reopened_at {
                found(case, *reopened, Return::Reopen);
            }
        }
    }
    out.sort_by(|a, b| (a.at, &a.case_id).cmp(&(b.at, &b.case_id)));
    out
}

/// Whether a topic is rising, steady or falling against the months before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Direction {
    Rising,
    Steady,
    Falling,
}

/// A category and a place that keep coming back in a month, with what ranks it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub place: String,
    pub category: String,
    /// Recurrences in the month.
    pub recurrences: u32,
    /// The distinct closures the month's recurrences came back after.
    pub closures: u32,
    /// The recurrences of each of the [`TREND_MONTHS`] months before, the oldest first.
    pub previous: Vec<u32>,
    /// The mean of `previous`.
    pub previous_mean: f64,
    /// `recurrences` − `previous_mean`.
    pub trend: f64,
    pub direction: Direction,
    /// The cases that came back in the month, in time order, each once.
    pub returned: Vec<String>,
    /// The closed cases they came back after, each once, not among `returned`.
    pub closed_before: Vec<String>,
}

/// The candidates of `month` among `found` (from [`recurrences`]), best first.
pub fn rank(found: &[Recurrence], month: Month) -> Vec<Candidate> {
    let months: Vec<Month> = (1..=TREND_MONTHS as u32).rev().map(|n| month.back(n)).collect();
    let mut by_problem: BTreeMap<(&str, &str), Vec<&Recurrence>> = BTreeMap::new();
    for recurrence in found {
        by_problem.entry((&recurrence.place, &recurrence.category)).or_default().push(recurrence);
    }
    let mut out: Vec<Candidate> = by_problem
        .into_iter()
        .filter_map(|((place, category), group)| {
            let in_month = |m: Month| group.iter().filter(move |r| Month::of(r.at.date()) == m);
            let now: Vec<&&Recurrence> = in_month(month).collect();
            let recurrences = now.len() as u32;
            if recurrences < MIN_RECURRENCES {
                return None;
            }
            let previous: Vec<u32> = months.iter().map(|m| in_month(*m).count() as u32).collect();
            let previous_mean = f64::from(previous.iter().sum::<u32>()) / TREND_MONTHS as f64;
            let trend = f64::from(recurrences) - previous_mean;
            let direction = if trend > 0.0 {
                Direction::Rising
            } else if trend < 0.0 {
                Direction::Falling
            } else {
                Direction::Steady
            };
            let closures: BTreeSet<(&str, NaiveDateTime)> =
                now.iter().map(|r| (r.after_case.as_str(), r.after_closed_at)).collect();
            let mut returned: Vec<String> = Vec::new();
            for r in &now {
                if !returned.contains(&r.case_id) {
                    returned.push(r.case_id.clone());
                }
            }
            let mut closed_before: Vec<String> = Vec::new();
            for (case, _) in &closures {
                if !returned.iter().any(|r| r == case) && !closed_before.iter().any(|c| c == case) {
                    closed_before.push((*case).to_owned());
                }
            }
            Some(Candidate {
                place: place.to_owned(),
                category: category.to_owned(),
                recurrences,
                closures: closures.len() as u32,
                previous,
                previous_mean,
                trend,
                direction,
                returned,
                closed_before,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.recurrences
            .cmp(&a.recurrences)
            .then(b.trend.total_cmp(&a.trend))
            .then(b.closures.cmp(&a.closures))
            .then_with(|| (&a.place, &a.category).cmp(&(&b.place, &b.category)))
    });
    out
}

/// Why a step on a topic, or its adoption, was refused: a stable machine
/// [`TopicRefusal::code`] and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicRefusal {
    #[error("{} may not act on a topic; the street office, the district and the city do",
        crate::workflow::with_article(*role))]
    NotForRole { role: Role },
    #[error("cannot {action} a topic that is {state}; {action} applies to topics that are: {}",
        join(&states_for(*action)))]
    NotFromState { state: TopicState, action: TopicAction },
    #[error("adopting a topic needs an owner unit or a note saying who takes it on")]
    OwnerRequired,
    #[error("drop needs a reason: a few words saying why the topic is given up")]
    ReasonRequired,
    #[error("the {field} is {chars} characters; at most {MAX_TEXT_CHARS}")]
    TooLong { field: &'static str, chars: usize },
}

impl TopicRefusal {
    /// The stable machine code, for `application/problem+json`.
    pub fn code(&self) -> &'static str {
        match self {
            TopicRefusal::NotForRole { .. } => "not_allowed_for_role",
            TopicRefusal::NotFromState { .. } => "topic_not_from_state",
            TopicRefusal::OwnerRequired => "owner_required",
            TopicRefusal::ReasonRequired => "reason_required",
            TopicRefusal::TooLong { .. } => "text_too_long",
        }
    }

    /// 403 for who acts, 409 for the topic's state, 422 for what the step lacks.
    pub fn status(&self) -> u16 {
        match self {
            TopicRefusal::NotForRole { .. } => 403,
            TopicRefusal::NotFromState { .. } => 409,
            _ => 422,
        }
    }

    /// The request field at fault, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            TopicRefusal::OwnerRequired => Some("owner_unit"),
            TopicRefusal::ReasonRequired => Some("reason"),
            TopicRefusal::TooLong { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn next_state(state: TopicState, action: TopicAction) -> Option<TopicState> {
    match (action, state) {
        (TopicAction::Resolve, TopicState::Adopted) => Some(TopicState::Resolved),
        (TopicAction::Drop, TopicState::Adopted) => Some(TopicState::Dropped),
        _ => None,
    }
}

fn states_for(action: TopicAction) -> Vec<TopicState> {
    TopicState::ALL.iter().copied().filter(|s| next_state(*s, action).is_some()).collect()
}

/// Whether `role` adopts topics and takes their steps.
pub fn acts(role: Role) -> bool {
    matches!(role, Role::Dispatcher | Role::DistrictAdmin | Role::Admin)
}

/// The steps `role` may take on a topic in `state` (what a screen offers).
pub fn available_actions(role: Role, state: TopicState) -> Vec<TopicAction> {
    if !acts(role) {
        return Vec::new();
    }
    TopicAction::ALL.iter().copied().filter(|a| next_state(state, *a).is_some()).collect()
}

fn text_of<'a>(field: &'static str, text: Option<&'a str>) -> Result<&'a str, TopicRefusal> {
    let text = text.map(str::trim).unwrap_or("");
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(TopicRefusal::TooLong { field, chars });
    }
    Ok(text)
}

/// May `role` adopt a topic with `owner_unit` and `note` (trimmed; one of them is required)?
pub fn check_adoption(role: Role, owner_unit: Option<&str>, note: Option<&str>) -> Result<(), TopicRefusal> {
    if !acts(role) {
        return Err(TopicRefusal::NotForRole { role });
    }
    let owner = owner_unit.map(str::trim).unwrap_or("");
    let note = text_of("note", note)?;
    if owner.is_empty() && note.is_empty() {
        return Err(TopicRefusal::OwnerRequired);
    }
    Ok(())
}

/// May `role` take `action` on a topic in `state`, with `reason` (trimmed; required to drop)?
/// The state it leads to.
pub fn decide(
    state: TopicState,
    action: TopicAction,
    role: Role,
    reason: Option<&str>,
) -> Result<TopicState, TopicRefusal> {
    if !acts(role) {
        return Err(TopicRefusal::NotForRole { role });
    }
    let next = next_state(state, action).ok_or(TopicRefusal::NotFromState { state, action })?;
    let reason = text_of("reason", reason)?;
    if action.needs_reason() && reason.is_empty() {
        return Err(TopicRefusal::ReasonRequired);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(month: u32, day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, month, day).unwrap().and_hms_opt(10, 0, 0).unwrap()
    }

    fn case(id: &str, place: &str, reported: NaiveDateTime, closed: &[NaiveDateTime]) -> CaseHistory {
        CaseHistory {
            case_id: id.to_owned(),
            place: place.to_owned(),
            category: "E0101".to_owned(),
            reported_at: Some(reported),
            closed_at: closed.to_vec(),
            reopened_at: Vec::new(),
        }
    }

    #[test]
    fn months_parse_and_step_across_years() {
        let november: Month = "2026-11".parse().unwrap();
        assert_eq!(november.to_string(), "2026-11");
        assert_eq!(november.back(3).to_string(), "2026-08");
        assert_eq!(november.back(11).to_string(), "2025-12");
        assert_eq!("2026-01".parse::<Month>().unwrap().back(1).to_string(), "2025-12");
        assert_eq!("2026-12".parse::<Month>().unwrap().next().to_string(), "2027-01");
        assert_eq!(november.first_day(), NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        assert_eq!(Month::of(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()).to_string(), "2026-02");
        for bad in ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "", "1969-12", "abcd-ef"] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }

    /// Cell X: case a closed on 1 Aug; b reported 10 Aug (9 days later: back), closed 12 Aug;
    /// c reported 20 Aug (8 days after b's closure: back after b); d reported 20 Dec, 130 days
    /// after the last closure: beyond the look-back, not back. Cell Y's one case never closed:
    /// its later report e is no recurrence. A report before any closure is none either.
    #[test]
    fn a_report_after_a_closure_in_the_same_place_within_the_look_back_comes_back() {
        let cases = [
            case("a", "X", at(7, 25), &[at(8, 1)]),
            case("b", "X", at(8, 10), &[at(8, 12)]),
            case("c", "X", at(8, 20), &[]),
            case("d", "X", at(12, 20), &[]),
            case("y", "Y", at(8, 2), &[]),
            case("e", "Y", at(8, 3), &[]),
        ];
        let found = recurrences(&cases);
        let summary: Vec<(&str, &str, NaiveDateTime)> =
            found.iter().map(|r| (r.case_id.as_str(), r.after_case.as_str(), r.after_closed_at)).collect();
        assert_eq!(summary, [("b", "a", at(8, 1)), ("c", "b", at(8, 12))]);
        assert!(found.iter().all(|r| r.how == Return::Report && r.place == "X"));
        // Another category in the same place is another problem.
        let mut other = cases.to_vec();
        other[1].category = "E0202".to_owned();
        let found = recurrences(&other);
        assert_eq!(found.iter().map(|r| r.case_id.as_str()).collect::<Vec<_>>(), ["c"]);
        assert_eq!(found[0].after_case, "a", "a closed 19 days before c");
    }

    #[test]
    fn a_reopened_case_comes_back_after_its_own_closure() {
        let mut reopened = case("a", "X", at(8, 1), &[at(8, 5), at(8, 20)]);
        reopened.reopened_at = vec![at(8, 15)];
        let found = recurrences(&[reopened]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].how, found[0].at, found[0].after_closed_at),
            (Return::Reopen, at(8, 15), at(8, 5))
        );
        assert_eq!(found[0].after_case, "a");
    }

    /// Cell X in November 2026: r1..r6 reported after c0 (closed 1 Nov) or after each other's
    /// closures. The months before: 1 recurrence in August, 2 in September, 3 in October, so
    /// the mean is 2 and the trend 6 − 2 = +4. Cell Z: 2 in November, after 4 in each month
    /// before: trend 2 − 4 = −2, falling. Cell W: 1 recurrence only, no candidate.
    #[test]
    fn candidates_rank_by_the_months_recurrences_with_their_trend() {
        let mut cases = vec![case("x0", "X", at(7, 20), &[at(7, 28)])];
        // One report a month later closed the day after: each report after the first comes
        // back after the one before.
        let mut n = 0;
        let mut push = |cases: &mut Vec<CaseHistory>, place: &str, month: u32, day: u32| {
            n += 1;
            cases.push(case(&format!("{place}{n}"), place, at(month, day), &[at(month, day + 1)]));
        };
        for (month, count) in [(8, 1), (9, 2), (10, 3), (11, 6)] {
            for i in 0..count {
                push(&mut cases, "X", month, 2 + 3 * i);
            }
        }
        cases.push(case("z0", "Z", at(7, 30), &[at(7, 31)]));
        for month in [8, 9, 10] {
            for i in 0..4 {
                push(&mut cases, "Z", month, 2 + 3 * i);
            }
        }
        for i in 0..2 {
            push(&mut cases, "Z", 11, 2 + 3 * i);
        }
        cases.push(case("w0", "W", at(11, 1), &[at(11, 2)]));
        push(&mut cases, "W", 11, 10);

        let found = recurrences(&cases);
        let ranked = rank(&found, "2026-11".parse().unwrap());
        assert_eq!(ranked.len(), 2, "{ranked:?}");
        let x = &ranked[0];
        assert_eq!((x.place.as_str(), x.recurrences, x.closures), ("X", 6, 6));
        assert_eq!((x.previous.as_slice(), x.previous_mean, x.trend), (&[1, 2, 3][..], 2.0, 4.0));
        assert_eq!(x.direction, Direction::Rising);
        assert_eq!(x.returned.len(), 6);
        // The first November report came back after October's last case, which is tracked too.
        assert_eq!(x.closed_before, ["X6"]);
        let z = &ranked[1];
        assert_eq!((z.place.as_str(), z.recurrences, z.previous.as_slice()), ("Z", 2, &[4, 4, 4][..]));
        assert_eq!((z.trend, z.direction), (-2.0, Direction::Falling));
        // Ties: the same count ranks the larger trend first.
        let ranked = rank(&found, "2026-10".parse().unwrap());
        let order: Vec<(&str, u32, f64)> =
            ranked.iter().map(|c| (c.place.as_str(), c.recurrences, c.trend)).collect();
        // October: Z 4 after (0 in July, 4, 4) → 4 − 8/3; X 3 after (0, 1, 2) → 3 − 1 = 2.
        assert_eq!(order, [("Z", 4, 4.0 - 8.0 / 3.0), ("X", 3, 2.0)]);
    }

    #[test]
    fn steady_when_the_month_matches_the_mean_and_ties_go_to_the_larger_trend() {
        let mut cases = Vec::new();
        // P's first closure is in July, Q's in late October (so November's reports come back).
        for (place, months, first) in [("P", [2, 2, 2, 2], (7, 1)), ("Q", [0, 0, 0, 2], (10, 20))] {
            cases.push(case(&format!("{place}0"), place, at(first.0, first.1), &[at(first.0, first.1 + 1)]));
            for (m, count) in [8, 9, 10, 11].into_iter().zip(months) {
                for i in 0..count {
                    let id = format!("{place}{m}-{i}");
                    cases.push(case(&id, place, at(m, 3 + 5 * i), &[at(m, 4 + 5 * i)]));
                }
            }
        }
        let ranked = rank(&recurrences(&cases), "2026-11".parse().unwrap());
        let order: Vec<(&str, f64, Direction)> =
            ranked.iter().map(|c| (c.place.as_str(), c.trend, c.direction)).collect();
        assert_eq!(order, [("Q", 2.0, Direction::Rising), ("P", 0.0, Direction::Steady)]);
    }

    #[test]
    fn the_street_office_adopts_with_an_owner_or_a_note_and_resolves_or_drops_with_a_reason() {
        use TopicAction as A;
        use TopicState as S;
        assert_eq!(check_adoption(Role::Dispatcher, Some("U-ROADS"), None), Ok(()));
        assert_eq!(check_adoption(Role::Admin, None, Some("街道城管科牵头")), Ok(()));
        assert_eq!(check_adoption(Role::DistrictAdmin, Some(" "), Some("x")), Ok(()));
        fn refused<T: fmt::Debug>(r: Result<T, TopicRefusal>) -> &'static str {
            r.unwrap_err().code()
        }
        assert_eq!(refused(check_adoption(Role::Dispatcher, Some("  "), Some(" "))), "owner_required");
        assert_eq!(refused(check_adoption(Role::Dispatcher, None, None)), "owner_required");
        assert_eq!(refused(check_adoption(Role::Viewer, Some("U"), None)), "not_allowed_for_role");
        let long = "长".repeat(501);
        assert_eq!(refused(check_adoption(Role::Admin, Some("U"), Some(&long))), "text_too_long");

        assert_eq!(decide(S::Adopted, A::Resolve, Role::Dispatcher, None), Ok(S::Resolved));
        assert_eq!(decide(S::Adopted, A::Drop, Role::Admin, Some(" moved to the district ")), Ok(S::Dropped));
        assert_eq!(refused(decide(S::Adopted, A::Drop, Role::Dispatcher, Some(" "))), "reason_required");
        assert_eq!(refused(decide(S::Adopted, A::Drop, Role::Dispatcher, Some(&long))), "text_too_long");
        assert_eq!(refused(decide(S::Resolved, A::Drop, Role::Admin, Some("x"))), "topic_not_from_state");
        assert_eq!(refused(decide(S::Dropped, A::Resolve, Role::Admin, None)), "topic_not_from_state");
        let message = decide(S::Resolved, A::Resolve, Role::Admin, None).unwrap_err().to_string();
        assert_eq!(
            message,
            "cannot resolve a topic that is resolved; resolve applies to topics that are: adopted"
        );
        for role in
            [Role::Viewer, Role::Handler, Role::Inspector, Role::Citizen, Role::Operator, Role::System]
        {
            assert_eq!(refused(decide(S::Adopted, A::Resolve, role, None)), "not_allowed_for_role");
            assert!(available_actions(role, S::Adopted).is_empty());
        }
        assert_eq!(available_actions(Role::Dispatcher, S::Adopted), [A::Resolve, A::Drop]);
        assert!(available_actions(Role::Admin, S::Resolved).is_empty());
        assert!(A::Drop.needs_reason() && !A::Resolve.needs_reason());
        assert_eq!(TopicRefusal::OwnerRequired.field(), Some("owner_unit"));
        assert!(S::Adopted.is_live() && !S::Dropped.is_live() && !S::Resolved.is_live());
    }
}
