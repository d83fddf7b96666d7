//! Calls in mitan's terms, and the call-flow XML Exotel (ExoML) and Twilio (TwiML) both read:
//! the same `Response` of `Gather`, `Play` and `Hangup` verbs, which is all a tip call needs.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::privacy::Msisdn;

/// A call to place.
#[derive(Debug, Clone)]
pub struct OutboundCall<'a> {
    /// The outbox row's id.
    pub id: i64,
    pub to: &'a Msisdn,
    /// Where the provider fetches what to play (mitan's call flow, with its per-call key).
    pub flow_url: &'a str,
    /// Where the provider reports how the call ended.
    pub status_url: &'a str,
}

/// One fetch of the call flow: the key pressed, if any (none on the first fetch, or when the
/// caller pressed nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceStep {
    pub call_id: Option<String>,
    pub digits: Option<String>,
}

/// How a placed call ended, as its status callback says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// Not over yet (queued, ringing, in progress): nothing to settle.
    Ongoing,
    /// Answered and ended.
    Completed,
    Busy,
    NoAnswer,
    Failed,
}

/// A status callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallStatus {
    /// The provider's id of the call (the one its call request answered).
    pub call_id: String,
    pub outcome: CallOutcome,
}

/// What the call does next: play recordings, wait for one key (posting it to `action`), and
/// when no key comes, play `then` and hang up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VoiceAnswer {
    pub gather: Option<Gather>,
    /// Played after the gather (when no key was pressed), or alone.
    pub then: Vec<String>,
}

/// Recordings played while one key is awaited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    pub plays: Vec<String>,
    /// The flow URL the pressed key is sent to.
    pub action: String,
}

/// Seconds the call waits for a key after the recordings.
const KEY_TIMEOUT_SECS: u32 = 8;

/// `<Response>` with the answer's verbs, as ExoML and TwiML write them.
pub(super) fn render(answer: &VoiceAnswer, content_type: &'static str) -> Response {
    let mut xml = String::from(r#"<?xml version="1.0" encoding="UTF-8"?><Response>"#);
    let play = |xml: &mut String, url: &str| {
        xml.push_str("<Play>");
        xml.push_str(&escape(url));
        xml.push_str("</Play>");
    };
    if let Some(gather) = &answer.gather {
        xml.push_str(&format!(
            r#"<Gather numDigits="1" timeout="{KEY_TIMEOUT_SECS}" method="POST" action="{}">"#,
            escape(&gather.action)
        ));
        for url in &gather.plays {
            play(&mut xml, url);
        }
        xml.push_str("</Gather>");
    }
    for url in &answer.then {
        play(&mut xml, url);
    }
    xml.push_str("<Hangup/></Response>");
    ([(CONTENT_TYPE, content_type)], xml).into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A pressed key as a provider reports it: one of `0`–`9`, `*`, `#` (Exotel wraps it in
/// double quotes); anything else is as if nothing was pressed.
pub(super) fn key(raw: Option<&str>) -> Option<String> {
    let key = raw?.trim().trim_matches('"').trim();
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_digit() || c == '*' || c == '#' => Some(c.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_answer_is_one_response_of_gather_play_and_hangup_with_urls_escaped() {
        let answer = VoiceAnswer {
            gather: Some(Gather {
                plays: vec!["http://x/voice/audio/3/hi.wav".into()],
                action: "http://x/webhooks/exotel/voice?call=1&key=ab&tip=3".into(),
            }),
            then: vec!["http://x/voice/audio/prompts/goodbye/hi.wav".into()],
        };
        let (status, content_type, body) =
            super::super::testing::answered(render(&answer, "application/xml")).await;
        assert_eq!(
            (status, content_type.as_deref()),
            (200, Some("application/xml"))
        );
        assert_eq!(
            body,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>\
             <Gather numDigits=\"1\" timeout=\"8\" method=\"POST\" \
             action=\"http://x/webhooks/exotel/voice?call=1&amp;key=ab&amp;tip=3\">\
             <Play>http://x/voice/audio/3/hi.wav</Play></Gather>\
             <Play>http://x/voice/audio/prompts/goodbye/hi.wav</Play><Hangup/></Response>"
        );
    }

    #[test]
    fn a_key_is_one_keypad_character_with_exotel_s_quotes_taken_off() {
        let cases = [
            (Some("2"), Some("2")),
            (Some("\"9\""), Some("9")),
            (Some(" 1 "), Some("1")),
            (Some("#"), Some("#")),
            (Some(""), None),
            (Some("12"), None),
            (Some("x"), None),
            (Some("\"\""), None),
            (None, None),
        ];
        for (raw, expected) in cases {
            assert_eq!(key(raw).as_deref(), expected, "{raw:?}");
        }
    }
}
