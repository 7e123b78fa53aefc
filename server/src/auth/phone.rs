//! Phone numbers for citizen sign-in, normalized to E.164 (`+8613800138000`) so one person has
//! one account whatever way they type their number. Numbers without a country code are taken
//! as Chinese (+86). Error messages never repeat the number.

use std::fmt;

/// The country code assumed when a number has none.
pub const DEFAULT_COUNTRY_CODE: &str = "86";

/// Why a phone number was refused. Messages describe the shape, never the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error(
        "a phone number may hold digits, spaces, dashes, dots, parentheses and a leading +; found another character"
    )]
    Character,
    #[error("an international phone number has 8 to 15 digits including the country code, got {0}")]
    Length(usize),
    #[error("a country code cannot start with 0")]
    CountryCode,
    #[error("a Chinese mobile number has 11 digits starting with 13 to 19")]
    ChineseMobile,
}

/// A phone number in E.164 form: `+`, country code, subscriber number; 8 to 15 digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Normalize what a user typed: `138 0013 8000`, `+86 138-0013-8000`, `008613800138000` and
    /// `8613800138000` all become `+8613800138000`.
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let mut international = false;
        let mut digits = String::with_capacity(input.len());
        for c in input.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if digits.is_empty() && !international => international = true,
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneError::Character),
            }
        }
        let full = if international {
            digits
        } else if let Some(after_prefix) = digits.strip_prefix("00") {
            after_prefix.to_owned()
        } else if digits.len() == 13 && digits.starts_with("861") {
            digits
        } else {
            format!("{DEFAULT_COUNTRY_CODE}{digits}")
        };
        if !(8..=15).contains(&full.len()) {
            return Err(PhoneError::Length(full.len()));
        }
        if full.starts_with('0') {
            return Err(PhoneError::CountryCode);
        }
        if let Some(national) = full.strip_prefix(DEFAULT_COUNTRY_CODE) {
            let bytes = national.as_bytes();
            let mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
            if !mobile {
                return Err(PhoneError::ChineseMobile);
            }
        }
        Ok(Self(format!("+{full}")))
    }

    /// The E.164 text, e.g. `+8613800138000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Debug output hides all but the last two digits, so a stray `{:?}` cannot leak a number.
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail = &self.0[self.0.len().saturating_sub(2)..];
        write!(f, "PhoneNumber(+…{tail})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_ways_of_writing_a_chinese_mobile_agree() {
        for input in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138 0013 8000",
            "+8613800138000",
            "008613800138000",
            "8613800138000",
            "  (+86) 138.0013.8000 ",
        ] {
            assert_eq!(PhoneNumber::parse(input).map(|p| p.0), Ok("+8613800138000".to_owned()), "{input}");
        }
    }

    #[test]
    fn other_countries_keep_their_code() {
        assert_eq!(PhoneNumber::parse("+44 20 7946 0958").unwrap().as_str(), "+442079460958");
        assert_eq!(PhoneNumber::parse("00852 9123 4567").unwrap().as_str(), "+85291234567");
    }

    #[test]
    fn malformed_numbers_are_refused_with_a_reason() {
        assert_eq!(PhoneNumber::parse("1380013800a"), Err(PhoneError::Character));
        assert_eq!(PhoneNumber::parse("+86 138 0013 8000 ext 2"), Err(PhoneError::Character));
        assert_eq!(PhoneNumber::parse(""), Err(PhoneError::Length(2)));
        assert_eq!(PhoneNumber::parse("+1234"), Err(PhoneError::Length(4)));
        assert_eq!(PhoneNumber::parse("+1234567890123456"), Err(PhoneError::Length(16)));
        assert_eq!(PhoneNumber::parse("+0123456789"), Err(PhoneError::CountryCode));
        // a Chinese landline or a short number is not a mobile that can receive a code
        assert_eq!(PhoneNumber::parse("010 6552 9988"), Err(PhoneError::ChineseMobile));
        assert_eq!(PhoneNumber::parse("12800138000"), Err(PhoneError::ChineseMobile));
        assert_eq!(PhoneNumber::parse("1380013800"), Err(PhoneError::ChineseMobile));
    }

    #[test]
    fn debug_output_hides_the_number() {
        let phone = PhoneNumber::parse("13800138000").unwrap();
        let shown = format!("{phone:?}");
        assert!(!shown.contains("1380013"), "{shown}");
        assert!(shown.ends_with("00)"), "{shown}");
    }

    #[test]
    fn errors_never_repeat_the_number() {
        let err = PhoneNumber::parse("13912345678999").unwrap_err().to_string();
        assert!(!err.contains("139123"), "{err}");
    }
}
