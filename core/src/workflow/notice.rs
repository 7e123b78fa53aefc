//! What a reporter is told when their case changes in a way the public can see, in Chinese and
//! English: which workflow steps are such changes ([`PublicChange::of`]), the words of each
//! message (always with the tracking number), which notices may wake someone at night
//! ([`urgent`]), and the city's quiet hours ([`QuietHours`]).
//!
//! The server's notification outbox records a [`PublicChange`] in the same transaction as the
//! step's event, and its delivery job renders the message with [`notice`] in the reporter's
//! language; the apps and pages read the same words, never a copy.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{Action, UnknownName, join};
use crate::codes::{CategoryCode, CategoryKind};

wire_enum! {
    /// A change of a case that its reporter is told about.
    PublicChange, "public change" {
        /// 立案: accepted as a case.
        Registered = "registered",
        /// 派遣: sent to a handling unit (again, after a send-back or a failed check).
        Dispatched = "dispatched",
        /// The handling unit says it is fixed; an inspector will check.
        Handled = "handled",
        /// 结案: verified fixed, or closed by the street office.
        Closed = "closed",
        /// Folded into another case of the same problem.
        Merged = "merged",
        /// 不予立案: not accepted, with the street office's reason.
        Rejected = "rejected",
        /// Taken up again after closing, rejecting or merging.
        Reopened = "reopened",
    }
}

impl PublicChange {
    /// The change a recorded step makes public, if any: the steps a reporter would notice
    /// from outside. Staff-only steps (accept, extend, send back, overdue flags, the rating
    /// itself) tell the reporter nothing.
    pub fn of(action: Action) -> Option<PublicChange> {
        Some(match action {
            Action::Register => PublicChange::Registered,
            Action::Dispatch | Action::VerifyFail => PublicChange::Dispatched,
            Action::MarkHandled => PublicChange::Handled,
            Action::VerifyPass | Action::Close | Action::Answer | Action::Transfer => PublicChange::Closed,
            Action::Merge => PublicChange::Merged,
            Action::Reject => PublicChange::Rejected,
            Action::Reopen => PublicChange::Reopened,
            _ => return None,
        })
    }

    /// [`PublicChange::of`] for a stored event kind (`reported` and the system's kinds: none).
    pub fn of_event_kind(kind: &str) -> Option<PublicChange> {
        kind.parse::<Action>().ok().and_then(PublicChange::of)
    }

    /// The change a stored event makes public, given the state it led to. A call-back (回访)
    /// tells the reporter nothing they did not just say on the phone, unless its dissatisfied
    /// answer sent the closed case back for rework: then the case is taken up again.
    pub fn of_event(kind: &str, to_state: super::CaseState) -> Option<PublicChange> {
        if kind == Action::CallBack.as_str() {
            return (to_state != super::CaseState::Closed).then_some(PublicChange::Reopened);
        }
        PublicChange::of_event_kind(kind)
    }
}

wire_enum! {
    /// The language a reporter reads their notices in.
    Language, "language" {
        Zh = "zh",
        En = "en",
    }
}

/// The platforms a push token may come from.
pub const PUSH_PLATFORMS: &[&str] = &["android", "ios", "web"];

/// Longest push token accepted (FCM and APNs tokens are far shorter).
pub const MAX_PUSH_TOKEN_CHARS: usize = 4096;

/// Longest e-mail address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// One message as sent: a subject line (e-mail, the push title) and its text (SMS, push body,
/// e-mail body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub subject: String,
    pub text: String,
}

/// What a notice may say beyond the change: the street office's reason (rejection, reopening)
/// and the tracking number of the case a merged one now follows.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoticeFacts<'a> {
    pub reason: Option<&'a str>,
    pub merged_into: Option<&'a str>,
}

/// The message for `change` of the case `tracking_number`, in `language`. The tracking number
/// is in the subject and in the text, so a reporter can quote it from any channel.
pub fn notice(
    change: PublicChange,
    tracking_number: &str,
    facts: NoticeFacts<'_>,
    language: Language,
) -> Notice {
    use PublicChange as C;
    let reason = facts.reason.map(str::trim).filter(|r| !r.is_empty());
    let text = match language {
        Language::Zh => {
            let what = match change {
                C::Registered => "已立案，即将派给处置部门。".to_owned(),
                C::Dispatched => "已派给处置部门，将在时限内处理。".to_owned(),
                C::Handled => "已处置完毕，网格员将到现场核查。".to_owned(),
                C::Closed => "已结案，欢迎评价处理结果。".to_owned(),
                C::Merged => match facts.merged_into {
                    Some(other) => format!("与同一问题的案件 {other} 合并处理，请关注该案件。"),
                    None => "与同一问题的另一案件合并处理。".to_owned(),
                },
                C::Rejected => match reason {
                    Some(reason) => format!("不予立案，原因：{reason}"),
                    None => "不予立案。".to_owned(),
                },
                C::Reopened => match reason {
                    Some(reason) => format!("已重新办理，原因：{reason}"),
                    None => "已重新办理。".to_owned(),
                },
            };
            format!("【网格管理】您反映的问题（编号 {tracking_number}）{what}")
        }
        Language::En => {
            let what = match change {
                C::Registered => {
                    "has been accepted as a case and will be sent to a handling unit.".to_owned()
                }
                C::Dispatched => {
                    "has been sent to a handling unit, which will deal with it in time.".to_owned()
                }
                C::Handled => "has been fixed; an inspector will check the fix on site.".to_owned(),
                C::Closed => "is closed; you may rate the result.".to_owned(),
                C::Merged => match facts.merged_into {
                    Some(other) => format!("is handled together with {other}, a report of the same problem."),
                    None => "is handled together with another report of the same problem.".to_owned(),
                },
                C::Rejected => match reason {
                    Some(reason) => format!("was not accepted as a case. Reason: {reason}"),
                    None => "was not accepted as a case.".to_owned(),
                },
                C::Reopened => match reason {
                    Some(reason) => format!("has been reopened. Reason: {reason}"),
                    None => "has been reopened.".to_owned(),
                },
            };
            format!("[Gridline] Your report {tracking_number} {what}")
        }
    };
    let label = change.words(language);
    let subject = match language {
        Language::Zh => format!("案件 {tracking_number}：{label}"),
        Language::En => format!("Case {tracking_number}: {label}"),
    };
    Notice { subject, text }
}

impl PublicChange {
    /// A short label of the change, for subjects and logs.
    pub fn words(self, language: Language) -> &'static str {
        use PublicChange as C;
        match (self, language) {
            (C::Registered, Language::Zh) => "已立案",
            (C::Registered, Language::En) => "accepted",
            (C::Dispatched, Language::Zh) => "已派遣",
            (C::Dispatched, Language::En) => "sent to a unit",
            (C::Handled, Language::Zh) => "已处置",
            (C::Handled, Language::En) => "fixed, to be checked",
            (C::Closed, Language::Zh) => "已结案",
            (C::Closed, Language::En) => "closed",
            (C::Merged, Language::Zh) => "已合并",
            (C::Merged, Language::En) => "merged",
            (C::Rejected, Language::Zh) => "不予立案",
            (C::Rejected, Language::En) => "not accepted",
            (C::Reopened, Language::Zh) => "重新办理",
            (C::Reopened, Language::En) => "reopened",
        }
    }
}

/// Whether notices about a case of `category` are urgent, and so sent during quiet hours too:
/// the emergencies (突发事件, event major class 05: a road collapse, a gas leak, flooding),
/// where the reporter is often still at risk on the spot.
pub fn urgent(category: CategoryCode) -> bool {
    category.kind() == CategoryKind::Event && category.major() == EMERGENCIES_MAJOR
}

/// The event major class of emergencies in GB/T 30428's taxonomy.
const EMERGENCIES_MAJOR: u8 = 5;

/// The hours of the night in which no notice that is not [`urgent`] is sent, in the city's
/// local time: `start` up to `end`, across midnight when `end` comes before `start`
/// (`22:00-07:00`). Written `HH:MM-HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// Why a quiet-hours text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quiet hours are written HH:MM-HH:MM with two different times (like 22:00-07:00), found {0:?}")]
pub struct QuietHoursFormat(pub String);

impl FromStr for QuietHours {
    type Err = QuietHoursFormat;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = || QuietHoursFormat(text.to_owned());
        let (start, end) = text.trim().split_once('-').ok_or_else(refuse)?;
        let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| refuse());
        let hours = QuietHours { start: time(start)?, end: time(end)? };
        if hours.start == hours.end {
            return Err(refuse());
        }
        Ok(hours)
    }
}

impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

impl QuietHours {
    /// Whether local time-of-day `t` falls within the quiet hours (`start` included, `end` not).
    pub fn contains(self, t: NaiveTime) -> bool {
        if self.start < self.end { self.start <= t && t < self.end } else { t >= self.start || t < self.end }
    }

    /// The earliest moment at or after `at` outside the quiet hours of the city in `tz`: `at`
    /// itself in the day, the next `end` in the night.
    pub fn next_allowed<Tz: TimeZone>(self, at: DateTime<Utc>, tz: &Tz) -> DateTime<Utc> {
        let local = at.with_timezone(tz);
        if !self.contains(local.time()) {
            return at;
        }
        let day = local.date_naive();
        let end_day =
            if local.time() >= self.end && self.start > self.end { day.succ_opt() } else { Some(day) };
        end_day
            .and_then(|d| tz.from_local_datetime(&d.and_time(self.end)).earliest())
            .map(|end| end.with_timezone(&Utc))
            // A local time that does not exist (a clock change at `end`): an hour later exists.
            .unwrap_or_else(|| at + chrono::Duration::hours(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::CaseState;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn each_public_step_has_its_change_and_staff_steps_none() {
        assert_eq!(PublicChange::of_event_kind("register"), Some(PublicChange::Registered));
        assert_eq!(PublicChange::of_event_kind("verify_pass"), Some(PublicChange::Closed));
        assert_eq!(PublicChange::of_event_kind("close"), Some(PublicChange::Closed));
        assert_eq!(PublicChange::of_event_kind("reject"), Some(PublicChange::Rejected));
        for staff_only in ["reported", "accept", "extend", "send_back", "mark_overdue", "escalate", "rate"] {
            assert_eq!(PublicChange::of_event_kind(staff_only), None, "{staff_only}");
        }
        assert_eq!(PublicChange::of_event("register", CaseState::Registered), Some(PublicChange::Registered));
        assert_eq!(PublicChange::of_event("call_back", CaseState::Closed), None, "a call-back alone");
        assert_eq!(
            PublicChange::of_event("call_back", CaseState::Dispatched),
            Some(PublicChange::Reopened),
            "a dissatisfied call-back that sent the case back for rework"
        );
    }

    #[test]
    fn every_message_carries_the_tracking_number_in_both_languages() {
        for change in PublicChange::ALL {
            for language in Language::ALL {
                let facts = NoticeFacts { reason: Some("out of area"), merged_into: Some("G2") };
                let n = notice(*change, "G20261203ABCD", facts, *language);
                assert!(n.text.contains("G20261203ABCD"), "{change} {language}: {}", n.text);
                assert!(n.subject.contains("G20261203ABCD"), "{change} {language}: {}", n.subject);
            }
        }
        let rejected = notice(
            PublicChange::Rejected,
            "T1",
            NoticeFacts { reason: Some("  private land "), merged_into: None },
            Language::Zh,
        );
        assert!(rejected.text.contains("原因：private land"), "{}", rejected.text);
    }

    #[test]
    fn emergencies_are_urgent_and_other_classes_not() {
        assert!(urgent("E0503".parse().unwrap()));
        assert!(!urgent("E0401".parse().unwrap()));
        assert!(!urgent("C0501".parse().unwrap()));
    }

    #[test]
    fn quiet_hours_across_midnight_end_the_next_morning_in_the_city() {
        let hours: QuietHours = "22:00-07:00".parse().unwrap();
        let shanghai = chrono_tz::Asia::Shanghai;
        // 23:30 in Shanghai is 15:30 UTC: held until 07:00 the next morning (23:00 UTC).
        assert_eq!(hours.next_allowed(at("2026-12-03T15:30:00Z"), &shanghai), at("2026-12-03T23:00:00Z"));
        // 05:00 in Shanghai (21:00 UTC the day before): held until 07:00 the same morning.
        assert_eq!(hours.next_allowed(at("2026-12-03T21:00:00Z"), &shanghai), at("2026-12-03T23:00:00Z"));
        // 10:00 in Shanghai: sent at once.
        assert_eq!(hours.next_allowed(at("2026-12-04T02:00:00Z"), &shanghai), at("2026-12-04T02:00:00Z"));
        let day: QuietHours = "12:00-13:30".parse().unwrap();
        assert!(day.contains(NaiveTime::from_hms_opt(12, 0, 0).unwrap()));
        assert!(!day.contains(NaiveTime::from_hms_opt(13, 30, 0).unwrap()));
        for bad in ["", "22:00", "25:00-07:00", "07:00-07:00", "22-7"] {
            assert!(bad.parse::<QuietHours>().is_err(), "{bad:?}");
        }
    }
}
