//! `Msisdn`: a mobile number, parsed once and normalised to E.164.
//!
//! The full number is reachable only through [`Msisdn::e164`], at the points of use (sealing,
//! sending). `Debug` and [`Msisdn::masked`] show the country code and the last two digits.

use std::sync::OnceLock;

use phonenumber::country;
use quick_cache::sync::Cache;

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("the number is empty")]
    Empty,
    #[error("the number contains letters or symbols")]
    InvalidCharacters,
    #[error("the number has too few digits")]
    TooShort,
    #[error("the number has too many digits")]
    TooLong,
    #[error("the country code is not known")]
    UnknownCountry,
    #[error("no such number can exist")]
    Impossible,
    #[error("the number is not a mobile number and cannot receive SMS")]
    NotMobile,
}

/// Longest input looked at; anything longer is not a phone number.
const MAX_INPUT: usize = 32;

/// Parsing with the full numbering-plan metadata costs tens of microseconds, and a USSD session
/// sends the same number on every hop: results are remembered (in memory only) for this many
/// recent inputs.
const CACHED_INPUTS: usize = 100_000;

fn cache() -> &'static Cache<(country::Id, String), Result<Msisdn, PhoneError>> {
    static CACHE: OnceLock<Cache<(country::Id, String), Result<Msisdn, PhoneError>>> =
        OnceLock::new();
    CACHE.get_or_init(|| Cache::new(CACHED_INPUTS))
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Msisdn {
    e164: String,
    /// Digits in the country calling code (2 for `+91`).
    code_len: usize,
}

impl Msisdn {
    /// Parses `input` as written by a person or an aggregator; numbers without a country code are
    /// read in `default_region`.
    pub fn parse(input: &str, default_region: country::Id) -> Result<Self, PhoneError> {
        if input.len() > MAX_INPUT {
            return Err(PhoneError::TooLong);
        }
        // The E.164 shortcut costs less than remembering its answer would.
        if let Some(typed) = RegionPatterns::of(default_region).and_then(|r| r.classify(input)) {
            return typed;
        }
        let key = (default_region, input.to_string());
        if let Some(known) = cache().get(&key) {
            return known;
        }
        let result = Self::parse_uncached(input, default_region);
        cache().insert(key, result.clone());
        result
    }

    fn parse_uncached(input: &str, default_region: country::Id) -> Result<Self, PhoneError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(PhoneError::Empty);
        }
        if input.len() > MAX_INPUT {
            return Err(PhoneError::TooLong);
        }
        let allowed =
            |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.');
        if !input.chars().all(allowed) || input.chars().skip(1).any(|c| c == '+') {
            return Err(PhoneError::InvalidCharacters);
        }
        let digits = input.chars().filter(char::is_ascii_digit).count();
        if digits < 6 {
            return Err(PhoneError::TooShort);
        }
        if digits > 15 {
            return Err(PhoneError::TooLong);
        }
        // A number that starts with its country code needs no region; given one, the parser
        // strips that region's trunk prefix from it (the 8 of Belarus from "+91 81…").
        let region = (!input.starts_with('+')).then_some(default_region);
        let number = phonenumber::parse(region, input).map_err(|err| {
            use phonenumber::ParseError as P;
            match err {
                P::NoNumber => PhoneError::TooShort,
                P::TooShortAfterIdd | P::TooShortNsn => PhoneError::TooShort,
                P::TooLong => PhoneError::TooLong,
                P::InvalidCountryCode => PhoneError::UnknownCountry,
                _ => PhoneError::Impossible,
            }
        })?;
        // Leading zeros are part of the number as it is written below: it must be valid with
        // them (the type is decided without them, so "+1 0601…" would pass as "+1 601…").
        if !phonenumber::is_valid(&number) {
            return Err(PhoneError::Impossible);
        }
        // The number's type decides validity too: a number that matches no pattern of its region
        // is `Unknown`, one that matches another type (fixed line, toll free…) cannot get SMS.
        use phonenumber::Type;
        match number.number_type(&phonenumber::metadata::DATABASE) {
            Type::Mobile | Type::FixedLineOrMobile => {}
            Type::Unknown => return Err(PhoneError::Impossible),
            _ => return Err(PhoneError::NotMobile),
        }
        // E.164 is "+", the country code, and the national significant number with any
        // leading zeros it keeps (as libphonenumber formats it, without its formatter's cost).
        let code = number.code().value().to_string();
        let national = number.national();
        let e164 = format!(
            "+{code}{}{}",
            "0".repeat(usize::from(national.zeros())),
            national.value()
        );
        Ok(Self {
            e164,
            code_len: code.len(),
        })
    }

    fn from_e164(e164: &str, code_len: usize) -> Self {
        Self {
            e164: e164.to_string(),
            code_len,
        }
    }

    /// The full number in E.164 (`+919876543210`). Only for sealing and sending.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The country calling code and the national number (`("91", "9876543210")`). Only for a
    /// reported fraud number, which admins copy into Chakshu or the NCRP by hand.
    pub fn parts(&self) -> (&str, &str) {
        (
            &self.e164[1..1 + self.code_len],
            &self.e164[1 + self.code_len..],
        )
    }

    /// The last two digits, the only part of a number mitan ever displays.
    pub fn hint(&self) -> String {
        self.e164[self.e164.len() - 2..].to_string()
    }

    /// `+91******10`: the country code, six stars whatever the length, and the hint.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.e164[..1 + self.code_len], self.hint())
    }
}

/// The numbering plan of one region, as libphonenumber's metadata gives it, compiled once into
/// plain regexes.
///
/// Aggregators send numbers in E.164 (`+919876543210`). For that form, in the default region, the
/// number's type is decided here directly with the metadata's own patterns, in the same order and
/// with the same matching as `phonenumber`'s validator; everything else goes through the full
/// parser. The parser takes tens of microseconds, most of them spent in its regex cache (one
/// global lock, and the hash of each pattern's source, on every match); this takes a few. A test
/// checks both give the same answer for every kind of number.
struct RegionPatterns {
    /// `+` and the country calling code.
    prefix: String,
    code_len: usize,
    general: Pattern,
    /// Types checked before fixed line and mobile; a match is not a mobile number.
    other: Vec<Pattern>,
    fixed_line: Option<Pattern>,
    mobile: Option<Pattern>,
    /// Fixed-line and mobile numbers share one pattern: a match is either.
    shared: bool,
}

/// A region whose patterns were built (`None`: it cannot take the shortcut).
type Built = (country::Id, Option<&'static RegionPatterns>);

/// One descriptor of the metadata: its possible lengths and its national number pattern.
struct Pattern {
    lengths: Vec<u16>,
    regex: regex::Regex,
}

impl Pattern {
    fn of(descriptor: &phonenumber::metadata::Descriptor) -> Option<Self> {
        let regex = regex::RegexBuilder::new(descriptor.national_number().as_str())
            .ignore_whitespace(true)
            .build()
            .ok()?;
        Some(Self {
            lengths: descriptor.possible_length().to_vec(),
            regex,
        })
    }

    /// `Some(None)` for a descriptor the region lacks; `None` if its pattern does not compile.
    fn optional(descriptor: Option<&phonenumber::metadata::Descriptor>) -> Option<Option<Self>> {
        match descriptor {
            None => Some(None),
            Some(descriptor) => Self::of(descriptor).map(Some),
        }
    }

    /// As `phonenumber::metadata::Descriptor::is_match`.
    fn is_match(&self, national: &str) -> bool {
        (self.lengths.is_empty() || self.lengths.contains(&(national.len() as u16)))
            && self.regex.find(national).is_some_and(|m| m.start() == 0)
    }
}

impl RegionPatterns {
    /// The region's patterns, built on first use; `None` for a region without metadata or one
    /// that shares its calling code (the parser tells those apart).
    fn of(region: country::Id) -> Option<&'static RegionPatterns> {
        static REGIONS: OnceLock<std::sync::Mutex<Vec<Built>>> = OnceLock::new();
        let regions = REGIONS.get_or_init(Default::default);
        let mut regions = regions.lock().expect("never poisoned");
        if let Some((_, patterns)) = regions.iter().find(|(id, _)| *id == region) {
            return *patterns;
        }
        let patterns = Self::build(region).map(|p| &*Box::leak(Box::new(p)));
        regions.push((region, patterns));
        patterns
    }

    fn build(region: country::Id) -> Option<Self> {
        use phonenumber::metadata::DATABASE;
        let meta = DATABASE.by_id(region.as_ref())?;
        let code = meta.country_code();
        if DATABASE.by_code(&code)?.len() != 1 {
            return None;
        }
        let d = meta.descriptors();
        let other = [
            d.premium_rate(),
            d.toll_free(),
            d.shared_cost(),
            d.voip(),
            d.personal_number(),
            d.pager(),
            d.uan(),
            d.voicemail(),
        ];
        let shared = match (d.fixed_line(), d.mobile()) {
            (Some(f), Some(m)) => f.national_number().as_str() == m.national_number().as_str(),
            (None, None) => true,
            _ => false,
        };
        Some(Self {
            prefix: format!("+{code}"),
            code_len: code.to_string().len(),
            general: Pattern::of(d.general())?,
            other: other
                .into_iter()
                .flatten()
                .map(Pattern::of)
                .collect::<Option<_>>()?,
            fixed_line: Pattern::optional(d.fixed_line())?,
            mobile: Pattern::optional(d.mobile())?,
            shared,
        })
    }

    /// The answer for `input` if it is this region's E.164 form; `None` to ask the parser.
    fn classify(&self, input: &str) -> Option<Result<Msisdn, PhoneError>> {
        let national = input.strip_prefix(&self.prefix)?;
        if national.is_empty()
            || national.len() > 15 - self.code_len
            || national.starts_with('0')
            || !national.bytes().all(|b| b.is_ascii_digit())
            || input.len() - 1 < 6
        {
            return None;
        }
        let matches = |p: &Option<Pattern>| p.as_ref().is_some_and(|p| p.is_match(national));
        let typed = if !self.general.is_match(national) {
            Err(PhoneError::Impossible)
        } else if self.other.iter().any(|p| p.is_match(national)) {
            Err(PhoneError::NotMobile)
        } else if matches(&self.fixed_line) {
            if self.shared || matches(&self.mobile) {
                Ok(())
            } else {
                Err(PhoneError::NotMobile)
            }
        } else if matches(&self.mobile) {
            Ok(())
        } else {
            Err(PhoneError::Impossible)
        };
        Some(typed.map(|()| Msisdn::from_e164(input, self.code_len)))
    }
}

impl std::fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Msisdn({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<String, PhoneError> {
        Msisdn::parse(s, country::Id::IN).map(|m| m.e164().to_string())
    }

    #[test]
    fn indian_numbers_in_every_usual_form_normalise_to_e164() {
        for input in [
            "+919876543210",
            "09876543210",
            "9876543210",
            "+91 98765 43210",
            "91-98765-43210",
            " +91 (98765) 43210 ",
            "+91.98765.43210",
            "00919876543210",
        ] {
            assert_eq!(parse(input).as_deref(), Ok("+919876543210"), "{input}");
        }
    }

    #[test]
    fn numbers_of_other_countries_keep_their_country_code() {
        assert_eq!(parse("+254711000111").as_deref(), Ok("+254711000111"));
        assert_eq!(parse("+14158675309").as_deref(), Ok("+14158675309"));
    }

    #[test]
    fn the_default_region_decides_numbers_without_a_country_code() {
        let kenyan = Msisdn::parse("0711000111", country::Id::KE).unwrap();
        assert_eq!(kenyan.e164(), "+254711000111");
    }

    #[test]
    fn rejections_are_typed() {
        use PhoneError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("98765abcde", InvalidCharacters),
            ("CALL-ME-NOW", InvalidCharacters),
            ("+91 98765 4321O", InvalidCharacters),
            ("9876543210#", InvalidCharacters),
            ("*384*25#", InvalidCharacters),
            ("+91+9876543210", InvalidCharacters),
            ("९८७६५४३२१०", InvalidCharacters),
            ("12345", TooShort),
            ("98765", TooShort),
            ("+91", TooShort),
            ("+91 98765 43210 98765", TooLong),
            ("1234567890123456789012345678901234567890", TooLong),
            ("+999 12345678", UnknownCountry),
            ("+91 12345 67890", NotMobile),
            ("1800 180 1111", NotMobile),
            ("+91 01234 56789", Impossible),
            ("0000000000", Impossible),
            ("+91 98765 432", Impossible),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Err(expected.clone()), "{input:?}");
        }
    }

    #[test]
    fn a_leading_zero_the_region_does_not_dial_is_refused_not_kept_in_the_number() {
        // Saint Lucia dials no trunk 0: the parser keeps it as a leading zero of the national
        // number, "+1 0601…", which no phone has; typed without it, the number looked mobile.
        use country::Id::{BY, LC, US};
        for region in [LC, US] {
            assert_eq!(
                Msisdn::parse("06012000000", region),
                Err(PhoneError::Impossible),
                "{region:?}"
            );
        }
        let italian = Msisdn::parse("+39 312 345 6789", BY).unwrap();
        assert_eq!(italian.e164(), "+393123456789");
    }

    #[test]
    fn a_number_written_with_its_country_code_is_the_same_number_in_every_region() {
        // Belarus, Russia and Kazakhstan dial a trunk 8: the parser took the 8 of an Indian
        // "+91 81…" for it when reading in those regions.
        use country::Id::{BY, IN, KZ, RU};
        for region in [IN, BY, RU, KZ] {
            let number = Msisdn::parse("+91 81000 00000", region).map(|m| m.e164().to_string());
            assert_eq!(number.as_deref(), Ok("+918100000000"), "{region:?}");
        }
    }

    #[test]
    fn a_remembered_number_parses_the_same_as_the_first_time() {
        for _ in 0..2 {
            assert_eq!(parse("+91 98765 43210").as_deref(), Ok("+919876543210"));
            assert_eq!(parse("+91 12345 67890"), Err(PhoneError::NotMobile));
        }
        let kenyan = Msisdn::parse("0711000111", country::Id::KE).unwrap();
        let indian = Msisdn::parse("0711000111", country::Id::IN);
        assert_ne!(
            Ok(kenyan),
            indian,
            "the region is part of what is remembered"
        );
    }

    #[test]
    fn the_e164_shortcut_answers_exactly_as_the_full_parser() {
        use rand::{Rng as _, SeedableRng as _};
        let mut rng = rand::rngs::StdRng::seed_from_u64(1930);
        let mut checked = 0;
        let mut mobiles = 0;
        for region in [country::Id::IN, country::Id::KE, country::Id::DE] {
            let patterns = RegionPatterns::of(region).expect("a region of its own code");
            for _ in 0..4_000 {
                // Every length, biased towards the region's real prefixes (6-9 for Indian
                // mobiles, 1800 toll free, 140 telemarketing, 7 for Kenyan mobiles…).
                let len = rng.gen_range(1..=14);
                let mut national: String = (0..len)
                    .map(|_| char::from(b'0' + rng.gen_range(0..10)))
                    .collect();
                let lead =
                    ["9", "8", "7", "6", "1800", "140", "11", "22", "0", "5"][rng.gen_range(0..10)];
                national.replace_range(..lead.len().min(national.len()), lead);
                let input = format!("{}{national}", patterns.prefix);
                let Some(fast) = patterns.classify(&input) else {
                    continue;
                };
                let slow = Msisdn::parse_uncached(&input, region);
                assert_eq!(fast, slow, "{input} in {region:?}");
                checked += 1;
                mobiles += usize::from(fast.is_ok());
            }
        }
        assert!(
            checked > 7_500 && mobiles > 75,
            "{checked} checked, {mobiles} mobile"
        );
        assert!(
            RegionPatterns::of(country::Id::US).is_none(),
            "+1 is shared by many regions: the parser tells them apart"
        );
    }

    #[test]
    fn debug_and_masked_show_only_country_code_and_last_two_digits() {
        let m = Msisdn::parse("9876543210", country::Id::IN).unwrap();
        assert_eq!(m.masked(), "+91******10");
        assert_eq!(m.hint(), "10");
        let debug = format!("{m:?}");
        assert!(!debug.contains("9876543210"), "{debug}");
        assert!(!debug.contains("98765"), "{debug}");
        let us = Msisdn::parse("+14158675309", country::Id::IN).unwrap();
        assert_eq!(us.masked(), "+1******09");
        assert_eq!(m.parts(), ("91", "9876543210"));
        assert_eq!(us.parts(), ("1", "4158675309"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Every region the numbering plan knows, by its two-letter id.
        fn regions() -> impl Strategy<Value = country::Id> {
            let letters = 'A'..='Z';
            let ids: Vec<country::Id> = letters
                .clone()
                .flat_map(|a| letters.clone().map(move |b| format!("{a}{b}")))
                .filter_map(|id| id.parse().ok())
                .collect();
            assert!(ids.len() > 200, "{} regions", ids.len());
            proptest::sample::select(ids)
        }

        /// Anything, and things shaped like numbers written by people and aggregators.
        fn texts() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[0-9+ ().-]{0,24}",
                "\\+?[0-9]{5,16}",
                "(\\+91|0|91|0091)?[ -]?[6-9][0-9]{4}[ -]?[0-9]{5}",
                "\\+[1-9][0-9]{6,14}",
            ]
        }

        proptest! {
            // A fixed seed, so CI runs the same cases; PROPTEST_RNG_SEED draws others.
            #![proptest_config(ProptestConfig {
                cases: 256,
                rng_seed: proptest::test_runner::RngSeed::Fixed(1930),
                failure_persistence: None,
                ..ProptestConfig::default()
            })]

            #[test]
            fn any_text_in_any_region_is_a_number_that_round_trips_or_a_typed_refusal(
                text in texts(),
                region in regions(),
                other in regions(),
            ) {
                let Ok(number) = Msisdn::parse(&text, region) else {
                    return Ok(());
                };
                let e164 = number.e164();
                let digits = &e164[1..];
                prop_assert!(e164.starts_with('+'), "{e164}");
                prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{e164}");
                prop_assert!((7..=15).contains(&digits.len()), "{e164}");
                // E.164 names the country itself: read again anywhere, it is the same number.
                prop_assert_eq!(Msisdn::parse(e164, region), Ok(number.clone()));
                prop_assert_eq!(Msisdn::parse(e164, other), Ok(number.clone()));
                prop_assert_eq!(number.hint(), &e164[e164.len() - 2..]);
                let shown = format!("{} {number:?}", number.masked());
                prop_assert!(!shown.contains(digits), "{shown}");
            }

            #[test]
            fn spaces_around_a_number_never_change_the_answer(
                text in texts(),
                region in regions(),
            ) {
                prop_assume!(text.len() + 2 <= MAX_INPUT);
                prop_assert_eq!(
                    Msisdn::parse(&format!(" {text} "), region),
                    Msisdn::parse(&text, region)
                );
            }
        }
    }
}
