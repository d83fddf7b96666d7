//! `mitan simulate`: a feature phone in the terminal. It dials a running mitan over HTTP exactly
//! as an aggregator would (the Africa's Talking dialect, whose wire format
//! `providers::africastalking` holds), shows each screen as the handset does,
//! and reads the next input from the keyboard. With `--sms` it texts instead: each line is an
//! SMS to the `console` channel, and the replies mitan's dispatcher sends through that channel
//! are read back from `GET /webhooks/console/console/sent` and shown.

use std::io::Write as _;

use anyhow::Context as _;
use rand::Rng as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};

use crate::providers::africastalking;

/// Where and as whom to dial.
pub struct Phone {
    pub url: String,
    pub channel: String,
    pub phone: String,
    pub service_code: String,
}

/// What the handset shows after a hop.
struct Screen {
    end: bool,
    text: String,
}

impl Phone {
    /// Runs until the user types `q` (or input ends).
    pub async fn run(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        println!(
            "Dialling {} as {} on channel {:?} at {}.\nType the option and Enter; `q` quits.",
            self.service_code, self.phone, self.channel, self.url
        );
        'dial: loop {
            let session = format!("SIM_{:016x}", rand::thread_rng().gen::<u64>());
            let mut path: Vec<String> = Vec::new();
            loop {
                let screen = self.hop(&client, &session, &path.join("*")).await?;
                show(&screen);
                if screen.end {
                    print!("(session over) Enter dials again, q quits > ");
                    std::io::stdout().flush()?;
                    match lines.next_line().await? {
                        Some(line) if line.trim() != "q" => continue 'dial,
                        _ => return Ok(()),
                    }
                }
                print!("> ");
                std::io::stdout().flush()?;
                let Some(line) = lines.next_line().await? else {
                    return Ok(());
                };
                let input = line.trim();
                if input == "q" {
                    return Ok(());
                }
                path.push(input.to_string());
            }
        }
    }

    async fn hop(
        &self,
        client: &reqwest::Client,
        session: &str,
        text: &str,
    ) -> anyhow::Result<Screen> {
        let url = format!(
            "{}/webhooks/{}/ussd",
            self.url.trim_end_matches('/'),
            self.channel
        );
        let response = client
            .post(&url)
            .form(&africastalking::hop_form(
                session,
                &self.service_code,
                &self.phone,
                text,
            ))
            .send()
            .await
            .with_context(|| format!("cannot reach {url}: is `mitan serve` running?"))?;
        let status = response.status();
        let body = response.text().await.context("reading the reply")?;
        if !status.is_success() {
            anyhow::bail!("{url} answered {status}: {body}");
        }
        match africastalking::read_ussd_reply(&body) {
            Some(reply) => Ok(Screen {
                end: reply.end,
                text: reply.text,
            }),
            None => anyhow::bail!("not a USSD reply: {body:?}"),
        }
    }
}

/// Columns a feature phone shows on one line of an SMS.
const SMS_WIDTH: usize = 36;
/// Columns inside the box a USSD screen is drawn in.
const SCREEN_WIDTH: usize = 32;

/// Breaks a text into lines of at most `width` terminal columns (display width, so that
/// Devanagari's combining vowel signs take none), at spaces where possible; a word longer than a
/// line is cut between characters, never between a letter and its marks.
fn wrap(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr as _;
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let (used, needed) = (line.width(), word.width());
            if used > 0 && used + 1 + needed > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            for c in word.chars() {
                let wide = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if wide > 0 && line.width() + wide > width && !line.trim().is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                line.push(c);
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// How long to wait for the replies to one SMS.
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Phone {
    /// Texts mitan until the user types `q` (or input ends), showing every reply.
    pub async fn run_sms(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let mut lines = BufReader::new(tokio::io::stdin()).lines();
        println!(
            "Texting mitan at {} as {} on channel {:?}.\nType a message (JOIN, YES, HELP, STOP…) \
             and Enter; `q` quits.",
            self.url, self.phone, self.channel
        );
        let mut seen = self.sent(&client).await?.len();
        loop {
            print!("sms> ");
            std::io::stdout().flush()?;
            let Some(line) = lines.next_line().await? else {
                return Ok(());
            };
            if line.trim() == "q" {
                return Ok(());
            }
            self.text(&client, &line).await?;
            // The reply leaves through the outbox; wait until it has been sent.
            let started = std::time::Instant::now();
            loop {
                let sent = self.sent(&client).await?;
                if sent.len() > seen {
                    for text in &sent[seen..] {
                        show(&Screen {
                            end: true,
                            text: wrap(text, SMS_WIDTH),
                        });
                    }
                    seen = sent.len();
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                    if self.sent(&client).await?.len() == seen {
                        break;
                    }
                    continue;
                }
                if started.elapsed() > REPLY_WAIT {
                    println!("(no reply)");
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    }

    fn webhook(&self, what: &str) -> String {
        format!(
            "{}/webhooks/{}/{what}",
            self.url.trim_end_matches('/'),
            self.channel
        )
    }

    async fn text(&self, client: &reqwest::Client, text: &str) -> anyhow::Result<()> {
        let url = self.webhook("sms");
        let id = format!("SIM_{:016x}", rand::thread_rng().gen::<u64>());
        let response = client
            .post(&url)
            .form(&africastalking::sms_form(&id, &self.phone, "CYBMTN", text))
            .send()
            .await
            .with_context(|| format!("cannot reach {url}: is `mitan serve` running?"))?;
        if !response.status().is_success() {
            let status = response.status();
            anyhow::bail!("{url} answered {status}: {}", response.text().await?);
        }
        Ok(())
    }

    /// Every message mitan has sent this phone through the console channel.
    async fn sent(&self, client: &reqwest::Client) -> anyhow::Result<Vec<String>> {
        let url = self.webhook("console/sent");
        let response = client
            .get(&url)
            .query(&[("to", self.phone.as_str())])
            .send()
            .await
            .with_context(|| format!("cannot reach {url}: is `mitan serve` running?"))?;
        if !response.status().is_success() {
            let status = response.status();
            anyhow::bail!(
                "{url} answered {status}: is {:?} a console channel?",
                self.channel
            );
        }
        let sent: crate::providers::console::Sent =
            response.json().await.context("reading the sent messages")?;
        Ok(sent.messages)
    }
}

fn show(screen: &Screen) {
    println!("{}", draw(&screen.text));
}

/// A screen in its box, wrapped to the box and padded by display width, so that the right
/// border lines up for Latin and Devanagari alike.
fn draw(text: &str) -> String {
    use unicode_width::UnicodeWidthStr as _;
    let mut out = vec![format!("┌{}┐", "─".repeat(SCREEN_WIDTH + 2))];
    for line in wrap(text, SCREEN_WIDTH).lines() {
        let pad = SCREEN_WIDTH.saturating_sub(line.width());
        out.push(format!("│ {line}{} │", " ".repeat(pad)));
    }
    out.push(format!("└{}┘", "─".repeat(SCREEN_WIDTH + 2)));
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::{draw, wrap, SCREEN_WIDTH};
    use unicode_width::UnicodeWidthStr as _;

    /// Every line of a drawn box is as wide as its top, and nothing is lost or reordered.
    fn assert_boxed(text: &str) -> String {
        let drawn = draw(text);
        let lines: Vec<&str> = drawn.lines().collect();
        for line in &lines {
            assert_eq!(line.width(), SCREEN_WIDTH + 4, "{line:?} in\n{drawn}");
        }
        let inside: Vec<String> = lines[1..lines.len() - 1]
            .iter()
            .map(|line| {
                line.trim_start_matches("│ ")
                    .trim_end_matches(" │")
                    .trim_end()
                    .to_string()
            })
            .collect();
        let words = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(words(&inside.join(" ")), words(text), "{drawn}");
        drawn
    }

    #[test]
    fn a_long_english_screen_wraps_inside_the_box() {
        let drawn = assert_boxed(
            "We keep only: your mobile no., language, village code (if given) and time of \
             consent. Used only to send fraud-safety SMS.\n1 Next",
        );
        assert!(drawn.lines().count() > 6, "{drawn}");
        assert!(drawn.contains("│ 1 Next"), "{drawn}");
    }

    #[test]
    fn devanagari_is_measured_by_display_width_so_the_borders_line_up() {
        let text = "हम केवल रखते हैं: आपका मोबाइल नंबर, भाषा, गाँव का कोड (यदि दिया) और सहमति का \
                    समय। केवल धोखाधड़ी से बचाव के एसएमएस भेजने के लिए।\n1 आगे";
        let drawn = assert_boxed(text);
        // Measured in characters the vowel signs would count, and lines would spill out.
        let longest = wrap(text, SCREEN_WIDTH)
            .lines()
            .map(|line| line.chars().count())
            .max()
            .unwrap();
        assert!(
            longest > SCREEN_WIDTH,
            "the test needs lines wider in characters: {drawn}"
        );
        assert_boxed(
            "Cyber Mitan / साइबर मितान\n1 हिंदी Hindi\n2 छत्तीसगढ़ी CG\n3 English\n4 Hindi (ABC)",
        );
        assert_boxed(&"क्षत्रिय".repeat(8));
    }

    #[test]
    fn sms_text_wraps_at_spaces_like_a_handset() {
        assert_eq!(
            wrap("Welcome to Cyber Mitan! Your code is 543466.", 20),
            "Welcome to Cyber\nMitan! Your code is\n543466."
        );
        assert_eq!(wrap("short", 20), "short");
    }
}
