//! `mitan voice synth`: machine-spoken placeholder recordings, until real ones are made.
//!
//! Each active tip's text and each of the call's own words (`locales/*/voice.ftl`) is spoken by
//! `espeak-ng` (its Hindi voice for Hindi and Chhattisgarhi, which has none of its own) and
//! turned by `sox` into 8 kHz mono 16-bit PCM. Each file gets a `<language>.placeholder` mark
//! beside it, so the dashboard and `mitan voice check` say it is one. A recording without the
//! mark is a real one and is never replaced; placeholders are replaced only with `--force`.
//! The service itself never runs either program.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::broadcasts::TextKey;
use crate::enrollment::{Language, Script};
use crate::i18n::{locale, Catalog};
use crate::tips::audio::{check_wav, every_recording, Prompt, Recording};
use crate::tips::StoredTip;

/// The two programs, found on `PATH`.
#[derive(Debug, Clone)]
pub struct Tools {
    espeak: PathBuf,
    sox: PathBuf,
}

impl Tools {
    /// Finds `espeak-ng` and `sox`, or says how to install them.
    pub fn find() -> anyhow::Result<Self> {
        let missing: Vec<&str> = ["espeak-ng", "sox"]
            .into_iter()
            .filter(|program| on_path(program).is_none())
            .collect();
        if !missing.is_empty() {
            anyhow::bail!(
                "mitan voice synth needs {} on PATH to speak placeholders (Debian: apt install \
                 espeak-ng sox); the service itself does not need them",
                missing.join(" and ")
            );
        }
        Ok(Self {
            espeak: on_path("espeak-ng").unwrap_or_default(),
            sox: on_path("sox").unwrap_or_default(),
        })
    }

    /// Speaks `text` in `language` into `out` (8 kHz mono 16-bit PCM), checked as the service
    /// checks recordings.
    pub fn speak(&self, text: &str, language: Language, out: &Path) -> anyhow::Result<()> {
        let voice = match language {
            Language::English => "en-gb",
            Language::Hindi | Language::Chhattisgarhi => "hi",
        };
        let spoken = out.with_extension("espeak.wav");
        let status = Command::new(&self.espeak)
            .args(["-v", voice, "-s", "140", "-w"])
            .arg(&spoken)
            .arg("--")
            .arg(text)
            .status()
            .context("running espeak-ng")?;
        anyhow::ensure!(status.success(), "espeak-ng failed: {status}");
        let status = Command::new(&self.sox)
            .arg("-V1")
            .arg(&spoken)
            .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
            .arg(out)
            .status()
            .context("running sox")?;
        let _ = std::fs::remove_file(&spoken);
        anyhow::ensure!(status.success(), "sox failed: {status}");
        let bytes = std::fs::read(out).with_context(|| format!("reading {}", out.display()))?;
        check_wav(&bytes).map_err(|problem| anyhow::anyhow!("{}: {problem}", out.display()))?;
        Ok(())
    }
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Synthesised {
    pub written: usize,
    /// Real recordings left alone.
    pub recorded: usize,
    /// Placeholders already there (kept without `--force`).
    pub kept: usize,
    /// Tips with no text in a language (nor one to fall back on).
    pub without_text: usize,
}

/// The words of a prompt in a language.
pub fn prompt_text(catalog: &Catalog, prompt: Prompt, language: Language) -> String {
    let id = format!("voice-{}", prompt.name());
    catalog.message(&id, &locale(language, Script::Native), &[])
}

/// A tip's text to speak in `language`: its own, else the nearest it has.
fn tip_text(tip: &StoredTip, language: Language) -> Option<&str> {
    TextKey::new(language, Script::Native)
        .fallbacks()
        .iter()
        .find_map(|key| tip.texts.iter().find(|text| text.key == *key))
        .map(|text| text.body.as_str())
}

/// Writes the placeholders of every active tip and every prompt in every language into `dir`.
pub fn synthesise(
    tools: &Tools,
    dir: &Path,
    tips: &[StoredTip],
    catalog: &Catalog,
    force: bool,
) -> anyhow::Result<Synthesised> {
    let mut done = Synthesised::default();
    for (recording, language) in every_recording(tips) {
        let text = match &recording {
            Recording::Prompt(prompt) => prompt_text(catalog, *prompt, language),
            Recording::Tip(name) => {
                let tip = tips.iter().find(|tip| tip.name() == *name);
                match tip.and_then(|tip| tip_text(tip, language)) {
                    Some(text) => text.to_string(),
                    None => {
                        done.without_text += 1;
                        continue;
                    }
                }
            }
        };
        let out = dir.join(recording.path(language));
        let mark = out.with_extension("placeholder");
        if out.exists() && !mark.exists() {
            done.recorded += 1;
            continue;
        }
        if out.exists() && !force {
            done.kept += 1;
            continue;
        }
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        tools.speak(&text, language, &out)?;
        std::fs::write(
            &mark,
            b"spoken by espeak-ng: replace with a real recording\n",
        )
        .with_context(|| format!("writing {}", mark.display()))?;
        done.written += 1;
    }
    Ok(done)
}
