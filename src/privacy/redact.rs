//! Text from outside (an aggregator's error body, a delivery report's reason, serde's quote of
//! a refused value) can hold a phone number; before it is logged, stored or answered, every run
//! that could be one is cut out.

/// Runs of more digits than this are cut: no mobile number is shorter, while error codes
/// (Twilio's `21610`), HTTP statuses and bounds such as `100000` stay readable.
const LONGEST_KEPT: usize = 6;

/// `text` with every run of seven or more digits, in any script (spaces, dashes, dots, brackets and `+` between
/// them included: `+91 98765 43210`, `98-76-54-32-10`) cut to `…`. For messages that quote
/// what they refused (serde's, a webhook reader's, a field check's), which may be a phone
/// number, on their way back to the sender; a bound such as `100000` stays. Seven digits is
/// also where a name starts to look like a number.
pub fn without_numbers(text: &str) -> String {
    let is_joiner = |c: char| matches!(c, ' ' | '-' | '.' | '(' | ')' | '+');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().filter(|c| c.is_numeric()).count() > LONGEST_KEPT {
            // The spaces and dots around the number stay (`texts.…`, `call … now.`).
            let core = run.trim_matches([' ', '.']);
            let start = run.find(core).unwrap_or_default();
            out.push_str(&run[..start]);
            out.push('…');
            out.push_str(&run[start + core.len()..]);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_numeric() || is_joiner(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_any_grouping_are_cut_from_a_message_and_the_rest_stays() {
        for (text, cut) in [
            ("status \"+919876543210\"", "status \"…\""),
            ("integer `919876543210`, expected", "integer `…`, expected"),
            ("call +91 98765 43210 now", "call … now"),
            ("(+91) 98765-43210.", "…."),
            ("texts.+919876543210", "texts.…"),
            ("98 76 54 32 10", "…"),
            ("at line 1 column 12", "at line 1 column 12"),
            (
                "costs 4 SMS parts; at most 3",
                "costs 4 SMS parts; at most 3",
            ),
            (
                "The 'To' number +919876543210 is not valid",
                "The 'To' number … is not valid",
            ),
            ("(0771) 2345678 busy", "… busy"),
            (
                "Twilio error 21610: unsubscribed",
                "Twilio error 21610: unsubscribed",
            ),
            ("HTTP 503: try again in 30 s", "HTTP 503: try again in 30 s"),
            ("template 1107160000000012345", "template …"),
            ("नंबर ९८७६५४३२१० गलत", "नंबर … गलत"),
            ("", ""),
        ] {
            assert_eq!(without_numbers(text), cut, "{text}");
        }
    }
}
