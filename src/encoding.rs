//! How a text travels: GSM-7 or UCS-2, how many SMS parts it costs, whether it fits one USSD
//! screen, and how a long screen is paginated. Pure functions; every count is taken after NFC.
//!
//! GSM-7 counts septets (an extension-table character is an escape pair: two septets); UCS-2
//! counts UTF-16 code units (an emoji is a surrogate pair: two units). Parts are found by packing
//! the text, so neither kind of pair is ever split across two parts.

use std::ops::Range;

use unicode_normalization::{char::is_combining_mark, UnicodeNormalization as _};

/// The alphabet a message is sent in. One character outside GSM-7 makes the whole text UCS-2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// What a text costs as an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextCost {
    pub encoding: Encoding,
    /// GSM-7 septets (extension characters count 2) or UTF-16 code units.
    pub units: usize,
    /// SMS parts; 0 for an empty text, which is never sent.
    pub parts: usize,
}

/// Most septets on one USSD screen (160 octets).
pub const USSD_GSM7_MAX: usize = 182;
/// Most UTF-16 units on one USSD screen once any character needs UCS-2.
pub const USSD_UCS2_MAX: usize = 80;

/// GSM 03.38 basic character set in code order, 0x00 to 0x7F. 0x1B is the escape, never text.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                          ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table: each is sent as ESC + code, two septets.
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";
const ESC: char = '\u{1B}';

impl Encoding {
    /// The encoding an NFC text needs.
    fn of(text: &str) -> Self {
        if text.chars().all(is_gsm7_char) {
            Encoding::Gsm7
        } else {
            Encoding::Ucs2
        }
    }

    /// Units one character costs in this encoding (only called on texts of this encoding).
    fn cost(self, c: char) -> usize {
        match self {
            Encoding::Gsm7 if GSM7_EXTENSION.contains(c) => 2,
            Encoding::Gsm7 => 1,
            Encoding::Ucs2 => c.len_utf16(),
        }
    }

    /// Units in one single SMS, and in each part of a concatenated SMS (8-bit reference UDH).
    fn sms_limits(self) -> (usize, usize) {
        match self {
            Encoding::Gsm7 => (160, 153),
            Encoding::Ucs2 => (70, 67),
        }
    }

    fn ussd_max(self) -> usize {
        match self {
            Encoding::Gsm7 => USSD_GSM7_MAX,
            Encoding::Ucs2 => USSD_UCS2_MAX,
        }
    }

    fn units(self, text: &str) -> usize {
        text.chars().map(|c| self.cost(c)).sum()
    }
}

fn is_gsm7_char(c: char) -> bool {
    c != ESC && (GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c))
}

/// The text in Unicode NFC, as it is counted and sent.
pub fn normalize(text: &str) -> String {
    text.nfc().collect()
}

/// Look-alikes of GSM-7 characters, replaced so that English text stays GSM-7 (one part holds
/// 160 characters instead of 70). Accented Latin letters outside GSM-7 lose their accent.
const SUBSTITUTIONS: &[(char, &str)] = &[
    ('‘', "'"),
    ('’', "'"),
    ('‚', "'"),
    ('‛', "'"),
    ('′', "'"),
    ('`', "'"),
    ('´', "'"),
    ('“', "\""),
    ('”', "\""),
    ('„', "\""),
    ('‟', "\""),
    ('″', "\""),
    ('«', "\""),
    ('»', "\""),
    ('‐', "-"),
    ('‑', "-"),
    ('‒', "-"),
    ('–', "-"),
    ('—', "-"),
    ('―', "-"),
    ('−', "-"),
    ('•', "-"),
    ('…', "..."),
    ('₹', "Rs."),
    ('\u{2028}', "\n"),
    ('\u{2029}', "\n"),
    ('\u{AD}', ""),
    ('\u{200B}', ""),
    ('\u{2060}', ""),
    ('\u{FEFF}', ""),
];

/// Replaces smart quotes, dashes, odd spaces (NBSP, TAB, …), `…` and `₹` by GSM-7 look-alikes and
/// drops invisible characters, for English text. Other text keeps its characters, so the result
/// is GSM-7 only when nothing else needs UCS-2.
pub fn gsm_friendly(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.nfc() {
        if is_gsm7_char(c) {
            out.push(c);
        } else if let Some((_, with)) = SUBSTITUTIONS.iter().find(|(from, _)| *from == c) {
            out.push_str(with);
        } else if c.is_whitespace() {
            out.push(' ');
        } else {
            out.push_str(&without_accent(c).unwrap_or_else(|| c.to_string()));
        }
    }
    out
}

/// `á` → `a`: the letter without its combining marks, if that is GSM-7.
fn without_accent(c: char) -> Option<String> {
    let base: String = c.nfd().filter(|m| !is_combining_mark(*m)).collect();
    (!base.is_empty() && base.chars().all(is_gsm7_char)).then_some(base)
}

/// Whether the text (after NFC) can be sent in GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    text.nfc().all(is_gsm7_char)
}

/// The encoding, units and SMS parts of a text, after NFC.
pub fn sms_cost(text: &str) -> TextCost {
    let text = normalize(text);
    let encoding = Encoding::of(&text);
    TextCost {
        encoding,
        units: encoding.units(&text),
        parts: sms_parts(&text, encoding).len(),
    }
}

/// The SMS parts of a text (after NFC), as a provider that sends parts itself needs them.
pub fn split_sms(text: &str) -> Vec<String> {
    let text = normalize(text);
    let encoding = Encoding::of(&text);
    sms_parts(&text, encoding)
        .into_iter()
        .map(|range| text[range].to_string())
        .collect()
}

/// Byte ranges of the parts of an NFC text: one part up to the single-SMS limit, otherwise full
/// parts of the multipart limit, where a character that does not fit whole moves to the next.
fn sms_parts(text: &str, encoding: Encoding) -> Vec<Range<usize>> {
    let (single, multi) = encoding.sms_limits();
    let units = encoding.units(text);
    if units == 0 {
        return Vec::new();
    }
    let per_part = if units <= single { single } else { multi };
    let mut parts = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (at, c) in text.char_indices() {
        let cost = encoding.cost(c);
        if used + cost > per_part {
            parts.push(start..at);
            (start, used) = (at, 0);
        }
        used += cost;
    }
    parts.push(start..text.len());
    parts
}

/// Whether the text fits one USSD screen: 182 septets in GSM-7, or 80 UTF-16 units once any
/// character needs UCS-2.
pub fn fits_ussd(text: &str) -> bool {
    fits_ussd_nfc(&normalize(text))
}

fn fits_ussd_nfc(text: &str) -> bool {
    let encoding = Encoding::of(text);
    encoding.units(text) <= encoding.ussd_max()
}

/// Splits a screen body into USSD pages that each fit, option lines included: every page but the
/// last ends with `"\n98 {more}"`, every page but the first with `"\n0 {back}"`. Pages break at
/// whitespace (at a line break when one falls in the second half of the page), never inside a
/// word, unless one word is longer than a page. A text that fits is returned as it is, trimmed.
///
/// Pages fit only if the option lines leave room for text; with absurdly long labels each page
/// still carries at least one character, so the function always ends.
pub fn paginate_ussd(text: &str, more: &str, back: &str) -> Vec<String> {
    let text = normalize(text);
    let more_line = normalize(&format!("\n98 {more}"));
    let back_line = normalize(&format!("\n0 {back}"));
    let mut pages = Vec::new();
    let mut rest = text.trim();
    loop {
        let back = if pages.is_empty() { "" } else { &back_line };
        let last = format!("{rest}{back}");
        if fits_ussd_nfc(&last) {
            pages.push(last);
            return pages;
        }
        let footer = format!("{more_line}{back}");
        let cut = page_break(rest, |body| fits_ussd_nfc(&format!("{body}{footer}")));
        pages.push(format!("{}{footer}", rest[..cut].trim_end()));
        rest = rest[cut..].trim_start();
    }
}

/// Where a page of `rest` (trimmed, and too long for one page) ends: at the last whitespace whose
/// body fits, preferring a line break, then a sentence end (`.` `।` `?` `!`), when one falls in
/// the second half of the page. A first word longer than a page is cut by [`hard_break`].
fn page_break(rest: &str, fits: impl Fn(&str) -> bool) -> usize {
    let (mut space, mut line, mut sentence) = (None, None, None);
    for (at, c) in rest.char_indices() {
        let starts_gap = c.is_whitespace() && !rest[..at].ends_with(char::is_whitespace);
        if !starts_gap {
            continue;
        }
        if !fits(&rest[..at]) {
            break;
        }
        space = Some(at);
        let mut gap = rest[at..].chars().take_while(|c| c.is_whitespace());
        if gap.any(|c| c == '\n') {
            line = Some(at);
        } else if rest[..at].ends_with(['.', '।', '?', '!']) {
            sentence = Some(at);
        }
    }
    let Some(space) = space else {
        return hard_break(rest, fits);
    };
    [line, sentence]
        .into_iter()
        .flatten()
        .find(|&at| at * 2 >= space)
        .unwrap_or(space)
}

/// The longest run of whole characters that fits, for a word longer than a page.
fn hard_break(rest: &str, fits: impl Fn(&str) -> bool) -> usize {
    let mut starts = rest
        .char_indices()
        .filter(|(_, c)| !is_combining_mark(*c))
        .map(|(at, _)| at)
        .skip(1)
        .chain([rest.len()]);
    let mut cut = starts.next().unwrap_or(rest.len());
    for at in starts {
        if !fits(&rest[..at]) {
            break;
        }
        cut = at;
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(encoding: Encoding, units: usize, parts: usize) -> TextCost {
        TextCost {
            encoding,
            units,
            parts,
        }
    }

    #[test]
    fn the_gsm_tables_hold_128_basic_and_10_extension_characters() {
        assert_eq!(GSM7_BASIC.chars().count(), 128);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert_eq!(GSM7_BASIC.chars().position(|c| c == ESC), Some(0x1B));
        assert_eq!(GSM7_BASIC.chars().position(|c| c == 'A'), Some(0x41));
        assert_eq!(GSM7_BASIC.chars().position(|c| c == 'à'), Some(0x7F));
        assert!(!is_gsm7(&ESC.to_string()));
    }

    #[test]
    fn sms_costs_are_counted_exactly() {
        use Encoding::*;
        let a = |n| "a".repeat(n);
        let ka = |n| "क".repeat(n);
        let cases: Vec<(String, TextCost)> = vec![
            (String::new(), cost(Gsm7, 0, 0)),
            (a(1), cost(Gsm7, 1, 1)),
            (a(160), cost(Gsm7, 160, 1)),
            (a(161), cost(Gsm7, 161, 2)),
            (a(153 * 2), cost(Gsm7, 306, 2)),
            (a(153 * 2 + 1), cost(Gsm7, 307, 3)),
            ("{".repeat(80), cost(Gsm7, 160, 1)),
            ("{".repeat(81), cost(Gsm7, 162, 2)),
            (format!("{}€", a(158)), cost(Gsm7, 160, 1)),
            (format!("{}€", a(159)), cost(Gsm7, 161, 2)),
            ("Call 1930 @ once: £0 ¿¡ ÄÖÑÜ§".into(), cost(Gsm7, 29, 1)),
            (ka(70), cost(Ucs2, 70, 1)),
            (ka(71), cost(Ucs2, 71, 2)),
            (ka(67 * 2), cost(Ucs2, 134, 2)),
            (ka(67 * 2 + 1), cost(Ucs2, 135, 3)),
            (format!("{}।", a(69)), cost(Ucs2, 70, 1)),
            ("Pay ₹0".into(), cost(Ucs2, 6, 1)),
            ("Say “no”".into(), cost(Ucs2, 8, 1)),
            ("`".into(), cost(Ucs2, 1, 1)),
            ("😀".into(), cost(Ucs2, 2, 1)),
        ];
        for (text, expected) in cases {
            assert_eq!(sms_cost(&text), expected, "{text:?}");
            assert_eq!(split_sms(&text).len(), expected.parts, "{text:?}");
        }
    }

    #[test]
    fn an_extension_character_at_a_part_boundary_moves_whole_to_the_next_part() {
        let text = format!("{}€{}", "a".repeat(152), "b".repeat(10));
        assert_eq!(sms_cost(&text).units, 164);
        let parts = split_sms(&text);
        assert_eq!(parts, vec!["a".repeat(152), format!("€{}", "b".repeat(10))]);
    }

    #[test]
    fn an_emoji_at_a_part_boundary_moves_whole_to_the_next_part() {
        let text = format!("{}😀{}", "क".repeat(66), "ख".repeat(10));
        assert_eq!(sms_cost(&text), cost(Encoding::Ucs2, 78, 2));
        let parts = split_sms(&text);
        assert_eq!(parts, vec!["क".repeat(66), format!("😀{}", "ख".repeat(10))]);
    }

    #[test]
    fn every_part_of_a_long_message_fits_its_limit_and_they_join_back() {
        let english =
            "Bank, police or any company will never ask for your OTP [PIN] {CVV}. ".repeat(9);
        let hindi = "बैंक, पुलिस या कोई कंपनी कभी OTP, PIN या CVV नहीं मांगती। 😀 ".repeat(6);
        for (text, limit) in [(english, 153), (hindi, 67)] {
            let parts = split_sms(&text);
            assert!(parts.len() > 2);
            let encoding = sms_cost(&text).encoding;
            for part in &parts {
                assert!(encoding.units(part) <= limit, "{part:?}");
            }
            assert_eq!(parts.concat(), text);
        }
    }

    #[test]
    fn a_decomposed_nukta_is_counted_after_composition() {
        // न + nukta composes to ऩ (U+0929): one unit, so 70 of them are one part, not three.
        let decomposed = "न\u{093C}".repeat(70);
        assert_eq!(sms_cost(&decomposed), cost(Encoding::Ucs2, 70, 1));
        assert_eq!(normalize("न\u{093C}"), "\u{0929}");
        // Unicode never composes क़ ड़ …: NFC turns U+0958 into क + nukta, two units either way.
        assert_eq!(sms_cost("\u{0958}").units, 2);
        assert_eq!(sms_cost("क\u{093C}").units, 2);
    }

    #[test]
    fn a_decomposed_accent_on_a_gsm_letter_stays_gsm7() {
        assert!(is_gsm7("e\u{0301}"));
        assert_eq!(sms_cost("Cafe\u{0301}"), cost(Encoding::Gsm7, 4, 1));
    }

    #[test]
    fn gsm_friendly_keeps_english_tips_in_one_cheap_part() {
        let cases = [
            ("Don’t share your ‘OTP’", "Don't share your 'OTP'"),
            ("“KYC pending” SMS is fake", "\"KYC pending\" SMS is fake"),
            ("Call 1930 – now — not later", "Call 1930 - now - not later"),
            ("Call\u{A0}1930\tnow\u{2009}please", "Call 1930 now please"),
            ("Wait…", "Wait..."),
            ("Fee ₹500", "Fee Rs.500"),
            ("café naïve résumé São", "café naive résumé Sao"),
            ("soft\u{AD}hyphen\u{200B}", "softhyphen"),
        ];
        for (input, expected) in cases {
            let friendly = gsm_friendly(input);
            assert_eq!(friendly, expected, "{input:?}");
            assert!(is_gsm7(&friendly), "{friendly:?}");
        }
        let tip =
            "“Your KYC is pending” – SMS like this is fake. Don’t click; call 1930…".repeat(2);
        assert_eq!(sms_cost(&tip).parts, 3);
        assert_eq!(sms_cost(&gsm_friendly(&tip)).parts, 1);
    }

    #[test]
    fn gsm_friendly_leaves_hindi_text_as_it_is() {
        let hindi = "ठगी हो तो 1930 पर कॉल करें। ज़रूरी";
        assert_eq!(gsm_friendly(hindi), normalize(hindi));
        assert!(!is_gsm7(&gsm_friendly(hindi)));
    }

    #[test]
    fn ussd_screens_hold_182_gsm_or_80_ucs2_units() {
        let cases = [
            ("a".repeat(182), true),
            ("a".repeat(183), false),
            ("€".repeat(91), true),
            ("€".repeat(92), false),
            ("क".repeat(80), true),
            ("क".repeat(81), false),
            (format!("{}क", "a".repeat(79)), true),
            (format!("{}क", "a".repeat(80)), false),
            ("न\u{093C}".repeat(80), true),
            (String::new(), true),
        ];
        for (text, fits) in cases {
            assert_eq!(
                fits_ussd(&text),
                fits,
                "{} chars of {:?}",
                text.len(),
                text.chars().next()
            );
        }
    }

    /// The body of a page, without its option lines.
    fn body<'a>(page: &'a str, more: &str, back: &str) -> &'a str {
        let page = page.strip_suffix(&format!("\n0 {back}")).unwrap_or(page);
        page.strip_suffix(&format!("\n98 {more}")).unwrap_or(page)
    }

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    fn assert_well_paginated(text: &str, more: &str, back: &str) -> Vec<String> {
        let pages = paginate_ussd(text, more, back);
        let last = pages.len() - 1;
        for (n, page) in pages.iter().enumerate() {
            assert!(fits_ussd(page), "page {n} does not fit: {page:?}");
            assert_eq!(page.contains(&format!("\n98 {more}")), n < last, "{page:?}");
            assert_eq!(page.ends_with(&format!("\n0 {back}")), n > 0, "{page:?}");
        }
        let bodies: Vec<&str> = pages.iter().map(|p| body(p, more, back)).collect();
        assert_eq!(
            words(&bodies.join(" ")),
            words(&normalize(text)),
            "{pages:#?}"
        );
        pages
    }

    #[test]
    fn a_screen_that_fits_is_one_page_without_option_lines() {
        let screen = "Cyber Mitan\n1 Join\n2 Today's tip\n3 Fraud help";
        assert_eq!(paginate_ussd(screen, "More", "Back"), vec![screen]);
    }

    #[test]
    fn a_long_english_tip_is_paginated_without_cutting_a_word() {
        let tip = "Bank, police or any company will never ask for your OTP, PIN or CVV. \
                   Do not tell it to anyone on a call. Cheated? Call 1930. "
            .repeat(4);
        let pages = assert_well_paginated(&tip, "More", "Back");
        assert!(pages.len() >= 3, "{pages:#?}");
    }

    #[test]
    fn a_long_hindi_tip_is_paginated_within_80_units_at_a_sentence_end() {
        let tip = "बैंक, पुलिस या कोई कंपनी कभी OTP, PIN या CVV नहीं मांगती। फोन पर किसी को न \
                   बताएं। ठगी हो तो 1930 पर कॉल करें।";
        let pages = assert_well_paginated(tip, "आगे", "पीछे");
        assert_eq!(pages.len(), 2, "{pages:#?}");
        assert!(pages[0].ends_with("मांगती।\n98 आगे"), "{pages:#?}");
        assert!(pages[1].starts_with("फोन पर"), "{pages:#?}");
    }

    #[test]
    fn a_menu_is_paginated_at_line_breaks() {
        let menu: String = (1..=12)
            .map(|n| format!("{n} Report a fraud call or SMS\n"))
            .collect();
        let pages = assert_well_paginated(&menu, "More", "Back");
        for page in &pages {
            for line in body(page, "More", "Back").lines() {
                assert!(line.ends_with("SMS"), "a menu line was broken: {line:?}");
            }
        }
    }

    #[test]
    fn a_word_longer_than_a_page_is_split_whole_letters_only() {
        let word = "कि".repeat(60); // consonant + vowel sign: a split must not orphan the sign
        let text = format!("Visit {word} now");
        let pages = paginate_ussd(&text, "More", "Back");
        assert!(pages.iter().all(|p| fits_ussd(p)), "{pages:#?}");
        for page in &pages[1..] {
            assert!(page.starts_with('क') || page.starts_with("now"), "{page:?}");
        }
        let joined: String = pages.iter().map(|p| body(p, "More", "Back")).collect();
        assert_eq!(joined.replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn labels_too_long_for_any_page_still_end() {
        let pages = paginate_ussd(&"word ".repeat(50), &"m".repeat(200), "Back");
        assert!(!pages.is_empty());
        assert!(pages.len() <= 250);
    }
}
