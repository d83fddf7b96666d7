//! Load generator of the USSD benchmark: virtual villagers who dial a USSD service in the Africa's
//! Talking dialect and join, the way a person with a feature phone would.
//!
//!     cargo run --release --example bench_journeys -- URL [--villagers 32] [--seconds 8]
//!         [--first-phone 7100000000] [--first-hops] [--threads 1]
//!
//! URL is the service's USSD webhook, e.g. `http://127.0.0.1:8080/webhooks/africastalking/ussd`.
//! Each villager keeps one keep-alive connection and, until SECONDS have passed, dials from a
//! number no one has used in this run (`+91` and FIRST-PHONE, FIRST-PHONE + 1, …): it reads each
//! screen and picks the option whose label says English, Join, Yes / agree, or Next / More /
//! Continue, and types 0 on the screen that asks for a code "or 0 to skip". A journey counts as
//! joined when it ends on an `END` screen that says "Done!" and gives the villager's code; any
//! other end (an HTTP error, a screen with nothing to pick, another `END`, more than 20 hops) is a
//! failed journey, and the first screen of each kind of failure is printed.
//!
//! `--first-hops` measures the heaviest single hop instead: every request is the dial of a new
//! session from a new number, and any answer but a `CON` screen is a failure.
//!
//! It prints one line of `key=value` figures: joined and failed journeys, hops, journeys and hops
//! per second, and the 50th and 99th percentile of hop latency (request sent to whole answer read).
//! It runs on one thread by default (`--threads`), like `wrk -t1`: on a small machine the load
//! generator shares the cores with the server it measures, and one thread caps what it takes.
//! `scripts/bench-ussd.sh` runs it against mitan and its two references.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Parser;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::TokioIo;

/// Hops after which a journey that has not ended is a failure (mitan's takes 7).
const MAX_HOPS: usize = 20;

#[derive(Parser)]
#[command(about = "Virtual villagers joining a USSD service, for the benchmark")]
struct Args {
    /// The USSD webhook (Africa's Talking dialect), http only.
    url: url::Url,
    /// Villagers dialling at once, each on its own connection.
    #[arg(long, default_value_t = 32)]
    villagers: u64,
    /// How long villagers start new journeys (each finishes the one it is in).
    #[arg(long, default_value_t = 8)]
    seconds: u64,
    /// The first villager's national number, after +91; the others follow it.
    #[arg(long, default_value_t = 7_100_000_000)]
    first_phone: u64,
    /// Only dials of new sessions from new numbers, instead of whole journeys.
    #[arg(long)]
    first_hops: bool,
    /// Threads of the load generator.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(run(args))
}

/// Where the requests go, read once from the URL.
struct Target {
    /// `host:port`, to connect to and to name in `Host`.
    authority: String,
    path: String,
    /// Makes this run's session ids differ from any earlier run's against the same service.
    run: u128,
}

async fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.url.scheme() == "http", "only http:// URLs");
    let host = args.url.host_str().context("the URL has no host")?;
    let port = args.url.port_or_known_default().unwrap_or(80);
    let target = Arc::new(Target {
        authority: format!("{host}:{port}"),
        path: args.url.path().to_string(),
        run: SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis(),
    });
    let next_phone = Arc::new(AtomicU64::new(args.first_phone));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let villagers: Vec<_> = (0..args.villagers)
        .map(|_| {
            let (target, next_phone) = (target.clone(), next_phone.clone());
            let first_hops = args.first_hops;
            tokio::spawn(async move {
                let mut villager = Villager::new(target);
                while Instant::now() < deadline {
                    let phone = next_phone.fetch_add(1, Ordering::Relaxed);
                    if first_hops {
                        villager.dial(phone).await;
                    } else {
                        villager.journey(phone).await;
                    }
                }
                villager.tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for villager in villagers {
        total.add(villager.await?)?;
    }
    total.print(
        if args.first_hops {
            "first-hops"
        } else {
            "journeys"
        },
        args.villagers,
        started.elapsed(),
    );
    Ok(())
}

/// What went wrong in a failed journey (or first hop).
#[derive(Clone, Copy)]
enum Failure {
    /// No connection, a broken one, or an answer that is not 2xx.
    Http,
    /// A screen that offers nothing a joining villager would pick.
    Lost,
    /// An `END` screen other than "joined".
    Ended,
    /// More than `MAX_HOPS` screens.
    TooLong,
}

const FAILURES: [&str; 4] = ["http", "lost", "ended", "too_long"];

struct Tally {
    joined: u64,
    hops: u64,
    failed: [u64; 4],
    /// The first screen (or error) of each kind of failure, to print.
    examples: [Option<String>; 4],
    /// Hop latency in microseconds.
    latency: Histogram<u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            joined: 0,
            hops: 0,
            failed: [0; 4],
            examples: Default::default(),
            latency: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
        }
    }
}

impl Tally {
    fn fail(&mut self, failure: Failure, what: String) {
        let kind = failure as usize;
        self.failed[kind] += 1;
        self.examples[kind].get_or_insert(what);
    }

    fn add(&mut self, other: Tally) -> anyhow::Result<()> {
        self.joined += other.joined;
        self.hops += other.hops;
        for (kind, example) in other.examples.into_iter().enumerate() {
            self.failed[kind] += other.failed[kind];
            if let Some(example) = example {
                self.examples[kind].get_or_insert(example);
            }
        }
        self.latency.add(&other.latency)?;
        Ok(())
    }

    fn print(&self, mode: &str, villagers: u64, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let failed: u64 = self.failed.iter().sum();
        let ms = |quantile| self.latency.value_at_quantile(quantile) as f64 / 1000.0;
        for (kind, example) in self.examples.iter().enumerate() {
            if let Some(example) = example {
                eprintln!(
                    "{mode}: {} failed ({}), the first: {example:?}",
                    self.failed[kind], FAILURES[kind]
                );
            }
        }
        println!(
            "mode={mode} villagers={villagers} seconds={seconds:.2} joined={} failed={failed} \
             hops={} journeys_per_s={:.1} hops_per_s={:.1} p50_ms={:.2} p99_ms={:.2}",
            self.joined,
            self.hops,
            self.joined as f64 / seconds,
            self.hops as f64 / seconds,
            ms(0.5),
            ms(0.99),
        );
    }
}

/// One virtual villager: a connection, reopened after any error, and its own figures.
struct Villager {
    target: Arc<Target>,
    connection: Option<SendRequest<Full<Bytes>>>,
    tally: Tally,
}

impl Villager {
    fn new(target: Arc<Target>) -> Self {
        Villager {
            target,
            connection: None,
            tally: Tally::default(),
        }
    }

    /// From the dial to the last screen of one journey, by `phone`.
    async fn journey(&mut self, phone: u64) {
        let session = format!("bench-{}-{phone}", self.target.run);
        let mut text = String::new();
        for _ in 0..MAX_HOPS {
            let reply = match self.hop(&session, phone, &text).await {
                Ok(reply) => reply,
                Err(err) => return self.tally.fail(Failure::Http, err),
            };
            if let Some(end) = reply.strip_prefix("END ") {
                if joined(end) {
                    self.tally.joined += 1;
                } else {
                    self.tally.fail(Failure::Ended, reply);
                }
                return;
            }
            let Some(input) = reply.strip_prefix("CON ").and_then(choose) else {
                return self.tally.fail(Failure::Lost, reply);
            };
            if !text.is_empty() {
                text.push('*');
            }
            text.push_str(input);
        }
        self.tally
            .fail(Failure::TooLong, format!("still going after {text}"));
    }

    /// The first hop of a new session by `phone`.
    async fn dial(&mut self, phone: u64) {
        let session = format!("bench-{}-{phone}", self.target.run);
        match self.hop(&session, phone, "").await {
            Ok(reply) if reply.starts_with("CON ") => {}
            Ok(reply) => self.tally.fail(Failure::Ended, reply),
            Err(err) => self.tally.fail(Failure::Http, err),
        }
    }

    /// One hop: the form the aggregator posts, and the screen it gets back. Times it.
    async fn hop(&mut self, session: &str, phone: u64, text: &str) -> Result<String, String> {
        let body = format!(
            "sessionId={session}&serviceCode=%2A384%2A25%23&phoneNumber=%2B91{phone}\
             &networkCode=40445&text={}",
            text.replace('*', "%2A")
        );
        let request = hyper::Request::post(&self.target.path)
            .header(HOST, &self.target.authority)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .map_err(|err| err.to_string())?;
        let sent = Instant::now();
        let answer = self.send(request).await;
        if answer.is_err() {
            self.connection = None;
        }
        let answer = answer?;
        self.tally.hops += 1;
        // Never zero: the histogram's lowest value is 1 µs.
        let micros = sent.elapsed().as_micros().max(1) as u64;
        self.tally.latency.saturating_record(micros);
        Ok(answer)
    }

    async fn send(&mut self, request: hyper::Request<Full<Bytes>>) -> Result<String, String> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self
                .connection
                .insert(connect(&self.target.authority).await?),
        };
        connection.ready().await.map_err(|err| err.to_string())?;
        let response = connection
            .send_request(request)
            .await
            .map_err(|err| err.to_string())?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|err| err.to_string())?
            .to_bytes();
        let body = String::from_utf8_lossy(&body).into_owned();
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!("{status}: {body}"))
        }
    }
}

async fn connect(address: &str) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .map_err(|err| format!("connect {address}: {err}"))?;
    stream.set_nodelay(true).map_err(|err| err.to_string())?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| err.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// What a villager who wants to join, in English, types on `screen`: the number of the option
/// whose label says so, or 0 where a code is asked for and may be skipped.
fn choose(screen: &str) -> Option<&str> {
    let options: Vec<(&str, String)> = screen.lines().filter_map(option).collect();
    let pick = |wanted: fn(&str) -> bool| {
        options
            .iter()
            .find(|(_, label)| wanted(label))
            .map(|(number, _)| *number)
    };
    pick(|label| label.contains("english"))
        .or_else(|| pick(|label| label.starts_with("join")))
        .or_else(|| pick(|label| label.contains("agree") || label == "yes"))
        .or_else(|| {
            pick(|label| {
                ["next", "more", "continue"]
                    .iter()
                    .any(|w| label.starts_with(w))
            })
        })
        .or_else(|| screen.to_lowercase().contains("0 to skip").then_some("0"))
}

/// A screen line such as `3 English`, `1. Join` or `98) More`: its number and lower-case label.
fn option(line: &str) -> Option<(&str, String)> {
    let line = line.trim_start();
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if !(1..=2).contains(&digits) {
        return None;
    }
    let (number, rest) = line.split_at(digits);
    let label = rest
        .trim_start_matches([' ', '.', ')', ':', '-'])
        .trim_end();
    (label.len() < rest.len() && !label.is_empty()).then(|| (number, label.to_lowercase()))
}

/// The last screen of a join: "Done! Your mitan code is …".
fn joined(end: &str) -> bool {
    end.starts_with("Done!") && end.contains("code is")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_villager_reads_the_labels_of_each_screen_of_a_join() {
        let language =
            "Cyber Mitan / साइबर मितान\n1 हिंदी Hindi\n2 छत्तीसगढ़ी CG\n3 English\n4 Hindi (ABC)";
        assert_eq!(choose(language), Some("3"));
        let menu = "Cyber Mitan: free SMS tips to stay safe from fraud.\n1 Join\n2 Today's tip\n4 Language";
        assert_eq!(choose(menu), Some("1"));
        assert_eq!(
            choose("Enter the code of the mitan, or 0 to skip."),
            Some("0")
        );
        assert_eq!(choose("We keep only: your mobile no.\n1 Next"), Some("1"));
        assert_eq!(choose("A long notice\n98 More\n0 Back"), Some("98"));
        assert_eq!(
            choose("Are you 18 or older?\n1 Yes, I agree\n2 No"),
            Some("1")
        );
        assert_eq!(choose("Cyber Mitan\n1 Today's tip\n2 Stop tips"), None);
        assert!(joined("Done! Your mitan code is 482913: share it."));
        assert!(!joined("No problem. Nothing was saved."));
        assert!(!joined(
            "You are already a Cyber Mitan. Your code is 482913."
        ));
        assert!(!joined(
            "Done. Your number is erased and you will get no more SMS."
        ));
    }
}
