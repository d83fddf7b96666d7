//! Text from outside (an aggregator's error body, a delivery report's reason) can hold a phone
//! number; before it is logged or stored, every run that could be one is cut out.

/// Runs of at least this many digits are cut: no mobile number is shorter, while error codes
/// (Twilio's `21610`, HTTP statuses) and small counts stay readable.
const LONGEST_KEPT: usize = 6;

/// `text` with every run of seven or more digits (any script's: `९८७६…` too) replaced by `…`.
/// Digits split by one or two spaces, hyphens, dots or brackets (`+91 98765-43210`,
/// `(0771) 2345678`) count as one run.
pub fn without_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        if !chars[at].is_numeric() {
            out.push(chars[at]);
            at += 1;
            continue;
        }
        // The run: digits, and single separators between digits.
        let start = at;
        let mut end = at;
        let mut digits = 0;
        while end < chars.len() {
            if chars[end].is_numeric() {
                digits += 1;
                end += 1;
                continue;
            }
            let gap = chars[end..]
                .iter()
                .take(2)
                .take_while(|c| is_separator(**c))
                .count();
            if gap > 0 && chars.get(end + gap).is_some_and(|c| c.is_numeric()) {
                end += gap;
            } else {
                break;
            }
        }
        if digits > LONGEST_KEPT {
            out.push('…');
        } else {
            out.extend(&chars[start..end]);
        }
        at = end;
    }
    out
}

fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_any_common_form_are_cut_and_short_codes_stay() {
        let cases = [
            (
                "The 'To' number +919876543210 is not valid",
                "The 'To' number +… is not valid",
            ),
            ("to 98765 43210 refused", "to … refused"),
            ("to 098765-43210.", "to …."),
            ("(0771) 2345678 busy", "(… busy"),
            (
                "Twilio error 21610: unsubscribed",
                "Twilio error 21610: unsubscribed",
            ),
            ("HTTP 503: try again in 30 s", "HTTP 503: try again in 30 s"),
            ("template 1107160000000012345", "template …"),
            ("", ""),
            ("नंबर ९८७६५४३२१० गलत", "नंबर … गलत"),
            ("1 2 3", "1 2 3"),
        ];
        for (text, expected) in cases {
            assert_eq!(without_numbers(text), expected, "{text}");
        }
    }
}
