//! Opt-in codes: digits only (typed on a keypad), the last one a Damm check digit, so any single
//! mistyped digit and any swap of two neighbours is rejected instead of crediting someone else.

use rand::Rng as _;

/// The Damm quasigroup table (order 10, weakly totally anti-symmetric).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Shortest and longest codes accepted (check digit included).
pub const MIN_LEN: usize = 4;
pub const MAX_LEN: usize = 10;

fn interim(digits: impl Iterator<Item = u8>) -> u8 {
    digits.fold(0, |row, d| DAMM[row as usize][d as usize])
}

/// A well-formed code: its check digit is right. Whether anyone owns it is the store's question.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OptInCode(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a code is digits only")]
    NotDigits,
    #[error("a code has {MIN_LEN} to {MAX_LEN} digits")]
    Length,
    #[error("the check digit does not match: a digit was mistyped")]
    Checksum,
}

impl OptInCode {
    /// Reads a code as typed; spaces and dashes between digit groups are ignored.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) || digits.is_empty() {
            return Err(CodeError::NotDigits);
        }
        if !(MIN_LEN..=MAX_LEN).contains(&digits.len()) {
            return Err(CodeError::Length);
        }
        if interim(digits.bytes().map(|b| b - b'0')) != 0 {
            return Err(CodeError::Checksum);
        }
        Ok(Self(digits))
    }

    /// A fresh random code of `len` digits (check digit included), never starting with 0.
    pub fn generate(len: usize) -> Self {
        let len = len.clamp(MIN_LEN, MAX_LEN);
        let mut rng = rand::thread_rng();
        let mut body = vec![rng.gen_range(1..=9u8)];
        body.extend((1..len - 1).map(|_| rng.gen_range(0..=9u8)));
        let check = interim(body.iter().copied());
        body.push(check);
        Self(body.iter().map(|d| char::from(b'0' + d)).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for OptInCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_damm_example_checks() {
        // 572 has check digit 4 (the textbook example).
        assert!(OptInCode::parse("5724").is_ok());
        assert_eq!(OptInCode::parse("5723"), Err(CodeError::Checksum));
    }

    #[test]
    fn every_single_digit_typo_is_caught() {
        let code = OptInCode::generate(6);
        let digits: Vec<u8> = code.as_str().bytes().collect();
        for at in 0..digits.len() {
            for wrong in b'0'..=b'9' {
                if wrong == digits[at] {
                    continue;
                }
                let mut typo = digits.clone();
                typo[at] = wrong;
                let typo = String::from_utf8(typo).unwrap();
                assert_eq!(OptInCode::parse(&typo), Err(CodeError::Checksum), "{typo}");
            }
        }
    }

    #[test]
    fn every_swap_of_neighbouring_digits_is_caught() {
        for _ in 0..200 {
            let code = OptInCode::generate(7);
            let digits: Vec<u8> = code.as_str().bytes().collect();
            for at in 0..digits.len() - 1 {
                if digits[at] == digits[at + 1] {
                    continue;
                }
                let mut swapped = digits.clone();
                swapped.swap(at, at + 1);
                let swapped = String::from_utf8(swapped).unwrap();
                assert!(OptInCode::parse(&swapped).is_err(), "{swapped}");
            }
        }
    }

    #[test]
    fn generated_codes_parse_and_have_the_asked_length() {
        for len in MIN_LEN..=MAX_LEN {
            let code = OptInCode::generate(len);
            assert_eq!(code.as_str().len(), len);
            assert!(!code.as_str().starts_with('0'));
            assert_eq!(OptInCode::parse(code.as_str()), Ok(code));
        }
    }

    #[test]
    fn spacing_is_forgiven_but_letters_and_lengths_are_not() {
        assert_eq!(OptInCode::parse("57 24").unwrap().as_str(), "5724");
        assert_eq!(OptInCode::parse("572-4").unwrap().as_str(), "5724");
        assert_eq!(OptInCode::parse("57a4"), Err(CodeError::NotDigits));
        assert_eq!(OptInCode::parse(""), Err(CodeError::NotDigits));
        assert_eq!(OptInCode::parse("५७२४"), Err(CodeError::NotDigits));
        assert_eq!(OptInCode::parse("00"), Err(CodeError::Length));
        assert_eq!(OptInCode::parse(&"1".repeat(30)), Err(CodeError::Length));
    }
}
