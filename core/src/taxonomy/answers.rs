//! Checking a report's answers to its category's extra questions (Open311 attributes), so the
//! phone can point at the field at fault before sending and the server refuses the same things.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Category, QuestionType};

/// Longest answer to a `string` question, in characters.
pub const MAX_STRING_ANSWER: usize = 200;
/// Longest answer to a `text` question, in characters.
pub const MAX_TEXT_ANSWER: usize = 4000;

/// One answer: a single value, or several for a `multivaluelist` question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    One(String),
    Many(Vec<String>),
}

/// Answers keyed by question code.
pub type Answers = BTreeMap<String, AnswerValue>;

/// An answer that does not fit its question. `question` is the question code (the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("answer to {question:?}: {reason}")]
pub struct AnswerError {
    pub question: String,
    /// What is wrong, for words in any language.
    pub kind: AnswerProblem,
    /// What is wrong, in English.
    pub reason: String,
}

/// What is wrong with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerProblem {
    /// The category asks no such question.
    UnknownQuestion,
    /// A required question is not answered.
    Missing,
    /// Not one of the question's values, or one chosen twice.
    NotAnOption,
    /// Several values for a question that takes one.
    NotSingle,
    NotANumber,
    NotADateTime,
    TooLong,
}

impl Category {
    /// Check `answers` against this category's questions: no unknown questions, every required
    /// one answered, each answer of its question's type and, for lists, one of its values.
    pub fn check_answers(&self, answers: &Answers) -> Result<(), AnswerError> {
        let fail = |question: &str, kind: AnswerProblem, reason: String| AnswerError {
            question: question.to_owned(),
            kind,
            reason,
        };
        for code in answers.keys() {
            if !self.questions.iter().any(|q| &q.code == code) {
                return Err(fail(
                    code,
                    AnswerProblem::UnknownQuestion,
                    format!("category {} asks no such question", self.code),
                ));
            }
        }
        for q in &self.questions {
            let Some(answer) = answers.get(&q.code) else {
                if q.required {
                    return Err(fail(
                        &q.code,
                        AnswerProblem::Missing,
                        "this question must be answered".into(),
                    ));
                }
                continue;
            };
            let known = |key: &str| q.values.iter().any(|v| v.key == key);
            match (q.datatype, answer) {
                (QuestionType::Multivaluelist, AnswerValue::Many(keys)) => {
                    if q.required && keys.is_empty() {
                        return Err(fail(
                            &q.code,
                            AnswerProblem::Missing,
                            "choose at least one value".into(),
                        ));
                    }
                    for (i, key) in keys.iter().enumerate() {
                        if !known(key) {
                            return Err(fail(
                                &q.code,
                                AnswerProblem::NotAnOption,
                                format!("{key:?} is not one of the allowed values"),
                            ));
                        }
                        if keys[..i].contains(key) {
                            return Err(fail(
                                &q.code,
                                AnswerProblem::NotAnOption,
                                format!("{key:?} is chosen twice"),
                            ));
                        }
                    }
                }
                (_, AnswerValue::Many(_)) => {
                    return Err(fail(
                        &q.code,
                        AnswerProblem::NotSingle,
                        "this question takes a single value".into(),
                    ));
                }
                (QuestionType::Singlevaluelist | QuestionType::Multivaluelist, AnswerValue::One(key)) => {
                    if !known(key) {
                        return Err(fail(
                            &q.code,
                            AnswerProblem::NotAnOption,
                            format!("{key:?} is not one of the allowed values"),
                        ));
                    }
                }
                (QuestionType::Number, AnswerValue::One(text)) => {
                    if !text.trim().parse::<f64>().is_ok_and(f64::is_finite) {
                        return Err(fail(
                            &q.code,
                            AnswerProblem::NotANumber,
                            "expected a finite number".into(),
                        ));
                    }
                }
                (QuestionType::Datetime, AnswerValue::One(text)) => {
                    if chrono::DateTime::parse_from_rfc3339(text.trim()).is_err() {
                        return Err(fail(
                            &q.code,
                            AnswerProblem::NotADateTime,
                            "expected an RFC 3339 date and time".into(),
                        ));
                    }
                }
                (QuestionType::String | QuestionType::Text, AnswerValue::One(text)) => {
                    let max =
                        if q.datatype == QuestionType::String { MAX_STRING_ANSWER } else { MAX_TEXT_ANSWER };
                    let chars = text.chars().count();
                    if chars > max {
                        return Err(fail(
                            &q.code,
                            AnswerProblem::TooLong,
                            format!("at most {max} characters, got {chars}"),
                        ));
                    }
                    if q.required && text.trim().is_empty() {
                        return Err(fail(
                            &q.code,
                            AnswerProblem::Missing,
                            "this question must be answered".into(),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
