//! One entry of a case's public timeline, as everyone but the staff holding the case reads it
//! (`GET /api/v1/cases/{id}/timeline` for the reporter and the public, the timeline of
//! `GET /api/v1/public/track/{number}`, the public live events): what happened and when, the
//! public facts and reasons, never who on the staff did it, where, or an internal note. The
//! reporter also gets the photos of the steps that show them the fix (the handling unit's
//! after-photos); everyone else gets none.

use serde::{Deserialize, Serialize};

use super::AnswerError;

/// A step or event of a case, in public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicTimelineEntry {
    /// The audit trail's sequence number.
    pub seq: i64,
    /// `reported`, or the step's wire name (`register`, `mark_handled`, ...).
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: String,
    /// RFC 3339.
    pub at: String,
    /// The reason owed to the public (rejection, closure, shelving, extension, reopening).
    pub reason: Option<String>,
    /// The step's public facts: `handling_unit`, `deadline`, `rating`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// For the reporter only: the step's photos they may see (`GET /api/v1/photos/{id}`), such
    /// as the after-photo of the handling. Left out when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photo_ids: Vec<String>,
}

/// `GET /api/v1/cases/{id}/timeline` in its public view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicTimeline {
    pub case_id: String,
    /// `public` (a staff reader gets the staff view, which this does not read).
    pub view: String,
    pub events: Vec<PublicTimelineEntry>,
}

impl PublicTimeline {
    /// Read a public `GET /api/v1/cases/{id}/timeline` answer; the staff view is refused.
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        let timeline: Self = super::parse_answer(body)?;
        if timeline.view != "public" {
            return Err(AnswerError {
                reason: format!("expected the public timeline, got {:?}", timeline.view),
            });
        }
        Ok(timeline)
    }
}

/// `GET /api/v1/public/track/{number}`: a case by its tracking number, in the view its reader
/// may see, with its public timeline; what a phone reads to refresh a report it follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrackedCase {
    pub case: super::CaseView,
    pub timeline: Vec<PublicTimelineEntry>,
}

impl TrackedCase {
    /// Read a `GET /api/v1/public/track/{number}` answer.
    pub fn parse(body: &[u8]) -> Result<Self, AnswerError> {
        super::parse_answer(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_ids_are_left_out_when_none_and_read_when_given() {
        let entry = PublicTimelineEntry {
            seq: 3,
            kind: "mark_handled".into(),
            from_state: Some("in_progress".into()),
            to_state: "handled".into(),
            at: "2026-12-03T08:00:00Z".into(),
            reason: None,
            details: serde_json::Map::new(),
            photo_ids: Vec::new(),
        };
        assert!(serde_json::to_value(&entry).unwrap().get("photo_ids").is_none());
        let shown = PublicTimelineEntry { photo_ids: vec!["p1".into()], ..entry };
        let body = serde_json::to_vec(&PublicTimeline {
            case_id: "c".into(),
            view: "public".into(),
            events: vec![shown.clone()],
        })
        .unwrap();
        assert_eq!(PublicTimeline::parse(&body).unwrap().events, [shown]);
        assert!(PublicTimeline::parse(br#"{"case_id":"c","view":"staff","events":[]}"#).is_err());
    }
}
