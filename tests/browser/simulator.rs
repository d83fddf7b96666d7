//! The browser phone of training mode (`mitan serve --demo`): a trainer signs in, dials the
//! campaign's code on the drawn keypad and joins with the demo officer's code, in English and in
//! Hindi; every screen is exactly what `mitan screens` prints for that place and language. Then
//! today's tip by SMS into the inbox, and a stop.

use std::sync::Arc;

use mitan::app::{Application, DemoLogin};
use mitan::config::Settings;
use mitan::enrollment::{Language, Script};
use mitan::tips::LiveTips;
use mitan::ussd::texts::{catalogue, Texts};
use tokio_util::sync::CancellationToken;

use crate::chrome::Chrome;
use crate::helpers::{test_figment, TestDatabase};

/// A training, running on its own throwaway database.
async fn training() -> (String, DemoLogin, CancellationToken) {
    let settings = Settings::from_figment(test_figment(&TestDatabase::sqlite())).unwrap();
    let (app, login) = Application::demo(settings).await.expect("a training");
    let origin = format!("http://127.0.0.1:{}", app.port());
    let stop = CancellationToken::new();
    tokio::spawn(app.run_until(stop.clone()));
    (origin, login, stop)
}

/// The screens `mitan screens` prints for `language`, by text.
fn printed(language: Language) -> Vec<String> {
    let texts = Texts::new("*384*25#", Arc::new(LiveTips::seeded()));
    catalogue(&texts, language, Script::Native)
        .into_iter()
        .map(|(_, screen)| screen.trim().to_string())
        .collect()
}

/// The catalogue shows members the code `4829135`; a real member's screen shows their own.
fn as_printed(screen: &str, own_code: Option<&str>) -> String {
    let screen = screen.trim();
    match own_code {
        Some(code) => screen.replace(code, "4829135"),
        None => screen.to_string(),
    }
}

/// Presses the drawn keys for `keys`, then `then` (the green key or Send), and reads the screen
/// once it changed.
async fn press(chrome: &Chrome, keys: &str, then: &str) -> String {
    let before = chrome.text("#screen").await;
    for key in keys.chars() {
        chrome.click(&format!("#keypad [data-key='{key}']")).await;
    }
    chrome.click(then).await;
    for _ in 0..400 {
        let now = chrome.text("#screen").await;
        if now != before {
            return now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the screen never changed after {keys} {then}: {before}");
}

/// The first run of exactly six digits: a member's own code in the screen that gives it.
fn own_code(screen: &str) -> String {
    screen
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap_or_else(|| panic!("no code in {screen:?}"))
        .to_string()
}

/// A whole join on the page in `language` (chosen with `pick` on the first screen): every
/// screen as printed; the member's own code.
async fn join(chrome: &Chrome, language: Language, pick: &str, officer: &str) -> String {
    let printed = printed(language);
    let mut seen = vec![press(chrome, "*384*25#", "#key-green").await];
    for input in [pick, "1", officer, "1", "1"] {
        seen.push(press(chrome, input, "button[name=Send]").await);
    }
    let joined = press(chrome, "1", "button[name=Send]").await;
    let code = own_code(&joined);
    seen.push(joined);
    for screen in &seen {
        assert!(
            printed.contains(&as_printed(screen, Some(&code))),
            "{language:?}: a screen `mitan screens` does not print:\n{screen}"
        );
    }
    assert_eq!(seen.len(), 7);
    code
}

#[tokio::test]
async fn a_trainer_shows_a_whole_join_in_english_and_hindi_then_a_tip_by_sms_and_a_stop() {
    let (origin, login, stop) = training().await;
    let chrome = Chrome::at(&origin, 1366, 900).await;
    chrome.sign_in(login.username, &login.password).await;
    chrome.goto("/simulator").await;
    assert_eq!(chrome.path().await, "/admin/simulator");
    assert_eq!(chrome.text("#officer-code").await, login.officer_code);

    // English, with the officer's code; the trainer's panel follows each screen.
    let english = join(&chrome, Language::English, "3", &login.officer_code).await;
    let size = chrome.text("#screen-size").await;
    assert!(size.ends_with("/ 182 GSM-7"), "{size}");
    chrome.screenshot("simulator-en-joined").await;

    // Today's tip by SMS, into the inbox.
    chrome.fill("#sms-text", "TIP").await;
    chrome.click("#sms-send").await;
    let mut inbox = String::new();
    for _ in 0..400 {
        inbox = chrome.text("#inbox").await;
        if !inbox.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(inbox.starts_with("Cyber Mitan tip"), "{inbox:?}");

    // A member again: the member's menu, then the stop, both as printed.
    let printed_en = printed(Language::English);
    let menu = press(&chrome, "*384*25#", "#key-green").await;
    assert!(
        printed_en.contains(&as_printed(&menu, Some(&english))),
        "{menu}"
    );
    let countdown = chrome.text("#countdown").await;
    assert!(
        countdown.ends_with(" s") && countdown != "0 s",
        "{countdown}"
    );
    let stop_key = menu
        .lines()
        .find(|line| line.contains("Stop"))
        .and_then(|line| line.split_whitespace().next())
        .expect("a stop option")
        .to_string();
    let stopped = press(&chrome, &stop_key, "button[name=Send]").await;
    assert!(
        printed_en.contains(&as_printed(&stopped, None)),
        "{stopped}"
    );

    // A second trainee (a fresh page, a fresh phone) joins in Hindi.
    let first_phone = chrome.text("#phone-number").await;
    chrome.goto("/admin/simulator").await;
    assert_ne!(chrome.text("#phone-number").await, first_phone);
    let language = press(&chrome, "*384*25#", "#key-green").await;
    assert!(language.contains("हिंदी"), "{language}");
    assert_eq!(
        chrome.text("#screen-size").await,
        format!("{} / 80 UCS-2", mitan::encoding::sms_cost(&language).units)
    );
    // An older handset draws boxes for Devanagari, which is why Roman Hindi is offered.
    chrome.click("#no-devanagari").await;
    let boxed = chrome.text("#screen").await;
    assert!(boxed.contains('\u{25A1}'), "{boxed}");
    assert!(
        !boxed
            .chars()
            .any(|c| ('\u{0900}'..='\u{097F}').contains(&c)),
        "{boxed}"
    );
    assert!(boxed.contains("3 English"), "Latin stays: {boxed}");
    chrome.click("#no-devanagari").await;
    assert_eq!(chrome.text("#screen").await, language);
    chrome.click("#key-red").await;
    join(&chrome, Language::Hindi, "1", &login.officer_code).await;
    chrome.screenshot("simulator-hi-joined").await;
    chrome.close().await;
    stop.cancel();
}
