//! Every word a phone screen shows, in the two languages the system speaks (zh, en), chosen by
//! the user's [`Language`]. The shells draw these strings as they are: they hold no state
//! names, no error sentences and no rule of their own.
//!
//! Server refusals are turned into words here by their stable `code` (never by the server's
//! free text, which may quote what was sent); an unknown code still gets a sentence naming it.

use serde::{Deserialize, Serialize};

use crate::device::drafts::{MAX_DESCRIPTION_CHARS, MAX_PHOTOS as MAX_REPORT_PHOTOS};
use crate::device::{Error, FieldError, FieldErrorKind};
use crate::limits::MAX_STEP_TEXT_CHARS;
use crate::workflow::{CaseState, Role};

/// The language the screens speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum Language {
    /// 简体中文.
    Zh,
    /// English.
    En,
}

impl Language {
    /// `zh` or `en` by the language.
    pub fn pick(self, zh: &str, en: &str) -> String {
        match self {
            Language::Zh => zh.to_owned(),
            Language::En => en.to_owned(),
        }
    }
}

/// A case state in words.
pub fn state_words(state: CaseState, lang: Language) -> String {
    let (zh, en) = match state {
        CaseState::Reported => ("已上报，等待街道受理", "Reported, waiting for the street office"),
        CaseState::Registered => ("已立案", "Registered as a case"),
        CaseState::Rejected => ("不予立案", "Not accepted as a case"),
        CaseState::Dispatched => ("已派遣给处置部门", "Dispatched to the responsible unit"),
        CaseState::InProgress => ("处置中", "Being handled"),
        CaseState::Handled => ("已处置，等待核查", "Handled, waiting for a check on site"),
        CaseState::Closed => ("已结案", "Closed"),
        CaseState::Shelved => ("暂缓处理", "Shelved as a long-term problem"),
        CaseState::Merged => ("已与相同问题合并", "Merged with a report of the same problem"),
    };
    lang.pick(zh, en)
}

/// A state name from the server in words; an unknown name is shown as it is.
pub fn state_name_words(name: &str, lang: Language) -> String {
    name.parse::<CaseState>().map_or_else(|_| name.to_owned(), |state| state_words(state, lang))
}

/// A role in words.
pub fn role_words(role: Role, lang: Language) -> String {
    let (zh, en) = match role {
        Role::Citizen => ("市民", "Citizen"),
        Role::Inspector => ("信息采集员", "Inspector"),
        Role::Dispatcher => ("派遣员", "Dispatcher"),
        Role::Handler => ("处置人员", "Handling unit"),
        Role::Admin => ("管理员", "Administrator"),
        Role::DistrictAdmin => ("区管理员", "District administrator"),
        Role::System => ("系统", "System"),
        Role::Viewer => ("查看者", "Viewer"),
        Role::Operator => ("话务员", "Hotline operator"),
    };
    lang.pick(zh, en)
}

/// A server refusal by its stable code, in words.
pub fn refusal_words(code: &str, attempts_left: Option<u32>, lang: Language) -> String {
    match code {
        "otp_wrong" => match attempts_left {
            Some(n) => {
                lang.pick(&format!("验证码不对，还可以再试 {n} 次"), &format!("Wrong code; {n} tries left"))
            }
            None => lang.pick("验证码不对", "Wrong code"),
        },
        // The server's one answer for a wrong, expired or used-up code: it does not say which,
        // so that nobody can learn whether a code is pending for a number.
        "otp_invalid" => lang.pick(
            "验证码不对或已失效，请检查后重试或重新获取",
            "Wrong or expired code: check it, or request a new one",
        ),
        "otp_expired" => lang.pick("验证码已失效，请重新获取", "The code has expired; request a new one"),
        "otp_attempts_exhausted" => {
            lang.pick("这个验证码已用完尝试次数，请重新获取", "This code is used up; request a new one")
        }
        "rate_limited" => lang.pick("尝试次数太多", "Too many attempts"),
        "invalid_phone" => lang.pick("请输入有效的手机号码", "Enter a valid mobile number"),
        "invalid_credentials" => lang.pick("用户名或密码不对", "Wrong login or password"),
        "password_change_required" => lang.pick(
            "这是重置后的一次性密码，请设置一个新密码后登录",
            "This is a one-time password from a reset: choose a new password to sign in",
        ),
        "device_unknown" => {
            lang.pick("这台设备的匿名账号已失效", "This device's anonymous account is no longer valid")
        }
        "forbidden" => lang.pick("没有权限", "Not allowed"),
        "too_far_from_case" => lang.pick(
            "您不在案件所在网格附近，请到现场后再操作",
            "You are not near the case's cell: do this on site",
        ),
        "not_allowed_for_role" | "not_from_state" => {
            lang.pick("这一步现在不能做", "This step cannot be taken now")
        }
        "version_conflict" | "stale_state" => {
            lang.pick("案件已有新的变化，请刷新后再试", "The case changed meanwhile: refresh and try again")
        }
        "not_found" => lang.pick("找不到", "Not found"),
        other => {
            lang.pick(&format!("服务器拒绝了请求（{other}）"), &format!("The server refused this ({other})"))
        }
    }
}

/// A wait the server asked for, in words.
pub fn wait_words(seconds: u32, lang: Language) -> String {
    lang.pick(&format!("请等待 {seconds} 秒后再试"), &format!("Wait {seconds} seconds before trying again"))
}

/// Any device error, in words for the user (details stay in the logs).
pub fn error_words(err: &Error, lang: Language) -> String {
    match err {
        Error::Transport(_) | Error::ServerUnavailable { .. } => {
            lang.pick("无法连接服务器，请稍后再试", "Cannot reach the server; try again later")
        }
        Error::Refused { problem, .. } => refusal_words(&problem.code, problem.attempts_left, lang),
        Error::Throttled { code, retry_after_secs } => {
            let first = refusal_words(code, None, lang);
            match retry_after_secs {
                Some(secs) => format!("{first}. {}", wait_words(*secs, lang)),
                None => first,
            }
        }
        Error::SignedOut => lang.pick("登录已过期，请重新登录", "Your session has expired; sign in again"),
        Error::Sqlite(_)
        | Error::Io(_)
        | Error::Json(_)
        | Error::StoreTooNew { .. }
        | Error::JournalMode { .. }
        | Error::CorruptPackage { .. } => {
            lang.pick("手机存储出错，请检查剩余空间", "The phone's storage failed; check the free space")
        }
        Error::Protocol { .. } => lang.pick(
            "服务器的回答无法识别，请更新应用",
            "The server's answer was not understood; update the app",
        ),
        Error::Invalid(problems) => {
            let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
            lang.pick(&format!("请检查：{}", fields.join("、")), &format!("Check: {}", fields.join(", ")))
        }
        Error::NotFound { .. } => lang.pick("这一项已不存在", "This item no longer exists"),
        Error::WrongState { .. } => lang.pick("这一项现在不能这样操作", "This item cannot do that now"),
    }
}

/// A field problem from core's checks, in words, by its field and kind. English keeps core's
/// own sentence, which names the rule; Chinese says the same by field and kind.
pub fn problem_words(problem: &FieldError, lang: Language) -> String {
    field_words(&problem.field, problem.kind, &problem.message, lang)
}

/// A problem of `field` of kind `kind`, in words; `english` is the sentence shown in English.
/// The server's refusals of a field carry no kind: they are shown as [`FieldErrorKind::Invalid`].
pub fn field_words(field: &str, kind: FieldErrorKind, english: &str, lang: Language) -> String {
    if lang == Language::En {
        return english.to_owned();
    }
    use FieldErrorKind as K;
    match (field, kind) {
        ("category", K::Unknown) => "本市没有这个问题类别，请重新选择".to_owned(),
        ("category", _) => "请选择问题类别".to_owned(),
        ("description", K::TooLong) => format!("描述太长，最多 {MAX_DESCRIPTION_CHARS} 字"),
        ("description", _) => "请用几句话描述问题".to_owned(),
        ("position", K::Missing) => "请确定问题的位置".to_owned(),
        ("position", _) => "这个位置无法使用，请重新定位".to_owned(),
        ("photos", K::TooMany) => format!("照片太多，最多 {MAX_REPORT_PHOTOS} 张"),
        ("photos", _) => "请至少拍一张照片".to_owned(),
        ("anonymous", _) => "这个类别不能匿名上报".to_owned(),
        ("rating", _) => "请选择 1 到 5 的评分".to_owned(),
        ("comment", K::TooLong) => format!("评价太长，最多 {MAX_STEP_TEXT_CHARS} 字"),
        ("reason", _) => "请填写原因".to_owned(),
        (other, kind) if other.starts_with("answers.") => match kind {
            K::Missing => "请回答这个问题".to_owned(),
            K::NotANumber => "请填写一个数字".to_owned(),
            K::NotADateTime => "请选择日期和时间".to_owned(),
            K::NotAnOption => "请从选项中选择".to_owned(),
            K::TooLong => "回答太长，请简短一些".to_owned(),
            K::Unknown => "这个类别没有这个问题".to_owned(),
            _ => format!("答案不符合要求：{english}"),
        },
        _ => english.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_words_follow_the_kind_not_the_english_sentence() {
        // The same English sentence, two kinds: the words follow the kind.
        let long = field_words("description", FieldErrorKind::TooLong, "whatever", Language::Zh);
        assert_eq!(long, format!("描述太长，最多 {MAX_DESCRIPTION_CHARS} 字"));
        assert_eq!(
            field_words("description", FieldErrorKind::Missing, "whatever", Language::Zh),
            "请用几句话描述问题"
        );
        assert_eq!(
            field_words("answers.count", FieldErrorKind::NotANumber, "x", Language::Zh),
            "请填写一个数字"
        );
        assert_eq!(
            field_words("answers.count", FieldErrorKind::Missing, "x", Language::Zh),
            "请回答这个问题"
        );
        assert_eq!(field_words("photos", FieldErrorKind::TooMany, "x", Language::Zh), "照片太多，最多 9 张");
        assert_eq!(
            field_words("photos", FieldErrorKind::Missing, "at most", Language::Zh),
            "请至少拍一张照片"
        );
        assert_eq!(field_words("comment", FieldErrorKind::TooLong, "too long", Language::En), "too long");
    }
}
