//! The suite's phone numbers and the scans that no number leaks: the test numbers, every form
//! a person might write them in, and the checks over text and bytes.

/// Numbers used across the suite, in every form a person might write them.
pub const TEST_NUMBERS: [&str; 3] = ["+919876543210", "+917000012345", "+919425012399"];

/// Phones of recruiters in the admin tests.
pub const RECRUITER_NUMBERS: [&str; 2] = ["+919812345678", "+918871234567"];

/// The `n`th villager of the admin tests (up to 99), a valid Indian mobile number.
pub fn villager(n: u32) -> String {
    assert!(n < 100, "villager numbers run to 99");
    format!("+9198765000{n:02}")
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

/// Whether `needle` occurs in `haystack`; for binary values (a blind index) also their hex, as
/// PostgreSQL's JSON shows them.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    let hex = hex::encode(needle);
    haystack.windows(needle.len()).any(|w| w == needle)
        || haystack.windows(hex.len()).any(|w| w == hex.as_bytes())
}
