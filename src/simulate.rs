//! `mitan simulate`: a feature phone in the terminal. It dials a running mitan over HTTP exactly
//! as an aggregator would (the Africa's Talking dialect), shows each screen as the handset does,
//! and reads the next input from the keyboard.

use std::io::Write as _;

use anyhow::Context as _;
use rand::Rng as _;
use tokio::io::{AsyncBufReadExt as _, BufReader};

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
            .form(&[
                ("sessionId", session),
                ("serviceCode", self.service_code.as_str()),
                ("phoneNumber", self.phone.as_str()),
                ("networkCode", "99999"),
                ("text", text),
            ])
            .send()
            .await
            .with_context(|| format!("cannot reach {url}: is `mitan serve` running?"))?;
        let status = response.status();
        let body = response.text().await.context("reading the reply")?;
        if !status.is_success() {
            anyhow::bail!("{url} answered {status}: {body}");
        }
        if let Some(text) = body.strip_prefix("CON ") {
            Ok(Screen {
                end: false,
                text: text.to_string(),
            })
        } else if let Some(text) = body.strip_prefix("END ") {
            Ok(Screen {
                end: true,
                text: text.to_string(),
            })
        } else {
            anyhow::bail!("not a USSD reply: {body:?}")
        }
    }
}

fn show(screen: &Screen) {
    let width = screen
        .text
        .lines()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(20, 60);
    println!("┌{}┐", "─".repeat(width + 2));
    for line in screen.text.lines() {
        let pad = width.saturating_sub(line.chars().count());
        println!("│ {line}{} │", " ".repeat(pad));
    }
    println!("└{}┘", "─".repeat(width + 2));
}
