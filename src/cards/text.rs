//! Text on a card, shaped: the fonts built into the binary (Noto Sans Devanagari and Noto Sans,
//! OFL, `assets/fonts/`), a line cut into runs by script (the Devanagari font has no Latin
//! letters, and one run is shaped with one font), and each run shaped by rustybuzz, HarfBuzz's
//! Rust port. The glyphs drawn in the PDF are exactly the ones `shape` returns, so the tests that
//! check its conjuncts and matra order check what is printed.

use std::sync::LazyLock;

use rustybuzz::{Face, UnicodeBuffer};

/// The fonts' files, embedded (and subset by krilla in every PDF).
pub(super) const DEVANAGARI_REGULAR: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansDevanagari-Regular.ttf");
pub(super) const DEVANAGARI_BOLD: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansDevanagari-Bold.ttf");
pub(super) const LATIN_REGULAR: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
pub(super) const LATIN_BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Bold.ttf");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// Which family draws a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    Devanagari,
    Latin,
}

/// One of the four faces: a family in a weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FontId {
    pub family: Family,
    pub weight: Weight,
}

impl FontId {
    pub(super) const ALL: [FontId; 4] = [
        FontId::new(Family::Devanagari, Weight::Regular),
        FontId::new(Family::Devanagari, Weight::Bold),
        FontId::new(Family::Latin, Weight::Regular),
        FontId::new(Family::Latin, Weight::Bold),
    ];

    const fn new(family: Family, weight: Weight) -> Self {
        Self { family, weight }
    }

    pub(super) fn data(self) -> &'static [u8] {
        match (self.family, self.weight) {
            (Family::Devanagari, Weight::Regular) => DEVANAGARI_REGULAR,
            (Family::Devanagari, Weight::Bold) => DEVANAGARI_BOLD,
            (Family::Latin, Weight::Regular) => LATIN_REGULAR,
            (Family::Latin, Weight::Bold) => LATIN_BOLD,
        }
    }

    fn index(self) -> usize {
        Self::ALL
            .iter()
            .position(|f| *f == self)
            .expect("one of ALL")
    }

    /// The shaper's face of this font, parsed once.
    pub fn face(self) -> &'static Face<'static> {
        static FACES: LazyLock<[Face<'static>; 4]> = LazyLock::new(|| {
            FontId::ALL
                .map(|font| Face::from_slice(font.data(), 0).expect("the built-in fonts parse"))
        });
        &FACES[self.index()]
    }

    /// Units per em of the font.
    pub fn units_per_em(self) -> f32 {
        self.face().units_per_em() as f32
    }
}

/// A glyph as the shaper placed it, in font units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Glyph {
    pub id: u16,
    /// Where its cluster starts in the run's text (bytes).
    pub cluster: usize,
    pub x_advance: i32,
    pub x_offset: i32,
    pub y_offset: i32,
}

/// A stretch of a line in one font, shaped.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub font: FontId,
    pub text: String,
    pub glyphs: Vec<Glyph>,
}

impl Run {
    /// The run's advance at one point of size, in points.
    pub fn advance(&self) -> f32 {
        let units: i64 = self.glyphs.iter().map(|g| i64::from(g.x_advance)).sum();
        units as f32 / self.font.units_per_em()
    }
}

/// A line of text, shaped run by run.
#[derive(Debug, Clone, PartialEq)]
pub struct Shaped {
    pub runs: Vec<Run>,
}

impl Shaped {
    /// Its width at `size` points.
    pub fn width(&self, size: f32) -> f32 {
        self.runs.iter().map(Run::advance).sum::<f32>() * size
    }
}

/// The family a character needs, if it needs one: Devanagari letters and marks (and the joiners
/// that steer conjuncts) the Devanagari font, any other letter the Latin one. Digits, spaces and
/// punctuation (both fonts have them) stay with the run they are in.
fn family_of(c: char) -> Option<Family> {
    match c {
        '\u{0900}'..='\u{097F}'
        | '\u{A8E0}'..='\u{A8FF}'
        | '\u{1CD0}'..='\u{1CFF}'
        | '\u{200C}'
        | '\u{200D}' => Some(Family::Devanagari),
        c if c.is_alphabetic() => Some(Family::Latin),
        _ => None,
    }
}

/// `text` cut where the family changes; a line of digits and signs alone is Latin.
pub fn runs(text: &str) -> Vec<(Family, &str)> {
    let first = text.chars().find_map(family_of).unwrap_or(Family::Latin);
    let mut cuts: Vec<(Family, usize)> = vec![(first, 0)];
    for (at, c) in text.char_indices() {
        if let Some(family) = family_of(c) {
            if family != cuts.last().expect("one cut").0 {
                cuts.push((family, at));
            }
        }
    }
    cuts.iter()
        .enumerate()
        .map(|(i, (family, start))| {
            let end = cuts.get(i + 1).map_or(text.len(), |next| next.1);
            (*family, &text[*start..end])
        })
        .filter(|(_, part)| !part.is_empty())
        .collect()
}

/// `text` shaped in `weight`: each run by rustybuzz with its font, left to right.
pub fn shape(text: &str, weight: Weight) -> Shaped {
    let runs = runs(text)
        .into_iter()
        .map(|(family, part)| {
            let font = FontId { family, weight };
            let mut buffer = UnicodeBuffer::new();
            buffer.push_str(part);
            buffer.guess_segment_properties();
            buffer.set_direction(rustybuzz::Direction::LeftToRight);
            let shaped = rustybuzz::shape(font.face(), &[], buffer);
            let glyphs = shaped
                .glyph_infos()
                .iter()
                .zip(shaped.glyph_positions())
                .map(|(info, position)| Glyph {
                    id: u16::try_from(info.glyph_id).expect("glyph ids are 16 bits"),
                    cluster: info.cluster as usize,
                    x_advance: position.x_advance,
                    x_offset: position.x_offset,
                    y_offset: position.y_offset,
                })
                .collect();
            Run {
                font,
                text: part.to_string(),
                glyphs,
            }
        })
        .collect();
    Shaped { runs }
}

/// The names of the glyphs `text` is drawn with (from the fonts' `post` tables), for tests and
/// reviews: `विचार` is `ivowelsign03deva vadeva …`, the i-matra first.
pub fn glyph_names(text: &str, weight: Weight) -> Vec<String> {
    shape(text, weight)
        .runs
        .iter()
        .flat_map(|run| {
            run.glyphs.iter().map(|g| {
                run.font
                    .face()
                    .glyph_name(rustybuzz::ttf_parser::GlyphId(g.id))
                    .map_or_else(|| format!("#{}", g.id), str::to_string)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        glyph_names(text, Weight::Regular)
    }

    #[test]
    fn the_i_matra_is_drawn_before_the_consonant_it_follows_in_the_text() {
        // वि: व then ि in memory, ि first on paper (in a width chosen for व).
        let shaped = names("विचार");
        assert_eq!(shaped.len(), 5, "{shaped:?}");
        assert!(shaped[0].starts_with("ivowelsign"), "{shaped:?}");
        assert_eq!(shaped[1], "vadeva", "{shaped:?}");
        assert_eq!(&shaped[2..], ["cadeva", "aavowelsigndeva", "radeva"]);
    }

    #[test]
    fn conjuncts_are_single_glyphs_or_half_forms() {
        // क्ष is one glyph; त्रि keeps the i-matra before the त्र conjunct.
        let kshatriya = names("क्षत्रिय");
        assert_eq!(kshatriya[0], "kassadeva", "{kshatriya:?}");
        assert!(kshatriya[1].starts_with("ivowelsign"), "{kshatriya:?}");
        assert_eq!(kshatriya.len(), 4, "{kshatriya:?}");
        // ज्य: a half ja before ya; the o-matra and the i-matra of ति in their places.
        let jyoti = names("ज्योति");
        assert_eq!(jyoti[0], "japrehalfdeva", "{jyoti:?}");
        assert_eq!(jyoti[1], "yadeva", "{jyoti:?}");
        assert!(jyoti[3].starts_with("ivowelsign"), "{jyoti:?}");
        assert_eq!(jyoti[4], "tadeva", "{jyoti:?}");
        // त्त is one glyph, and ढ़ (ढ + nukta) is drawn as the one letter it is.
        let chhattisgarh = names("छत्तीसगढ़");
        assert_eq!(
            chhattisgarh,
            [
                "chadeva",
                "tatadeva",
                "iivowelsigndeva",
                "sadeva",
                "gadeva",
                "rhadeva"
            ]
        );
        // Reph: the र of र्म drawn as a mark after the म it sits on.
        assert_eq!(names("धर्म"), ["dhadeva", "madeva", "rephdeva"]);
    }

    #[test]
    fn bold_text_is_shaped_with_the_bold_font() {
        let bold = shape("क्ष", Weight::Bold);
        assert_eq!(bold.runs.len(), 1);
        assert_eq!(
            bold.runs[0].font,
            FontId::new(Family::Devanagari, Weight::Bold)
        );
        assert_eq!(bold.runs[0].glyphs.len(), 1);
    }

    #[test]
    fn a_line_is_cut_where_the_script_changes_and_signs_stay_with_their_run() {
        assert_eq!(
            runs("या JOIN 482918 लिखकर"),
            [
                (Family::Devanagari, "या "),
                (Family::Latin, "JOIN 482918 "),
                (Family::Devanagari, "लिखकर"),
            ]
        );
        assert_eq!(runs("*384*25#"), [(Family::Latin, "*384*25#")]);
        assert_eq!(runs("482 918"), [(Family::Latin, "482 918")]);
        assert_eq!(runs(""), []);
        // Every letter of the card's texts has a glyph (no .notdef box).
        for text in ["कभी भी बंद: STOP भेजें।", "ठगी हुई? तुरंत 1930 — Cyber Mitan"]
        {
            for run in shape(text, Weight::Regular).runs {
                assert!(run.glyphs.iter().all(|g| g.id != 0), "{text}: {run:?}");
            }
        }
    }
}
