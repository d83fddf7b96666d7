//! Code cards benchmark: how long one PDF of N cards takes (the target: 500 cards, 50
//! pages, in under 2 s).
//!
//!     cargo run --release --example bench_cards -- [CARDS] [RUNS] [OUT.pdf]
//!
//! Builds the cards of an event code twice over: as the built-in settings print them, and with
//! every line a card can have (an SMS and a missed-call number, the code in the dial string) and
//! the QR code. Each RUNS times (default 10) after one warm-up; prints the fastest, the median
//! and the slowest run with the PDF's size; OUT.pdf keeps the last one (with everything).
//! Everything is in memory: no database, no disk but the optional copy.

use std::time::{Duration, Instant};

use mitan::cards::{pdf, Campaign, Card, Holder};
use mitan::enrollment::OptInCode;
use mitan::i18n::Catalog;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cards: usize = args.next().map_or(Ok(500), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(10), |a| a.parse())?;
    let out = args.next();
    let plain = Campaign {
        ussd_code: "*384*25#".into(),
        sms_number: None,
        missed_call_number: None,
        code_in_dial: false,
        qr: false,
    };
    let everything = Campaign {
        sms_number: Some("92666 00000".into()),
        missed_call_number: Some("080 4719 2000".into()),
        code_in_dial: true,
        qr: true,
        ..plain.clone()
    };
    let card = Card {
        code: OptInCode::parse("482918")?,
        holder: Holder::Event {
            name: "रतनपुर मेला".into(),
            until: Some("12-01-2027".into()),
        },
    };
    let catalog = Catalog::new(&plain.ussd_code);
    let mut bytes = Vec::new();
    for (name, campaign) in [
        ("default settings", &plain),
        ("every line and QR", &everything),
    ] {
        bytes = pdf(&catalog, campaign, &card, cards)?;
        let mut times: Vec<Duration> = Vec::with_capacity(runs);
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            bytes = pdf(&catalog, campaign, &card, cards)?;
            times.push(started.elapsed());
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name}: {cards} cards ({} pages), {} runs: fastest {:.0} ms, median {:.0} ms, \
             slowest {:.0} ms; {} KiB",
            cards.div_ceil(mitan::cards::PER_PAGE),
            times.len(),
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1]),
            bytes.len() / 1024
        );
    }
    if let Some(out) = out {
        std::fs::write(&out, &bytes)?;
        println!("wrote {out}");
    }
    Ok(())
}
