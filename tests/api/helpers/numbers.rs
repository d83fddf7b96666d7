//! The suite's phone numbers and the scans that no number leaks: the test numbers, every form
//! a person might write them in, and the checks over text and bytes.

use mitan::privacy::Msisdn;

/// The villager most tests follow.
pub const VILLAGER: &str = "+919876543210";
/// Another villager: a neighbour, someone invited, a second caller.
pub const NEIGHBOUR: &str = "+917000012345";
/// A police officer's own phone.
pub const OFFICER: &str = "+919425012399";

/// Numbers used across the suite, in every form a person might write them.
pub const TEST_NUMBERS: [&str; 3] = [VILLAGER, NEIGHBOUR, OFFICER];

/// Phones of recruiters in the admin tests.
pub const RECRUITER_NUMBERS: [&str; 2] = ["+919812345678", "+918871234567"];

/// The `n`th villager of the admin tests (up to 99), a valid Indian mobile number.
pub fn villager(n: u32) -> String {
    assert!(n < 100, "villager numbers run to 99");
    format!("+9198765000{n:02}")
}

/// `number` (any way of writing an Indian number) as the service reads it; fails if it is none.
pub fn msisdn(number: &str) -> Msisdn {
    Msisdn::parse(number, phonenumber::country::Id::IN).expect("a valid Indian number")
}

/// A number as failure messages may show it: its last two digits.
pub fn masked(e164: &str) -> String {
    format!("…{}", &e164[e164.len() - 2..])
}

/// Every number the suite hands the service, as E.164.
pub fn every_test_number() -> Vec<String> {
    TEST_NUMBERS
        .iter()
        .chain(RECRUITER_NUMBERS.iter())
        .map(|n| n.to_string())
        .chain((0..100).map(villager))
        .collect()
}

/// Panics if `text` holds any test number in any form (E.164, national, bare, with 91).
pub fn assert_no_number_in(text: &str, what: &str) {
    for number in every_test_number() {
        for form in number_forms(&number) {
            assert!(
                !text.contains(&form),
                "{what} contains the number {form}:\n{text}"
            );
        }
    }
}

/// Each number as E.164, national (`0…`), bare digits and with country code but no `+`.
pub fn number_forms(e164: &str) -> Vec<String> {
    let digits = e164.trim_start_matches('+').to_string();
    let national = digits[2..].to_string();
    vec![e164.to_string(), format!("0{national}"), national, digits]
}

/// Whether `text` holds a test number with its digits in any grouping (`+91 98765 43210`,
/// `98-76-54-32-10`): the digits of each run of digits and separators, checked for every
/// test number's ten national digits. Stricter than `assert_no_number_in`, which looks for
/// the usual forms only.
fn holds_grouped_test_number(text: &str) -> bool {
    let numbers: Vec<String> = every_test_number()
        .into_iter()
        .map(|e164| e164[3..].to_string())
        .collect();
    let mut digits = String::new();
    for c in text.chars().chain(std::iter::once('\u{0}')) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if !matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/') {
            if numbers.iter().any(|n| digits.contains(n.as_str())) {
                return true;
            }
            digits.clear();
        }
    }
    false
}

/// Whether `text` holds a test number: in one of its usual forms, or grouped.
pub fn holds_test_number(text: &str) -> bool {
    every_test_number()
        .iter()
        .flat_map(|number| number_forms(number))
        .any(|form| text.contains(&form))
        || holds_grouped_test_number(text)
}

/// Whether `needle` occurs in `haystack`; for binary values (a blind index) also their hex, as
/// PostgreSQL's JSON shows them.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    let hex = hex::encode(needle);
    haystack.windows(needle.len()).any(|w| w == needle)
        || haystack.windows(hex.len()).any(|w| w == hex.as_bytes())
}
