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

/// A Chinese mobile's 11 digits, separators allowed between them.
macro_rules! chinese_mobile {
    () => {
        r"1[ ().-]*[3-9](?:[ ().-]*[0-9]){9}"
    };
}

/// A country code and number, 8 to 15 digits, not starting with 0; a country code of 86 (China)
/// needs a mobile after it.
macro_rules! international {
    () => {
        concat!(
            r"(?:[1-79](?:[ ().-]*[0-9]){7,14}",
            r"|8[ ().-]*[0-57-9](?:[ ().-]*[0-9]){6,13}",
            r"|8[ ().-]*6[ ().-]*",
            chinese_mobile!(),
            r")"
        )
    };
}

/// The text [`PhoneNumber::parse`] accepts, as an ECMA-262 pattern for the OpenAPI document, so
/// a client (or a fuzzer) can tell a number the server takes from one it refuses without asking.
/// Separators (`[ ().-]`) may sit between any digits; a leading `+`, or `00`, starts a country
/// code (not 0) and 8 to 15 digits; without one, the number is a Chinese mobile (11 digits,
/// `1[3-9]…`), also written with `86` in front. A country code of 86 needs the mobile after it.
pub const PHONE_PATTERN: &str = concat!(
    r"^[ \t\r\n]*[ ().-]*(?:",
    r"\+[ ().-]*",
    international!(),
    r"|0[ ().-]*0[ ().-]*",
    international!(),
    r"|8[ ().-]*6[ ().-]*",
    chinese_mobile!(),
    r"|",
    chinese_mobile!(),
    r")[ ().-]*[ \t\r\n]*$",
);

/// The OpenAPI schema of a phone number field: a string of [`PHONE_PATTERN`].
pub fn phone_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(PHONE_PATTERN))
        .description(Some(
            "A phone number with or without its country code (+86 assumed): `138 0013 8000`, \
             `+86 138-0013-8000`; 8 to 15 digits once normalized to E.164.",
        ))
        .build()
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

    /// The document's pattern accepts exactly what `parse` accepts: every string of up to 16
    /// characters from the phone alphabet that a fixed generator draws, and the test cases above.
    #[test]
    fn the_documented_pattern_is_what_parse_accepts() {
        let pattern = regex::Regex::new(PHONE_PATTERN).unwrap();
        let alphabet: Vec<char> = "0123456789 +-.()\tx".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let mut samples: Vec<String> =
            ["13800138000", "+86 138 0013 8000", "008613800138000"].iter().map(|s| (*s).to_owned()).collect();
        for _ in 0..200_000 {
            let length = next(17);
            // Mostly digits, so that the lengths parse counts are reached often.
            samples.push(
                (0..length)
                    .map(|_| if next(3) == 0 { alphabet[next(alphabet.len())] } else { alphabet[next(10)] })
                    .collect(),
            );
        }
        // A mobile with 86 in front, and other countries, with separators.
        for prefix in ["", "+", "00", "86", "+86", "0086", "+44", "(+86) ", " 8 6"] {
            for number in ["13800138000", "1380013800", "12800138000", "2079460958", "91234567"] {
                samples.push(format!("{prefix}{number}"));
                samples.push(format!(" {prefix} {}-{} ", &number[..3], &number[3..]));
            }
        }
        let mut accepted = 0;
        for sample in &samples {
            let parsed = PhoneNumber::parse(sample).is_ok();
            accepted += usize::from(parsed);
            assert_eq!(pattern.is_match(sample), parsed, "{sample:?}");
        }
        assert!(accepted > 100, "the samples reach valid numbers too: {accepted}");
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
