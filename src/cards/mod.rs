//! Printable code cards, pure: what a card says (the campaign's USSD code, SMS and missed-call
//! numbers, a recruiter's or an event's code, the Fluent texts of `locales/*/cards.ftl`), where
//! each line sits on an 85 × 55 mm card, and the A4 PDF of ten cards (two columns of five, with
//! cut marks) that `mitan cards` writes and the dashboard's `cards.pdf` serves.
//!
//! Devanagari is shaped by rustybuzz (`text`), and the PDF (krilla) embeds the fonts subset to
//! the glyphs used. A card holds no one's phone number: only the code, the campaign's own
//! numbers and, for an event code, the event's name (names refuse phone numbers when saved).

pub mod text;

use chrono::{DateTime, Timelike as _, Utc};
use krilla::geom::{PathBuilder, Point, Transform};
use krilla::graphic::Graphic;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};
use krilla::Document;

use crate::config::Settings;
use crate::enrollment::{EventCodeStatus, Language, OptInCode, Script};
use crate::i18n::{locale, Catalog};
pub use text::Weight;
use text::{FontId, Shaped};

/// Points in a millimetre.
const MM: f32 = 72.0 / 25.4;
/// A4, in points.
pub const PAGE_WIDTH: f32 = 210.0 * MM;
pub const PAGE_HEIGHT: f32 = 297.0 * MM;
/// A card (a business card), in points.
pub const CARD_WIDTH: f32 = 85.0 * MM;
pub const CARD_HEIGHT: f32 = 55.0 * MM;
const COLUMNS: usize = 2;
const ROWS: usize = 5;
/// Cards on a page.
pub const PER_PAGE: usize = COLUMNS * ROWS;
/// Most cards one PDF holds (100 pages).
pub const MAX_CARDS: usize = 1000;
/// The grid's top-left corner: centred on the page.
const GRID_LEFT: f32 = (PAGE_WIDTH - COLUMNS as f32 * CARD_WIDTH) / 2.0;
const GRID_TOP: f32 = (PAGE_HEIGHT - ROWS as f32 * CARD_HEIGHT) / 2.0;
/// Cut marks: how far from the grid they start, and how long they are.
const MARK_GAP: f32 = 1.5 * MM;
const MARK_LENGTH: f32 = 6.0 * MM;
/// The empty border inside a card.
const PADDING: f32 = 4.0 * MM;
/// A line's height and its baseline below its top, in ems of its largest text.
const LEADING: f32 = 1.34;
const ASCENT: f32 = 0.98;

/// What every card of the campaign says, from its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// `campaign.ussd_code`, e.g. `*384*25#`.
    pub ussd_code: String,
    /// The number villagers text `JOIN <code>` to (`cards.sms_number`).
    pub sms_number: Option<String>,
    /// The number villagers give a missed call to join (a channel's `optin_number`).
    pub missed_call_number: Option<String>,
    /// Whether to print the code inside the dial string (`*384*25*482918#`): only where the
    /// aggregator hands mitan the digits dialled after the service code (`cards.code_in_dial`).
    pub code_in_dial: bool,
    /// Whether to print a QR code of an `sms:` link to `sms_number` (`cards.qr`).
    pub qr: bool,
}

impl Campaign {
    /// What the settings say: the USSD code, `cards.*`, and the missed-call number of the
    /// default channel (else of the first enabled channel that has one).
    pub fn of(settings: &Settings) -> Self {
        let default = settings.channels.get(&settings.outbound.default_channel);
        let missed_call_number = default
            .into_iter()
            .chain(settings.channels.values())
            .filter(|channel| channel.enabled)
            .find_map(|channel| channel.optin_number.clone());
        Self {
            ussd_code: settings.campaign.ussd_code.clone(),
            sms_number: settings.cards.sms_number.clone(),
            missed_call_number,
            code_in_dial: settings.cards.code_in_dial,
            qr: settings.cards.qr,
        }
    }
}

/// Whose code a card carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A recruiter's own, permanent code.
    Recruiter,
    /// An event code: the event's name and its last day (`last_day`), if it expires.
    Event { name: String, until: Option<String> },
}

/// The code on a card and whose it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub code: OptInCode,
    pub holder: Holder,
}

/// Why a code gets no cards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unprintable {
    #[error("the stored code is not a well-formed code")]
    BadCode,
    #[error("this event code has expired: it credits no one any more")]
    Expired,
    #[error("this event code is used up: it credits no one any more")]
    UsedUp,
}

impl Card {
    /// The cards of a recruiter's own code.
    pub fn recruiter(code: &str) -> Result<Self, Unprintable> {
        Ok(Self {
            code: OptInCode::parse(code).map_err(|_| Unprintable::BadCode)?,
            holder: Holder::Recruiter,
        })
    }

    /// The cards of an event code, while it still credits joins at `now`: named by its label,
    /// with its last day in `tz`.
    pub fn event(
        code: &str,
        label: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        (max_uses, uses): (Option<i64>, i64),
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
    ) -> Result<Self, Unprintable> {
        match EventCodeStatus::at(expires_at, max_uses, uses, now) {
            EventCodeStatus::Active => {}
            EventCodeStatus::Expired => return Err(Unprintable::Expired),
            EventCodeStatus::UsedUp => return Err(Unprintable::UsedUp),
        }
        Ok(Self {
            code: OptInCode::parse(code).map_err(|_| Unprintable::BadCode)?,
            holder: Holder::Event {
                name: label.unwrap_or_default().to_string(),
                until: expires_at.map(|at| last_day(at, tz)),
            },
        })
    }
}

/// What a line of a card is (tests find lines by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Title,
    Event,
    CodeLabel,
    Code,
    DialWithCode,
    Dial,
    Sms,
    MissedCall,
    Promise,
    Tips,
    /// The promise again, in Chhattisgarhi.
    PromiseChhattisgarhi,
    Helpline,
}

/// A piece of text of a card, before it is placed.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub role: Role,
    pub text: String,
    /// Points, before the card is fitted.
    pub size: f32,
    pub weight: Weight,
}

/// A piece placed on the card: `x` and `baseline` from the card's top-left corner, in points.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub role: Role,
    pub text: String,
    pub size: f32,
    pub weight: Weight,
    pub x: f32,
    pub baseline: f32,
    pub width: f32,
    pub shaped: Shaped,
}

impl Placed {
    /// Where its ink is, from the glyphs' outlines: left, top, right, bottom from the card's
    /// top-left corner, in points (`None` for a piece with no ink).
    pub fn ink(&self) -> Option<(f32, f32, f32, f32)> {
        let mut ink: Option<(f32, f32, f32, f32)> = None;
        let mut pen = self.x;
        for run in &self.shaped.runs {
            let scale = self.size / run.font.units_per_em();
            let face = run.font.face();
            for glyph in &run.glyphs {
                let outline = face.glyph_bounding_box(rustybuzz::ttf_parser::GlyphId(glyph.id));
                if let Some(b) = outline {
                    let dx = pen + glyph.x_offset as f32 * scale;
                    let dy = glyph.y_offset as f32 * scale;
                    let (left, right) = (
                        dx + f32::from(b.x_min) * scale,
                        dx + f32::from(b.x_max) * scale,
                    );
                    let top = self.baseline - dy - f32::from(b.y_max) * scale;
                    let bottom = self.baseline - dy - f32::from(b.y_min) * scale;
                    ink = Some(match ink {
                        None => (left, top, right, bottom),
                        Some((l, t, r, b)) => {
                            (l.min(left), t.min(top), r.max(right), b.max(bottom))
                        }
                    });
                }
                pen += glyph.x_advance as f32 * scale;
            }
        }
        ink
    }
}

/// The QR code's side on a card, and the empty space kept beside it.
const QR_SIDE: f32 = 19.0 * MM;
const QR_GAP: f32 = 2.0 * MM;

/// A card's QR code: where it sits (from the card's top-left corner, in points) and its dark
/// modules (column, row) of `width` × `width`.
#[derive(Debug, Clone, PartialEq)]
pub struct Qr {
    pub payload: String,
    pub x: f32,
    pub y: f32,
    pub side: f32,
    pub width: usize,
    pub dark: Vec<(usize, usize)>,
}

/// What the QR code opens: the SMS app with `JOIN <code>` to the campaign's number, when
/// `cards.qr` is on and `cards.sms_number` set (digits and a leading `+` only).
pub fn qr_payload(campaign: &Campaign, code: &str) -> Option<String> {
    let number = campaign.sms_number.as_deref().filter(|_| campaign.qr)?;
    let number: String = number
        .chars()
        .enumerate()
        .filter(|(at, c)| c.is_ascii_digit() || (*at == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    (!number.is_empty()).then(|| format!("sms:{number}?body=JOIN%20{code}"))
}

/// The card's QR code, if it has one: in the top-right corner.
pub fn qr(campaign: &Campaign, card: &Card) -> Option<Qr> {
    let payload = qr_payload(campaign, card.code.as_str())?;
    let code = qrcode::QrCode::with_error_correction_level(&payload, qrcode::EcLevel::M).ok()?;
    let width = code.width();
    let dark = code
        .to_colors()
        .iter()
        .enumerate()
        .filter(|(_, color)| **color == qrcode::Color::Dark)
        .map(|(at, _)| (at % width, at / width))
        .collect();
    Some(Qr {
        payload,
        x: CARD_WIDTH - PADDING - QR_SIDE,
        y: PADDING,
        side: QR_SIDE,
        width,
        dark,
    })
}

/// A code as it is read aloud and typed: groups of three (`482 918`), two groups of two at the
/// end rather than a lone digit (`482 91 81`); four digits or fewer stay whole.
pub fn grouped(code: &str) -> String {
    let digits: Vec<char> = code.chars().collect();
    if digits.len() <= 4 {
        return code.to_string();
    }
    let mut sizes = vec![3; digits.len() / 3];
    match digits.len() % 3 {
        0 => {}
        1 => {
            sizes.pop();
            sizes.extend([2, 2]);
        }
        _ => sizes.push(2),
    }
    let mut groups = Vec::new();
    let mut at = 0;
    for size in sizes {
        groups.push(digits[at..at + size].iter().collect::<String>());
        at += size;
    }
    groups.join(" ")
}

/// The dial string with the code inside (`*384*25#` → `*384*25*482918#`), where the service
/// code is of the form `*digits[*digits]#`.
pub fn dial_with_code(ussd_code: &str, code: &str) -> Option<String> {
    let inner = ussd_code.strip_prefix('*')?.strip_suffix('#')?;
    let well_formed = !inner.is_empty()
        && !inner.ends_with('*')
        && !inner.contains("**")
        && inner.chars().all(|c| c.is_ascii_digit() || c == '*');
    well_formed.then(|| format!("*{inner}*{code}#"))
}

/// How a card names the last moment an event code works, in `tz`: the day before an expiry at
/// local midnight (the dashboard's "until the end of that day"), else the day and time.
pub fn last_day(expires_at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    let local = expires_at.with_timezone(&tz);
    if local.num_seconds_from_midnight() == 0 && local.nanosecond() == 0 {
        (local - chrono::Duration::seconds(1))
            .format("%d-%m-%Y")
            .to_string()
    } else {
        local.format("%d-%m-%Y %H:%M").to_string()
    }
}

/// The card's pieces, row by row, at their design sizes: Hindi, with the promise also in
/// Chhattisgarhi.
pub fn rows(catalog: &Catalog, campaign: &Campaign, card: &Card) -> Vec<Vec<Piece>> {
    use Weight::{Bold, Regular};
    let hindi = locale(Language::Hindi, Script::Native);
    let chhattisgarhi = locale(Language::Chhattisgarhi, Script::Native);
    let say = |id: &str, args: &[(&'static str, String)]| catalog.message(id, &hindi, args);
    let piece = |role, text: String, size, weight| Piece {
        role,
        text,
        size,
        weight,
    };
    let code = card.code.as_str();
    let (event, label) = match &card.holder {
        Holder::Recruiter => (None, "card-code-label"),
        Holder::Event { name, until } => {
            let event = match until {
                Some(until) => say(
                    "card-event",
                    &[("event", name.clone()), ("until", until.clone())],
                ),
                None => name.clone(),
            };
            let named = (!event.trim().is_empty()).then_some(event);
            (named, "card-event-code-label")
        }
    };
    let dial = campaign
        .code_in_dial
        .then(|| dial_with_code(&campaign.ussd_code, code))
        .flatten()
        .map(|dial| say("card-dial-with-code", &[("dial", dial)]));
    let join = format!("JOIN {code}");
    let sms = match &campaign.sms_number {
        Some(number) => say("card-sms", &[("text", join), ("number", number.clone())]),
        None => say("card-sms-anywhere", &[("text", join)]),
    };
    let missed_call = campaign
        .missed_call_number
        .as_ref()
        .map(|number| say("card-missed-call", &[("number", number.clone())]));
    // A row of one piece, or none where the campaign has nothing to say there.
    let alone = |role, text: Option<String>, size, weight| {
        text.map(|text| vec![piece(role, text, size, weight)])
    };
    let dial_plainly = say("card-dial", &[("code", code.to_string())]);
    let hne_promise = catalog.message("card-promise", &chhattisgarhi, &[]);
    [
        alone(Role::Title, Some(say("card-title", &[])), 10.0, Bold),
        alone(Role::Event, event, 8.5, Bold),
        // The code and its label on one baseline.
        Some(vec![
            piece(Role::CodeLabel, say(label, &[]), 8.0, Regular),
            piece(Role::Code, grouped(code), 22.0, Bold),
        ]),
        alone(Role::DialWithCode, dial, 9.0, Bold),
        alone(Role::Dial, Some(dial_plainly), 7.5, Regular),
        alone(Role::Sms, Some(sms), 7.5, Regular),
        alone(Role::MissedCall, missed_call, 7.5, Regular),
        alone(Role::Promise, Some(say("card-promise", &[])), 7.0, Regular),
        alone(Role::Tips, Some(say("card-tips", &[])), 7.0, Regular),
        alone(Role::PromiseChhattisgarhi, Some(hne_promise), 7.0, Regular),
        alone(Role::Helpline, Some(say("card-helpline", &[])), 9.0, Bold),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The card's pieces shaped and placed: rows top to bottom, pieces of a row side by side on one
/// baseline. Everything shrinks alike when the rows are taller than the card, and a row alone
/// when it is wider (a long event name), so nothing leaves the card.
pub fn layout(catalog: &Catalog, campaign: &Campaign, card: &Card) -> Vec<Placed> {
    let rows = rows(catalog, campaign, card);
    // Rows beside the QR code, if any, leave it room.
    let qr_bottom = qr(campaign, card).map(|q| q.y + q.side + QR_GAP);
    let row_size = |row: &[Piece]| row.iter().map(|p| p.size).fold(0.0, f32::max);
    let tall: f32 = rows.iter().map(|row| row_size(row) * LEADING).sum();
    let fit = ((CARD_HEIGHT - 2.0 * PADDING) / tall).min(1.0);
    let full = CARD_WIDTH - 2.0 * PADDING;
    let mut placed = Vec::new();
    let mut top = PADDING;
    for row in rows {
        let beside_qr = qr_bottom.is_some_and(|bottom| top < bottom);
        let room = if beside_qr {
            full - QR_SIDE - QR_GAP
        } else {
            full
        };
        let shaped: Vec<Shaped> = row.iter().map(|p| text::shape(&p.text, p.weight)).collect();
        // A space of the first piece's size between pieces.
        let gap = row[0].size * 0.4;
        let natural: f32 = row
            .iter()
            .zip(&shaped)
            .map(|(p, s)| s.width(p.size))
            .sum::<f32>()
            + gap * (row.len() - 1) as f32;
        let scale = fit * (room / (natural * fit)).min(1.0);
        let size = row_size(&row) * scale;
        let baseline = top + size * ASCENT;
        let mut x = PADDING;
        for (piece, shaped) in row.into_iter().zip(shaped) {
            let size = piece.size * scale;
            let width = shaped.width(size);
            placed.push(Placed {
                role: piece.role,
                text: piece.text,
                size,
                weight: piece.weight,
                x,
                baseline,
                width,
                shaped,
            });
            x += width + gap * scale;
        }
        top += size * LEADING;
    }
    placed
}

/// The top-left corner of the `index`th card of a page (left to right, then down), in points.
pub fn card_origin(index: usize) -> (f32, f32) {
    let (row, column) = (index / COLUMNS, index % COLUMNS);
    (
        GRID_LEFT + column as f32 * CARD_WIDTH,
        GRID_TOP + row as f32 * CARD_HEIGHT,
    )
}

/// What drawing one run takes: its font, its glyphs for krilla, its text, size and origin.
struct DrawnRun {
    font: FontId,
    glyphs: Vec<KrillaGlyph>,
    text: String,
    size: f32,
    at: (f32, f32),
}

fn drawn_runs(placed: &[Placed]) -> Vec<DrawnRun> {
    let mut drawn = Vec::new();
    for piece in placed {
        let mut x = piece.x;
        for run in &piece.shaped.runs {
            let upem = run.font.units_per_em();
            let glyphs = run
                .glyphs
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    // A cluster's text is shared by its glyphs (left to right: clusters grow).
                    let end = run.glyphs[i..]
                        .iter()
                        .map(|next| next.cluster)
                        .find(|c| *c != g.cluster)
                        .unwrap_or(run.text.len());
                    KrillaGlyph::new(
                        GlyphId::new(u32::from(g.id)),
                        g.x_advance as f32 / upem,
                        g.x_offset as f32 / upem,
                        g.y_offset as f32 / upem,
                        0.0,
                        g.cluster..end,
                        None,
                    )
                })
                .collect();
            drawn.push(DrawnRun {
                font: run.font,
                glyphs,
                text: run.text.clone(),
                size: piece.size,
                at: (x, piece.baseline),
            });
            x += run.advance() * piece.size;
        }
    }
    drawn
}

/// The PDF of `count` copies of `card` (at least one, at most `MAX_CARDS`), ten to an A4 page.
pub fn pdf(
    catalog: &Catalog,
    campaign: &Campaign,
    card: &Card,
    count: usize,
) -> anyhow::Result<Vec<u8>> {
    let count = count.clamp(1, MAX_CARDS);
    // Every card is the same: shaped and placed once, drawn `count` times.
    let runs = drawn_runs(&layout(catalog, campaign, card));
    let qr = qr(campaign, card);
    let fonts: Vec<(FontId, Font)> = FontId::ALL
        .iter()
        .map(|id| {
            let font = Font::new(id.data().into(), 0).expect("the built-in fonts parse");
            (*id, font)
        })
        .collect();
    let font_of = |id: FontId| {
        fonts
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, font)| font.clone())
            .expect("every font is loaded")
    };
    let mut document = Document::new();
    document.set_metadata(
        krilla::metadata::Metadata::new()
            .title("Cyber Mitan: code cards".to_string())
            .creator("mitan".to_string()),
    );
    let pages = count.div_ceil(PER_PAGE);
    // The card is drawn once, as a form the PDF holds once and every card shows.
    let mut card_form = None;
    for page_number in 0..pages {
        let on_page = (count - page_number * PER_PAGE).min(PER_PAGE);
        let mut page = document
            .start_page_with(PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).expect("A4 is a size"));
        let mut surface = page.surface();
        let form: &Graphic = card_form.get_or_insert_with(|| {
            let mut builder = surface.stream_builder();
            let mut card = builder.surface();
            card.set_stroke(None);
            card.set_fill(Some(Fill::default()));
            if let Some(path) = qr.as_ref().and_then(qr_path) {
                card.draw_path(&path);
            }
            for run in &runs {
                card.draw_glyphs(
                    Point::from_xy(run.at.0, run.at.1),
                    &run.glyphs,
                    font_of(run.font),
                    &run.text,
                    run.size,
                    false,
                );
            }
            card.finish();
            Graphic::new(builder.finish(), false)
        });
        for index in 0..on_page {
            let (left, top) = card_origin(index);
            surface.push_transform(&Transform::from_translate(left, top));
            surface.draw_graphic(form.clone());
            surface.pop();
        }
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            width: 0.4,
            ..Stroke::default()
        }));
        if let Some(marks) = cut_marks(on_page) {
            surface.draw_path(&marks);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|err| anyhow::anyhow!("writing the cards' PDF: {err:?}"))
}

/// The dark modules of a QR code as one path of squares, a horizontal run of them one
/// rectangle.
fn qr_path(qr: &Qr) -> Option<krilla::geom::Path> {
    let module = qr.side / qr.width as f32;
    // (row, first column, columns) of each run, the modules being row by row.
    let mut runs: Vec<(usize, usize, usize)> = Vec::new();
    for &(column, row) in &qr.dark {
        match runs.last_mut() {
            Some(run) if run.0 == row && run.1 + run.2 == column => run.2 += 1,
            _ => runs.push((row, column, 1)),
        }
    }
    let mut path = PathBuilder::new();
    for (row, column, length) in runs {
        path.push_rect(krilla::geom::Rect::from_xywh(
            qr.x + column as f32 * module,
            qr.y + row as f32 * module,
            length as f32 * module,
            module,
        )?);
    }
    path.finish()
}

/// Short lines in the margins where the page is cut: at every column and row edge of the
/// cards printed, outside the grid so none crosses a card.
fn cut_marks(cards: usize) -> Option<krilla::geom::Path> {
    let rows = cards.div_ceil(COLUMNS);
    let columns = cards.min(COLUMNS);
    let right = GRID_LEFT + columns as f32 * CARD_WIDTH;
    let bottom = GRID_TOP + rows as f32 * CARD_HEIGHT;
    let mut path = PathBuilder::new();
    for column in 0..=columns {
        let x = GRID_LEFT + column as f32 * CARD_WIDTH;
        path.move_to(x, GRID_TOP - MARK_GAP);
        path.line_to(x, GRID_TOP - MARK_GAP - MARK_LENGTH);
        path.move_to(x, bottom + MARK_GAP);
        path.line_to(x, bottom + MARK_GAP + MARK_LENGTH);
    }
    for row in 0..=rows {
        let y = GRID_TOP + row as f32 * CARD_HEIGHT;
        path.move_to(GRID_LEFT - MARK_GAP, y);
        path.line_to(GRID_LEFT - MARK_GAP - MARK_LENGTH, y);
        path.move_to(right + MARK_GAP, y);
        path.line_to(right + MARK_GAP + MARK_LENGTH, y);
    }
    path.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign() -> Campaign {
        Campaign {
            ussd_code: "*384*25#".into(),
            sms_number: Some("92666 00000".into()),
            missed_call_number: Some("080 4719 2000".into()),
            code_in_dial: true,
            qr: false,
        }
    }

    fn card(holder: Holder) -> Card {
        Card {
            code: OptInCode::parse("482918").unwrap(),
            holder,
        }
    }

    #[test]
    fn codes_are_grouped_for_reading() {
        for (code, shown) in [
            ("5724", "5724"),
            ("57240", "572 40"),
            ("482918", "482 918"),
            ("4829181", "482 91 81"),
            ("48291812", "482 918 12"),
            ("482918123", "482 918 123"),
            ("4829181234", "482 918 12 34"),
        ] {
            assert_eq!(grouped(code), shown, "{code}");
        }
    }

    #[test]
    fn the_code_goes_inside_a_dial_string_of_the_usual_form_only() {
        assert_eq!(
            dial_with_code("*384*25#", "482918").as_deref(),
            Some("*384*25*482918#")
        );
        assert_eq!(dial_with_code("*99#", "5724").as_deref(), Some("*99*5724#"));
        for odd in [
            "384*25#",
            "*384*25",
            "*#",
            "*384*#",
            "*384**25#",
            "*38a#",
            "#384#",
        ] {
            assert_eq!(dial_with_code(odd, "5724"), None, "{odd}");
        }
    }

    #[test]
    fn an_event_code_works_until_the_day_before_a_midnight_expiry() {
        let tz = chrono_tz::Asia::Kolkata;
        // 2027-01-13 00:00 in Kolkata is 2027-01-12 18:30 UTC.
        let midnight = DateTime::parse_from_rfc3339("2027-01-12T18:30:00Z").unwrap();
        assert_eq!(last_day(midnight.to_utc(), tz), "12-01-2027");
        let afternoon = DateTime::parse_from_rfc3339("2027-01-12T09:30:00Z").unwrap();
        assert_eq!(last_day(afternoon.to_utc(), tz), "12-01-2027 15:00");
    }

    #[test]
    fn only_an_event_code_that_still_credits_joins_gets_cards() {
        let tz = chrono_tz::Asia::Kolkata;
        let now = DateTime::parse_from_rfc3339("2027-01-10T06:00:00Z")
            .unwrap()
            .to_utc();
        let later = Some(now + chrono::Duration::days(2));
        let card = Card::event("482918", Some("Mela"), later, (Some(5), 4), now, tz).unwrap();
        assert_eq!(
            card.holder,
            Holder::Event {
                name: "Mela".into(),
                until: Some("12-01-2027 11:30".into())
            }
        );
        let earlier = Some(now - chrono::Duration::minutes(1));
        assert_eq!(
            Card::event("482918", None, earlier, (None, 0), now, tz),
            Err(Unprintable::Expired)
        );
        assert_eq!(
            Card::event("482918", None, later, (Some(5), 5), now, tz),
            Err(Unprintable::UsedUp)
        );
        assert_eq!(Card::recruiter("482917"), Err(Unprintable::BadCode));
        assert_eq!(Card::recruiter("482918").unwrap().holder, Holder::Recruiter);
    }

    #[test]
    fn a_card_says_every_way_to_join_and_the_helpline() {
        let catalog = Catalog::new("*384*25#");
        let code = card(Holder::Recruiter).code;
        let rows = rows(&catalog, &campaign(), &card(Holder::Recruiter));
        let all: Vec<&Piece> = rows.iter().flatten().collect();
        let text = |role| {
            all.iter()
                .find(|p| p.role == role)
                .map(|p| p.text.clone())
                .unwrap_or_else(|| panic!("no {role:?} in {all:?}"))
        };
        assert_eq!(text(Role::Code), grouped(code.as_str()));
        assert!(text(Role::DialWithCode).contains(&format!("*384*25*{code}#")));
        assert!(text(Role::Dial).contains("*384*25#"));
        assert!(text(Role::Dial).contains(code.as_str()));
        let sms = text(Role::Sms);
        assert!(sms.contains(&format!("JOIN {code}")) && sms.contains("92666 00000"));
        assert!(text(Role::MissedCall).contains("080 4719 2000"));
        assert!(text(Role::Helpline).contains("1930"));
        assert!(text(Role::Promise).contains("पुलिस आपका नंबर नहीं देखेगी"));
        assert!(text(Role::Tips).contains("STOP"));
        assert!(text(Role::PromiseChhattisgarhi).contains("पुलिस तुंहर नंबर नइ देखय"));
        assert!(all.iter().all(|p| !p.text.starts_with("card-")), "{all:?}");
        assert!(!all.iter().any(|p| p.role == Role::Event));

        // Without the optional numbers and the code in the dial string, those lines go.
        let bare = Campaign {
            sms_number: None,
            missed_call_number: None,
            code_in_dial: false,
            ..campaign()
        };
        let rows = super::rows(&catalog, &bare, &card(Holder::Recruiter));
        let roles: Vec<Role> = rows.iter().flatten().map(|p| p.role).collect();
        assert!(!roles.contains(&Role::DialWithCode) && !roles.contains(&Role::MissedCall));
        let sms = rows.iter().flatten().find(|p| p.role == Role::Sms).unwrap();
        assert!(sms.text.contains(&format!("JOIN {code}")), "{sms:?}");
    }

    #[test]
    fn an_event_card_names_the_event_and_its_last_day() {
        let catalog = Catalog::new("*384*25#");
        let event = Holder::Event {
            name: "Mela Ratanpur".into(),
            until: Some("12-01-2027".into()),
        };
        let rows = rows(&catalog, &campaign(), &card(event));
        let line = rows
            .iter()
            .flatten()
            .find(|p| p.role == Role::Event)
            .unwrap();
        assert!(
            line.text.contains("Mela Ratanpur") && line.text.contains("12-01-2027"),
            "{line:?}"
        );
        let label = rows
            .iter()
            .flatten()
            .find(|p| p.role == Role::CodeLabel)
            .unwrap();
        assert_eq!(label.text, "कार्यक्रम कोड");
    }

    #[test]
    fn everything_stays_inside_the_card_even_with_a_long_event_name() {
        let catalog = Catalog::new("*384*25#");
        let long = Holder::Event {
            name: "जिला स्तरीय साइबर जागरूकता शिविर, पुलिस लाइन मैदान बिलासपुर".repeat(2),
            until: Some("12-01-2027".into()),
        };
        for holder in [Holder::Recruiter, long] {
            let placed = layout(&catalog, &campaign(), &card(holder));
            for piece in &placed {
                assert!(piece.x >= PADDING - 0.01, "{piece:?}");
                assert!(
                    piece.x + piece.width <= CARD_WIDTH - PADDING + 0.01,
                    "{piece:?}"
                );
                assert!(piece.baseline - piece.size * ASCENT >= PADDING - 0.01);
                let bottom = piece.baseline + piece.size * (LEADING - ASCENT);
                assert!(bottom <= CARD_HEIGHT - PADDING + 0.01, "{piece:?}");
            }
            // Rows go down the card in order, and no row's ink touches the next row's (matras
            // above and below included), nor leaves the card.
            let baselines: Vec<f32> = placed.iter().map(|p| p.baseline).collect();
            assert!(baselines.windows(2).all(|w| w[0] <= w[1]), "{baselines:?}");
            let mut rows: Vec<(f32, f32, f32)> = Vec::new();
            for piece in &placed {
                let (left, top, right, bottom) = piece.ink().expect("ink");
                assert!(left >= 0.0 && right <= CARD_WIDTH, "{piece:?}");
                assert!(top >= 0.0 && bottom <= CARD_HEIGHT, "{piece:?}");
                match rows.last_mut() {
                    Some(row) if row.0 == piece.baseline => {
                        row.1 = row.1.min(top);
                        row.2 = row.2.max(bottom);
                    }
                    _ => rows.push((piece.baseline, top, bottom)),
                }
            }
            for pair in rows.windows(2) {
                assert!(pair[0].2 < pair[1].1, "rows overlap: {pair:?}");
            }
        }
    }

    #[test]
    fn a_qr_code_is_drawn_only_when_asked_and_nothing_overlaps_it() {
        let catalog = Catalog::new("*384*25#");
        let card = card(Holder::Recruiter);
        assert_eq!(qr(&campaign(), &card), None, "off by default");
        let on = Campaign {
            qr: true,
            sms_number: Some("+91 92666-00000".into()),
            ..campaign()
        };
        let square = qr(&on, &card).expect("a QR code");
        assert_eq!(square.payload, "sms:+919266600000?body=JOIN%20482918");
        assert!(square.width >= 21 && !square.dark.is_empty());
        assert!(square.x + square.side <= CARD_WIDTH - PADDING + 0.01);
        for piece in layout(&catalog, &on, &card) {
            let (left, top, right, bottom) = piece.ink().unwrap();
            let apart = right < square.x
                || left > square.x + square.side
                || bottom < square.y
                || top > square.y + square.side;
            assert!(apart, "{piece:?} overlaps the QR code");
        }
        // No number to text, no QR code.
        let nowhere = Campaign {
            sms_number: None,
            ..on
        };
        assert_eq!(qr(&nowhere, &card), None);
    }

    #[test]
    fn ten_cards_fill_the_page_inside_its_margins_with_room_for_the_marks() {
        let (left, top) = card_origin(0);
        let (right, bottom) = card_origin(PER_PAGE - 1);
        assert!(left > MARK_GAP + MARK_LENGTH && top > MARK_GAP + MARK_LENGTH);
        assert!((right + CARD_WIDTH + left - PAGE_WIDTH).abs() < 0.01);
        assert!((bottom + CARD_HEIGHT + top - PAGE_HEIGHT).abs() < 0.01);
        assert_eq!(card_origin(1).1, top);
        assert_eq!(card_origin(2).0, left);
    }
}
