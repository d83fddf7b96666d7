//! The tip library's recordings, for members who get tips by phone call.
//!
//! A folder (`voice.audio_dir`) holds `<tip>/<language>.wav` for each tip (the tip's library
//! name: its slug, `tip-01`, else its store id) and `prompts/<prompt>/<language>.wav` for the
//! call's own words. Every file must be 8 kHz mono 16-bit PCM WAV (what Exotel plays); a file
//! that is not is left out and said why. A `<language>.placeholder` file beside a recording
//! marks it as a machine-spoken placeholder (`mitan voice synth`), shown as such until a real
//! recording replaces it.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};

use crate::enrollment::Language;

/// The sample rate, channels and sample size every recording must have.
pub const SAMPLE_RATE: u32 = 8000;
pub const CHANNELS: u16 = 1;
pub const BITS: u16 = 16;
/// Longest recording accepted (a tip is read in well under a minute).
pub const MAX_SECONDS: u32 = 180;

/// The call's own words, each a recording per language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prompt {
    /// "Press 1 to hear it again, 2 for the next tip, 9 to stop these calls."
    Menu,
    /// The consent notice, ending "press 1 to agree".
    Consent,
    /// "You have joined Cyber Mitan."
    Joined,
    /// "You will get no more calls."
    Stopped,
    /// "Thank you. Fraud? Call 1930."
    Goodbye,
}

impl Prompt {
    pub const ALL: [Prompt; 5] = [
        Prompt::Menu,
        Prompt::Consent,
        Prompt::Joined,
        Prompt::Stopped,
        Prompt::Goodbye,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Prompt::Menu => "menu",
            Prompt::Consent => "consent",
            Prompt::Joined => "joined",
            Prompt::Stopped => "stopped",
            Prompt::Goodbye => "goodbye",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|prompt| prompt.name() == name)
    }
}

/// What a recording is of.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recording {
    /// A tip, by its library name.
    Tip(String),
    Prompt(Prompt),
}

impl Recording {
    /// The file's path inside the folder, and in the URL it is served at.
    pub fn path(&self, language: Language) -> String {
        match self {
            Recording::Tip(name) => format!("{name}/{}.wav", language.tag()),
            Recording::Prompt(prompt) => {
                format!("prompts/{}/{}.wav", prompt.name(), language.tag())
            }
        }
    }

    /// The recording and language a path inside the folder names, if it names one.
    pub fn from_path(path: &str) -> Option<(Recording, Language)> {
        let parts: Vec<&str> = path.split('/').collect();
        let (recording, file) = match parts.as_slice() {
            ["prompts", prompt, file] => (Recording::Prompt(Prompt::from_name(prompt)?), *file),
            [tip, file] if is_tip_name(tip) => (Recording::Tip(tip.to_string()), *file),
            _ => return None,
        };
        let language = Language::from_tag(file.strip_suffix(".wav")?)?;
        (file == format!("{}.wav", language.tag())).then_some((recording, language))
    }
}

/// A tip's library name as a folder: letters, digits, `-` and `_`, not `prompts`.
fn is_tip_name(name: &str) -> bool {
    !name.is_empty()
        && name != "prompts"
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// One checked recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFile {
    pub path: PathBuf,
    /// SHA-256 of the file, hex: a consent's notice version names the recording it played.
    pub sha256: String,
    pub placeholder: bool,
    pub millis: u64,
    /// What the file was when read (a file unchanged since is not read again).
    stamp: (u64, Option<SystemTime>),
}

/// Every recording of the folder that passed the check, and why the others did not.
#[derive(Debug, Default)]
pub struct AudioLibrary {
    dir: PathBuf,
    files: HashMap<(Recording, Language), AudioFile>,
    /// Files left out, by path inside the folder, with the reason.
    pub problems: BTreeMap<String, String>,
}

/// Checks a WAV file's header: 8 kHz, mono, 16-bit integer PCM, not longer than
/// [`MAX_SECONDS`]. Its length in milliseconds.
pub fn check_wav(bytes: &[u8]) -> Result<u64, String> {
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes))
        .map_err(|err| format!("not a WAV file hound can read: {err}"))?;
    let spec = reader.spec();
    if spec.sample_format != hound::SampleFormat::Int
        || spec.bits_per_sample != BITS
        || spec.channels != CHANNELS
        || spec.sample_rate != SAMPLE_RATE
    {
        return Err(format!(
            "{} Hz, {} channel(s), {}-bit {:?}: must be {SAMPLE_RATE} Hz mono {BITS}-bit PCM \
             (sox IN.wav -r 8000 -c 1 -b 16 OUT.wav)",
            spec.sample_rate, spec.channels, spec.bits_per_sample, spec.sample_format
        ));
    }
    let millis = u64::from(reader.duration()) * 1000 / u64::from(SAMPLE_RATE);
    if millis == 0 {
        return Err("holds no sound".into());
    }
    if millis > u64::from(MAX_SECONDS) * 1000 {
        return Err(format!("longer than {MAX_SECONDS} seconds"));
    }
    Ok(millis)
}

/// Longest file read (three minutes at 8 kHz 16-bit is under 3 MB).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

impl AudioLibrary {
    /// Reads the folder; a missing folder is an empty library. Files unchanged since
    /// `previous` read them are taken from it without being read again.
    pub fn read(dir: &Path, previous: Option<&AudioLibrary>) -> AudioLibrary {
        let mut library = AudioLibrary {
            dir: dir.to_path_buf(),
            ..AudioLibrary::default()
        };
        for (inside, path) in wav_files(dir) {
            let Some((recording, language)) = Recording::from_path(&inside) else {
                library.problems.insert(
                    inside,
                    "not <tip>/<language>.wav or prompts/<prompt>/<language>.wav".into(),
                );
                continue;
            };
            let stamp = std::fs::metadata(&path)
                .map(|m| (m.len(), m.modified().ok()))
                .unwrap_or_default();
            let placeholder = path.with_extension("placeholder").exists();
            let known = previous
                .and_then(|p| p.files.get(&(recording.clone(), language)))
                .filter(|file| file.stamp == stamp && file.path == path);
            let file = match known {
                Some(file) => Ok(AudioFile {
                    placeholder,
                    ..file.clone()
                }),
                None => read_file(&path, stamp, placeholder),
            };
            match file {
                Ok(file) => {
                    library.files.insert((recording, language), file);
                }
                Err(reason) => {
                    library.problems.insert(inside, reason);
                }
            }
        }
        library
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn get(&self, recording: &Recording, language: Language) -> Option<&AudioFile> {
        self.files.get(&(recording.clone(), language))
    }

    pub fn tip(&self, name: &str, language: Language) -> Option<&AudioFile> {
        self.get(&Recording::Tip(name.to_string()), language)
    }

    pub fn prompt(&self, prompt: Prompt, language: Language) -> Option<&AudioFile> {
        self.get(&Recording::Prompt(prompt), language)
    }

    /// Every recording, in order.
    pub fn files(&self) -> Vec<(&Recording, Language, &AudioFile)> {
        let mut files: Vec<_> = self
            .files
            .iter()
            .map(|((recording, language), file)| (recording, *language, file))
            .collect();
        files.sort_by(|a, b| (a.0, a.1.tag()).cmp(&(b.0, b.1.tag())));
        files
    }
}

fn read_file(
    path: &Path,
    stamp: (u64, Option<SystemTime>),
    placeholder: bool,
) -> Result<AudioFile, String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|err| format!("cannot be read: {err}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!("larger than {} MB", MAX_FILE_BYTES / 1024 / 1024));
    }
    let millis = check_wav(&bytes)?;
    Ok(AudioFile {
        path: path.to_path_buf(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        placeholder,
        millis,
        stamp,
    })
}

/// The `.wav` files two levels down (`tip/x.wav`) and three under `prompts/`, by their path
/// inside `dir` (with `/`); anything else is not looked at.
fn wav_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let entries = |dir: &Path| -> Vec<(String, PathBuf, bool)> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| {
                        let name = entry.file_name().into_string().ok()?;
                        let is_dir = entry.file_type().ok()?.is_dir();
                        Some((name, entry.path(), is_dir))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    for (name, path, is_dir) in entries(dir) {
        if !is_dir {
            continue;
        }
        let nested = if name == "prompts" {
            entries(&path)
                .into_iter()
                .filter(|(_, _, is_dir)| *is_dir)
                .flat_map(|(prompt, path, _)| {
                    entries(&path)
                        .into_iter()
                        .map(move |(file, path, d)| (format!("prompts/{prompt}/{file}"), path, d))
                })
                .collect()
        } else {
            entries(&path)
                .into_iter()
                .map(|(file, path, d)| (format!("{name}/{file}"), path, d))
                .collect::<Vec<_>>()
        };
        found.extend(
            nested
                .into_iter()
                .filter(|(inside, _, is_dir)| !is_dir && inside.ends_with(".wav"))
                .map(|(inside, path, _)| (inside, path)),
        );
    }
    found.sort();
    found
}

/// Every recording calls may play: each prompt and each active tip, in every language.
pub fn every_recording(tips: &[super::StoredTip]) -> Vec<(Recording, Language)> {
    let mut wanted = Vec::new();
    for language in Language::ALL {
        wanted.extend(Prompt::ALL.map(|prompt| (Recording::Prompt(prompt), language)));
        wanted.extend(
            tips.iter()
                .filter(|tip| tip.active)
                .map(|tip| (Recording::Tip(tip.name()), language)),
        );
    }
    wanted
}

/// The library's tips that have a recording in `language`, as library positions in drip order.
pub fn playable(tips: &super::TipLibrary, audio: &AudioLibrary, language: Language) -> Vec<usize> {
    (0..tips.len())
        .filter(|&i| tips.stored_id(i).is_some() && audio.tip(tips.id(i), language).is_some())
        .collect()
}

/// The store id of the tip a call on `day` plays: the tip of the day if it has a recording in
/// `language`, else the next one in the library that has.
pub fn tip_of_the_day(
    tips: &super::TipLibrary,
    audio: &AudioLibrary,
    day: chrono::NaiveDate,
    language: Language,
) -> Option<i64> {
    tip_of_the_day_among(tips, &playable(tips, audio, language), day)
}

/// As [`tip_of_the_day`], among `playable` (as [`playable`] gives them) already worked out.
pub fn tip_of_the_day_among(
    tips: &super::TipLibrary,
    playable: &[usize],
    day: chrono::NaiveDate,
) -> Option<i64> {
    let today = tips.index_for(day);
    let at = playable
        .iter()
        .position(|&i| i >= today)
        .or((!playable.is_empty()).then_some(0))?;
    tips.stored_id(playable[at])
}

/// The recordings the service plays: read at start, and again by the periodic housekeeping.
#[derive(Debug)]
pub struct LiveAudio(RwLock<Arc<AudioLibrary>>);

impl LiveAudio {
    pub fn read(dir: &Path) -> Self {
        Self(RwLock::new(Arc::new(AudioLibrary::read(dir, None))))
    }

    pub fn current(&self) -> Arc<AudioLibrary> {
        self.0.read().expect("never poisoned").clone()
    }

    /// Reads the folder again; what changed is logged.
    pub fn refresh(&self) {
        let previous = self.current();
        let library = AudioLibrary::read(previous.dir(), Some(&previous));
        for (path, reason) in &library.problems {
            if previous.problems.get(path) != Some(reason) {
                tracing::warn!(file = %path, reason = %reason, "a recording was left out");
            }
        }
        if library.files.len() != previous.files.len() {
            tracing::info!(recordings = library.files.len(), "recordings read");
        }
        *self.0.write().expect("never poisoned") = Arc::new(library);
    }
}

/// A WAV of `millis` of a quiet tone in the required format, for tests and examples.
pub fn tone_wav(millis: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: CHANNELS,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: BITS,
        sample_format: hound::SampleFormat::Int,
    };
    let mut bytes = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut bytes, spec).expect("an in-memory writer");
    let samples = SAMPLE_RATE * millis / 1000;
    for n in 0..samples {
        let phase = f64::from(n) * 440.0 * std::f64::consts::TAU / f64::from(SAMPLE_RATE);
        writer
            .write_sample((phase.sin() * 2000.0) as i16)
            .expect("in memory");
    }
    writer.finalize().expect("in memory");
    bytes.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_a_tip_or_a_prompt_in_a_language_and_nothing_else() {
        let cases = [
            (
                "tip-01/hi.wav",
                Some((Recording::Tip("tip-01".into()), Language::Hindi)),
            ),
            (
                "17/hne.wav",
                Some((Recording::Tip("17".into()), Language::Chhattisgarhi)),
            ),
            (
                "prompts/menu/en.wav",
                Some((Recording::Prompt(Prompt::Menu), Language::English)),
            ),
            ("prompts/hi.wav", None),
            ("prompts/nope/hi.wav", None),
            ("tip-01/fr.wav", None),
            ("tip-01/HI.wav", None),
            ("tip-01/hi.mp3", None),
            ("../x/hi.wav", None),
            ("a/b/hi.wav", None),
            ("tip 1/hi.wav", None),
        ];
        for (path, expected) in cases {
            assert_eq!(Recording::from_path(path), expected, "{path}");
            if let Some((recording, language)) = expected {
                assert_eq!(recording.path(language), path);
            }
        }
    }

    #[test]
    fn a_recording_must_be_8_khz_mono_16_bit_pcm() {
        assert_eq!(check_wav(&tone_wav(1500)), Ok(1500));
        let wrong = |spec: hound::WavSpec| {
            let mut bytes = std::io::Cursor::new(Vec::new());
            let mut writer = hound::WavWriter::new(&mut bytes, spec).unwrap();
            for _ in 0..16000 {
                match spec.sample_format {
                    hound::SampleFormat::Int if spec.bits_per_sample == 8 => {
                        writer.write_sample(0i8).unwrap()
                    }
                    hound::SampleFormat::Int => writer.write_sample(0i16).unwrap(),
                    hound::SampleFormat::Float => writer.write_sample(0f32).unwrap(),
                }
            }
            writer.finalize().unwrap();
            check_wav(&bytes.into_inner())
        };
        let good = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        assert!(wrong(hound::WavSpec {
            sample_rate: 22050,
            ..good
        })
        .unwrap_err()
        .contains("22050 Hz"));
        assert!(wrong(hound::WavSpec {
            channels: 2,
            ..good
        })
        .is_err());
        assert!(wrong(hound::WavSpec {
            bits_per_sample: 8,
            ..good
        })
        .is_err());
        assert!(wrong(hound::WavSpec {
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
            ..good
        })
        .is_err());
        assert!(check_wav(b"RIFF....WAVEnope").is_err());
        assert!(check_wav(&tone_wav(0)).unwrap_err().contains("no sound"));
    }

    #[test]
    fn the_folder_is_read_into_checked_recordings_with_placeholders_marked() {
        let dir = tempfile::tempdir().unwrap();
        let put = |path: &str, bytes: &[u8]| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        };
        put("tip-01/hi.wav", &tone_wav(1000));
        put("tip-01/hi.placeholder", b"");
        put("tip-01/en.wav", &tone_wav(2000));
        put("prompts/menu/hi.wav", &tone_wav(500));
        put("tip-02/hi.wav", b"not a wav");
        put("tip-02/xx.wav", &tone_wav(500));
        put("notes.wav", &tone_wav(500));
        let library = AudioLibrary::read(dir.path(), None);
        let hi = library.tip("tip-01", Language::Hindi).unwrap();
        assert!(hi.placeholder);
        assert_eq!(hi.millis, 1000);
        assert!(
            !library
                .tip("tip-01", Language::English)
                .unwrap()
                .placeholder
        );
        assert!(library.prompt(Prompt::Menu, Language::Hindi).is_some());
        assert!(library.tip("tip-02", Language::Hindi).is_none());
        assert_eq!(
            library.problems.keys().collect::<Vec<_>>(),
            ["tip-02/hi.wav", "tip-02/xx.wav"]
        );
        // Read again: an unchanged file is the same file; a replaced one is read anew, and a
        // removed placeholder mark is seen.
        put("tip-01/en.wav", &tone_wav(3000));
        std::fs::remove_file(dir.path().join("tip-01/hi.placeholder")).unwrap();
        let again = AudioLibrary::read(dir.path(), Some(&library));
        assert_eq!(
            again.tip("tip-01", Language::Hindi).unwrap().sha256,
            hi.sha256
        );
        assert!(!again.tip("tip-01", Language::Hindi).unwrap().placeholder);
        assert_eq!(again.tip("tip-01", Language::English).unwrap().millis, 3000);
        assert!(AudioLibrary::read(&dir.path().join("missing"), None)
            .files()
            .is_empty());
    }
}
