//! Printed code cards: the PDF as poppler reads it (`pdfinfo`, `pdffonts`, `pdftotext`), a card
//! rasterised (`pdftoppm`) against HarfBuzz's own drawing of its Devanagari lines (`hb-view`,
//! the references in `tests/fixtures/cards/`, made by `scripts/card-references.sh`), the
//! dashboard's downloads and who may have them, and `mitan cards` through the real binary.
//!
//! The tools come from Debian's `poppler-utils` (and `libharfbuzz-bin` for the references);
//! `.ci/run` installs them. Without them these tests fail, naming the package.

use std::path::Path;
use std::process::Command;

use chrono::Duration;
use figment::providers::Serialized;
use mitan::access::Role;
use mitan::cards::{self, Campaign, Card, Role as Line};
use mitan::clock::Clock as _;
use mitan::i18n::Catalog;
use mitan::store::{NewEventCode, NewRecruiter};

use crate::helpers::{
    count, officer, open_store, run_binary, spawn_app_with, the_error_line, Browser, TestApp,
    RECRUITER_NUMBERS,
};

/// The campaign's own numbers, as the settings print them.
const SMS_NUMBER: &str = "92666 00000";
const MISSED_CALL: &str = "080 4719 2000";

/// What `program` prints for `args`; fails the test if it cannot run or fails.
#[track_caller]
fn tool(program: &str, args: &[&str]) -> String {
    let package = match program {
        "hb-view" => "libharfbuzz-bin",
        _ => "poppler-utils",
    };
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("{program} ({package}) cannot run: {err}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A PDF on disk for the tools, and what they say of it.
struct Pdf {
    dir: tempfile::TempDir,
}

impl Pdf {
    #[track_caller]
    fn of(bytes: &[u8]) -> Self {
        assert!(
            bytes.starts_with(b"%PDF-"),
            "not a PDF: {:?}",
            &bytes[..bytes.len().min(40)]
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cards.pdf"), bytes).unwrap();
        Self { dir }
    }

    fn path(&self) -> String {
        self.dir.path().join("cards.pdf").display().to_string()
    }

    fn info(&self) -> String {
        tool("pdfinfo", &[&self.path()])
    }

    fn text(&self) -> String {
        tool("pdftotext", &["-layout", &self.path(), "-"])
    }

    /// The first page's rectangle `x`, `y`, `width`, `height` (points), rasterised at `scale`
    /// pixels a point by `pdftoppm`.
    fn rasterise(&self, scale: f32, (x, y, width, height): (f32, f32, f32, f32)) -> Grey {
        let px = |pt: f32| ((pt * scale).round() as i64).to_string();
        let out = self.dir.path().join(format!("region-{}-{}", px(x), px(y)));
        tool(
            "pdftoppm",
            &[
                "-r",
                &format!("{:.4}", 72.0 * scale),
                "-f",
                "1",
                "-l",
                "1",
                "-x",
                &px(x),
                "-y",
                &px(y),
                "-W",
                &px(width),
                "-H",
                &px(height),
                "-gray",
                "-png",
                "-singlefile",
                &self.path(),
                &out.display().to_string(),
            ],
        );
        Grey::read(&out.with_extension("png"))
    }

    /// `pdfinfo` says it is A4 with `pages` pages; `pdffonts` that both Devanagari weights are
    /// embedded as subsets (and nothing is left to the viewer's fonts).
    #[track_caller]
    fn assert_a4_with_embedded_fonts(&self, pages: usize) {
        let info = self.info();
        assert!(info.contains("(A4)"), "{info}");
        assert!(info.contains("595.276 x 841.89 pts"), "{info}");
        let pages_line = info.lines().find(|l| l.starts_with("Pages:")).unwrap_or("");
        assert_eq!(
            pages_line.split_whitespace().nth(1),
            Some(&*pages.to_string()),
            "{info}"
        );
        let fonts = tool("pdffonts", &[&self.path()]);
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "{fonts}");
        for face in ["NotoSansDevanagari-Regular", "NotoSansDevanagari-Bold"] {
            let row = rows
                .iter()
                .find(|row| row.contains(&format!("+{face} ")))
                .unwrap_or_else(|| panic!("{face} is not in the PDF as a subset:\n{fonts}"));
            let flags: Vec<&str> = row.split_whitespace().collect();
            // name, type…, encoding, emb, sub, uni, object id, generation.
            let n = flags.len();
            assert_eq!(&flags[n - 5..n - 2], ["yes", "yes", "yes"], "{row}");
        }
        for row in rows {
            assert!(row.contains(" yes yes "), "a font is not embedded: {row}");
        }
    }
}

fn settings(f: figment::Figment) -> figment::Figment {
    f.merge(Serialized::default("cards.sms_number", SMS_NUMBER))
        .merge(Serialized::default("cards.code_in_dial", true))
        .merge(Serialized::default(
            "channels.console.optin_number",
            MISSED_CALL,
        ))
}

/// `path` as the signed-in browser downloads it: status, content type, body.
async fn download(browser: &Browser<'_>, path: &str) -> (u16, String, Vec<u8>) {
    let answer = browser
        .client
        .get(browser.app.url(path))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let kind = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, answer.bytes().await.unwrap().to_vec())
}

/// The one-page PDF `page` links to at `link`, as the browser downloads it.
async fn linked_pdf(browser: &Browser<'_>, page: &str, link: &str) -> Pdf {
    let page = browser.get(page).await;
    assert!(
        page.body.contains(&format!("href=\"{link}\"")),
        "no link to {link}:\n{}",
        page.body
    );
    let (status, kind, body) = download(browser, link).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"), "{link}");
    let pdf = Pdf::of(&body);
    pdf.assert_a4_with_embedded_fonts(1);
    pdf
}

async fn event_code(app: &TestApp, recruiter: i64, label: &str, days: i64) -> String {
    app.state
        .store
        .create_event_code(&NewEventCode {
            recruiter_id: recruiter,
            label,
            expires_at: Some(app.clock.now() + Duration::days(days)),
            max_uses: None,
            code_length: 6,
            at: app.clock.now(),
        })
        .await
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_recruiter_s_cards_are_an_a4_pdf_with_the_fonts_embedded_and_every_code_in_its_text() {
    let app = spawn_app_with(settings).await;
    let (id, code) = officer(&app, Some(RECRUITER_NUMBERS[0])).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let link = format!("/admin/recruiters/{id}/cards.pdf");
    let text = linked_pdf(&admin, &format!("/admin/recruiters/{id}"), &link)
        .await
        .text();
    let code = code.as_str();
    let grouped = cards::grouped(code);
    assert_ne!(grouped, code);
    for (what, times) in [
        (grouped.clone(), 10),
        (format!("*384*25*{code}#"), 10),
        ("*384*25# ".to_string(), 10),
        (format!("JOIN {code}"), 10),
        (SMS_NUMBER.to_string(), 10),
        (MISSED_CALL.to_string(), 10),
        ("1930".to_string(), 10),
        ("पुलिस आपका नंबर नहीं देखेगी".to_string(), 10),
        ("पुलिस तुंहर नंबर नइ देखय".to_string(), 10),
    ] {
        assert_eq!(text.matches(&what).count(), times, "{what:?} in:\n{text}");
    }
    // The recruiter's phone is on no card, in no form.
    let digits: String = RECRUITER_NUMBERS[0]
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let squeezed: String = text.chars().filter(char::is_ascii_digit).collect();
    assert!(!squeezed.contains(&digits[2..]), "{text}");

    // More cards, more pages; a count out of range is refused.
    let (status, _, body) = download(&admin, &format!("{link}?count=25")).await;
    assert_eq!(status, 200);
    Pdf::of(&body).assert_a4_with_embedded_fonts(3);
    assert_eq!(Pdf::of(&body).text().matches(&grouped).count(), 25);
    for bad in ["0", "1001", "ten"] {
        let (status, _, _) = download(&admin, &format!("{link}?count={bad}")).await;
        assert_eq!(status, 400, "count={bad}");
    }
    let printed = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'cards.print' AND actor LIKE 'user:%:desk'",
    )
    .await;
    assert_eq!(printed, 2);
}

#[tokio::test]
async fn an_event_code_s_cards_name_the_event_and_stop_when_the_code_does() {
    let app = spawn_app_with(settings).await;
    let (id, _) = officer(&app, None).await;
    let (other, _) = officer(&app, None).await;
    let code = event_code(&app, id, "Ratanpur mela", 3).await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let link = format!("/admin/recruiters/{id}/event-codes/{code}/cards.pdf");
    let text = linked_pdf(&admin, &format!("/admin/recruiters/{id}"), &link)
        .await
        .text();
    let last_day = cards::last_day(
        app.clock.now() + Duration::days(3),
        app.state.settings.campaign.timezone.0,
    );
    for what in [
        "Ratanpur mela".to_string(),
        last_day,
        "कार्यक्रम कोड".to_string(),
        cards::grouped(&code),
        format!("*384*25*{code}#"),
        format!("JOIN {code}"),
    ] {
        assert_eq!(text.matches(&what).count(), 10, "{what:?} in:\n{text}");
    }

    // Under another recruiter's path the code is not found; once expired it gets no cards.
    let elsewhere = format!("/admin/recruiters/{other}/event-codes/{code}/cards.pdf");
    assert_eq!(download(&admin, &elsewhere).await.0, 404);
    let missing = format!("/admin/recruiters/{id}/event-codes/999999/cards.pdf");
    assert_eq!(download(&admin, &missing).await.0, 404);
    app.clock.advance(Duration::days(4));
    // (A sign-in lasts hours: a new one, days later.)
    let admin = app.signed_in("desk2", Role::Admin, None).await;
    let (status, kind, _) = download(&admin, &link).await;
    assert_eq!(status, 409);
    assert!(kind.starts_with("text/html"), "{kind}");
    let page = admin.get(&format!("/admin/recruiters/{id}")).await;
    assert!(
        !page.body.contains(&link),
        "an expired code offers no cards"
    );
}

#[tokio::test]
async fn an_officer_prints_their_own_code_only_and_strangers_none() {
    let app = spawn_app_with(settings).await;
    let (own, _) = officer(&app, None).await;
    let (other, _) = officer(&app, None).await;
    let own_event = event_code(&app, own, "Mela", 3).await;
    let other_event = event_code(&app, other, "Haat", 3).await;
    let verma = app.signed_in("verma", Role::Officer, Some(own)).await;

    let link = format!("/admin/recruiters/{own}/cards.pdf");
    linked_pdf(&verma, "/admin", &link).await;
    let own_event = format!("/admin/recruiters/{own}/event-codes/{own_event}/cards.pdf");
    assert_eq!(download(&verma, &own_event).await.0, 200);

    for path in [
        format!("/admin/recruiters/{other}/cards.pdf"),
        format!("/admin/recruiters/{other}/event-codes/{other_event}/cards.pdf"),
    ] {
        let (status, kind, body) = download(&verma, &path).await;
        assert_eq!(status, 403, "{path}");
        assert!(kind.starts_with("text/html"), "{kind}");
        assert!(!body.starts_with(b"%PDF"), "{path}");
    }
    // Signed out: the sign-in page, no PDF.
    let (status, _, body) = download(&app.browser(), &link).await;
    assert_ne!(status, 200);
    assert!(!body.starts_with(b"%PDF"));
    let audited = count(
        &app,
        "SELECT COUNT(*) FROM audit_log WHERE action = 'cards.print'",
    )
    .await;
    assert_eq!(audited, 2, "refusals print nothing and audit nothing");
}

/// A grey image (0 black, 255 white).
struct Grey {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Grey {
    fn read(path: &Path) -> Self {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(path).unwrap_or_else(|err| panic!("{}: {err}", path.display())),
        ));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buffer).unwrap();
        let channels = frame.color_type.samples();
        assert_eq!(frame.bit_depth, png::BitDepth::Eight, "{}", path.display());
        let (width, height) = (frame.width as usize, frame.height as usize);
        let pixels = buffer[..frame.buffer_size()]
            .chunks(channels)
            .map(|px| match channels {
                1 | 2 => px[0],
                _ => ((u32::from(px[0]) + u32::from(px[1]) + u32::from(px[2])) / 3) as u8,
            })
            .collect();
        Self {
            width,
            height,
            pixels,
        }
    }

    fn at(&self, x: isize, y: isize) -> u8 {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            255
        } else {
            self.pixels[y as usize * self.width + x as usize]
        }
    }

    /// The image cut to its ink (pixels darker than mid-grey).
    fn inked(&self) -> Self {
        let dark: Vec<(usize, usize)> = (0..self.height)
            .flat_map(|y| (0..self.width).map(move |x| (x, y)))
            .filter(|(x, y)| self.pixels[y * self.width + x] < 128)
            .collect();
        assert!(!dark.is_empty(), "no ink");
        let (x0, x1) = (
            dark.iter().map(|p| p.0).min().unwrap(),
            dark.iter().map(|p| p.0).max().unwrap(),
        );
        let (y0, y1) = (
            dark.iter().map(|p| p.1).min().unwrap(),
            dark.iter().map(|p| p.1).max().unwrap(),
        );
        let (width, height) = (x1 - x0 + 1, y1 - y0 + 1);
        let pixels = (y0..=y1)
            .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
            .map(|(x, y)| self.pixels[y * self.width + x])
            .collect();
        Self {
            width,
            height,
            pixels,
        }
    }

    fn ink(&self) -> usize {
        self.pixels.iter().filter(|p| **p < 128).count()
    }
}

/// Pixels of `a` that no pixel of `b` within one pixel matches (grey levels within 96).
fn unmatched(a: &Grey, b: &Grey) -> usize {
    let mut count = 0;
    for y in 0..a.height as isize {
        for x in 0..a.width as isize {
            let value = i16::from(a.at(x, y));
            let near = (-1..=1)
                .any(|dy| (-1..=1).any(|dx| (value - i16::from(b.at(x + dx, y + dy))).abs() <= 96));
            count += usize::from(!near);
        }
    }
    count
}

/// How far two drawings of a line are apart: pixels either has that the other lacks, over
/// their ink, once each is cut to its ink.
fn difference(a: &Grey, b: &Grey) -> f64 {
    let (a, b) = (a.inked(), b.inked());
    let size_gap = a.width.abs_diff(b.width).max(a.height.abs_diff(b.height));
    if size_gap > 3 {
        return 1.0;
    }
    (unmatched(&a, &b) + unmatched(&b, &a)) as f64 / (a.ink() + b.ink()) as f64
}

/// The fixtures' em, in pixels (`size` in scripts/card-references.sh).
const REFERENCE_EM: f32 = 40.0;
/// Two drawings of correctly shaped text differ by less than this; one matra out of place is
/// more (the test checks both).
const TOLERANCE: f64 = 0.01;

#[test]
fn a_printed_card_draws_devanagari_as_harfbuzz_does() {
    let campaign = Campaign {
        ussd_code: "*384*25#".into(),
        sms_number: Some(SMS_NUMBER.into()),
        missed_call_number: Some(MISSED_CALL.into()),
        code_in_dial: true,
        qr: false,
    };
    let card = Card::recruiter("482918").unwrap();
    let catalog = Catalog::new(&campaign.ussd_code);
    let pdf = Pdf::of(&cards::pdf(&catalog, &campaign, &card, 10).unwrap());
    let layout = cards::layout(&catalog, &campaign, &card);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cards");
    let (left, top) = cards::card_origin(0);
    for (line, reference) in [
        (Line::PromiseChhattisgarhi, "promise-hne"),
        (Line::Title, "title-hi"),
    ] {
        let placed = layout.iter().find(|p| p.role == line).unwrap();
        // The resolution at which the line's em is the reference's: pixels per point.
        let scale = REFERENCE_EM / placed.size;
        let (x0, y0, x1, y1) = placed.ink().unwrap();
        let margin = 0.3;
        let printed = pdf.rasterise(
            scale,
            (
                left + x0 - margin,
                top + y0 - margin,
                x1 - x0 + 2.0 * margin,
                y1 - y0 + 2.0 * margin,
            ),
        );
        let shaped = Grey::read(&fixtures.join(format!("{reference}.png")));
        let unshaped = Grey::read(&fixtures.join(format!("{reference}-unshaped.png")));
        let near = difference(&printed, &shaped);
        let far = difference(&printed, &unshaped);
        eprintln!("{reference}: {near:.4} from hb-view's drawing, {far:.4} from its unshaped one");
        assert!(
            near < TOLERANCE,
            "{reference}: the card differs from hb-view's drawing by {near:.4} (text {:?}; \
             after changing it run scripts/card-references.sh)",
            placed.text
        );
        assert!(
            far > 2.0 * TOLERANCE,
            "{reference}: the comparison cannot tell unshaped text ({far:.4}) from shaped"
        );
    }
}

#[test]
fn the_qr_code_is_printed_only_when_asked() {
    let card = Card::recruiter("482918").unwrap();
    let catalog = Catalog::new("*384*25#");
    let campaign = |qr| Campaign {
        ussd_code: "*384*25#".into(),
        sms_number: Some(SMS_NUMBER.into()),
        missed_call_number: None,
        code_in_dial: false,
        qr,
    };
    let square = cards::qr(&campaign(true), &card).expect("a QR code");
    let (left, top) = cards::card_origin(PER_PAGE_LAST);
    let dark_share = |qr: bool| {
        let pdf = Pdf::of(&cards::pdf(&catalog, &campaign(qr), &card, 10).unwrap());
        let image = pdf.rasterise(
            4.0,
            (left + square.x, top + square.y, square.side, square.side),
        );
        image.ink() as f64 / (image.width * image.height) as f64
    };
    let on = dark_share(true);
    assert!((0.3..0.7).contains(&on), "{on}");
    assert_eq!(dark_share(false), 0.0);
}

/// The last card of a page (its QR code is drawn like the first's).
const PER_PAGE_LAST: usize = cards::PER_PAGE - 1;

#[tokio::test]
async fn mitan_cards_writes_the_pdf_of_a_recruiter_or_an_event_code() {
    let dir = tempfile::tempdir().unwrap();
    let migrated = run_binary(dir.path(), &[], &["migrate"]);
    assert!(migrated.status.success(), "{}", migrated.output);
    let store = open_store(&format!("sqlite://{}/data/mitan.db", dir.path().display())).await;
    let now = chrono::Utc::now();
    let (id, code) = store
        .create_recruiter(&NewRecruiter {
            kind: mitan::enrollment::RecruiterKind::Police,
            name: "SI Verma",
            area_id: None,
            phone: None,
            quota: 25,
            recruited_by: None,
            code_length: 6,
            at: now,
        })
        .await
        .unwrap();
    let event = store
        .create_event_code(&NewEventCode {
            recruiter_id: id,
            label: "Ratanpur mela",
            expires_at: Some(now + Duration::days(3)),
            max_uses: None,
            code_length: 6,
            at: now,
        })
        .await
        .unwrap();
    store.close().await;
    let env = [("MITAN__CARDS__SMS_NUMBER", SMS_NUMBER)];

    let out = dir.path().join("verma.pdf");
    let id_text = id.to_string();
    let out_text = out.display().to_string();
    let run = run_binary(
        dir.path(),
        &env,
        &[
            "cards",
            "--recruiter",
            &id_text,
            "--count",
            "20",
            "--out",
            &out_text,
        ],
    );
    assert!(run.status.success(), "{}", run.output);
    assert!(
        run.output.contains("wrote 20 cards (2 pages)"),
        "{}",
        run.output
    );
    let pdf = Pdf::of(&std::fs::read(&out).unwrap());
    pdf.assert_a4_with_embedded_fonts(2);
    let text = pdf.text();
    assert_eq!(
        text.matches(&cards::grouped(code.as_str())).count(),
        20,
        "{text}"
    );
    assert_eq!(text.matches(&format!("JOIN {code}")).count(), 20, "{text}");
    assert_eq!(text.matches(SMS_NUMBER).count(), 20, "{text}");
    // Off by default: the dial string alone, the code typed when asked.
    assert!(!text.contains(&format!("*{code}#")), "{text}");
    assert_eq!(text.matches("*384*25#").count(), 20, "{text}");

    let out = dir.path().join("mela.pdf");
    let out_text = out.display().to_string();
    let event_text = event.to_string();
    let run = run_binary(
        dir.path(),
        &env,
        &["cards", "--event-code", &event_text, "--out", &out_text],
    );
    assert!(run.status.success(), "{}", run.output);
    let text = Pdf::of(&std::fs::read(&out).unwrap()).text();
    assert_eq!(text.matches("Ratanpur mela").count(), 10, "{text}");
    assert_eq!(text.matches(&cards::grouped(event.as_str())).count(), 10);

    for (args, expected) in [
        (
            vec!["--recruiter", "99"],
            "--recruiter 99: no such recruiter or event code",
        ),
        (
            vec!["--event-code", "5724"],
            "--event-code 5724: no such recruiter or event code",
        ),
    ] {
        let mut all = vec!["cards", "--out", &out_text];
        all.extend(args);
        let run = run_binary(dir.path(), &env, &all);
        assert_eq!(run.status.code(), Some(1), "{all:?}: {}", run.output);
        assert!(
            the_error_line(&run.output).contains(expected),
            "{all:?}: {}",
            run.output
        );
    }
    // What clap refuses: neither whose code, both, a count out of range.
    for (args, expected) in [
        (vec![], "--recruiter <ID>"),
        (
            vec!["--recruiter", "1", "--event-code", "5724"],
            "cannot be used with",
        ),
        (vec!["--recruiter", "1", "--count", "0"], "--count"),
    ] {
        let mut all = vec!["cards", "--out", &out_text];
        all.extend(args);
        let run = run_binary(dir.path(), &env, &all);
        assert_eq!(run.status.code(), Some(2), "{all:?}: {}", run.output);
        assert!(run.output.contains(expected), "{all:?}: {}", run.output);
    }
}
