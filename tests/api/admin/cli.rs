//! `mitan token …` and start-up with an areas file, through the real binary.

use std::time::Duration;

use crate::helpers::{run_binary, the_error_line, Binary};

fn last_line(output: &str) -> &str {
    output
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_token_from_the_command_line_opens_the_api_until_it_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let created = run_binary(
        dir.path(),
        &[],
        &[
            "token",
            "create",
            "--role",
            "admin",
            "--name",
            "Cyber cell desk",
        ],
    );
    assert!(created.status.success(), "{}", created.output);
    let token = last_line(&created.output).to_string();
    assert!(token.starts_with("mitan_"), "{}", created.output);

    let listed = run_binary(dir.path(), &[], &["token", "list"]);
    assert!(
        listed.output.contains("admin\tactive\tCyber cell desk"),
        "{}",
        listed.output
    );
    assert!(!listed.output.contains(&token));

    let mitan = Binary::serve(dir, &[]);
    let client = reqwest::Client::new();
    let me = client
        .get(mitan.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["name"], "Cyber cell desk");

    let revoked = run_binary(mitan.workdir.path(), &[], &["token", "revoke", "1"]);
    assert!(revoked.status.success(), "{}", revoked.output);
    let after = client
        .get(mitan.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    assert!(!mitan.output().contains(&token), "the token reached a log");
}

#[test]
fn an_officer_token_must_name_a_recruiter_that_exists() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            vec!["--role", "officer", "--name", "SI Verma"],
            "--recruiter ID",
        ),
        (
            vec![
                "--role",
                "officer",
                "--recruiter",
                "42",
                "--name",
                "SI Verma",
            ],
            "--recruiter 42: no such recruiter",
        ),
        (
            vec!["--role", "admin", "--recruiter", "1", "--name", "Desk"],
            "drop --recruiter",
        ),
    ] {
        let mut all = vec!["token", "create"];
        all.extend(args);
        let run = run_binary(dir.path(), &[], &all);
        assert!(!run.status.success(), "{}", run.output);
        assert!(
            the_error_line(&run.output).contains(expected),
            "{}",
            run.output
        );
    }
}

#[test]
fn a_bad_areas_file_stops_the_start_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("areas.toml"),
        "[[district]]\nname = \"Bilaspur\"\nthana = []\n",
    )
    .unwrap();
    for (file, expected) in [
        (
            "areas.toml",
            "campaign.areas_file: areas.toml: line 3: unknown field `thana`",
        ),
        (
            "missing.toml",
            "campaign.areas_file: cannot read missing.toml",
        ),
    ] {
        let mut mitan = Binary::serve(
            tempfile::tempdir().unwrap(),
            &[(
                "MITAN__CAMPAIGN__AREAS_FILE",
                &dir.path().join(file).display().to_string(),
            )],
        );
        let status = mitan.wait_exit(Duration::from_secs(10)).expect("exited");
        assert!(!status.success());
        let output = mitan.output();
        let shown = the_error_line(&output).replace(&format!("{}/", dir.path().display()), "");
        assert!(shown.contains(expected), "{output}");
    }
}

#[tokio::test]
async fn an_areas_file_of_ones_own_is_loaded_on_the_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("areas.toml");
    std::fs::write(
        &file,
        "[[district]]\nname = \"Mungeli\"\nthanas = [{ name = \"Lormi\", villages = [\"Ward 1\"] }]\n",
    )
    .unwrap();
    let dir_path = file.display().to_string();
    let created = run_binary(
        dir.path(),
        &[],
        &["token", "create", "--role", "admin", "--name", "Desk"],
    );
    let token = last_line(&created.output).to_string();
    let mitan = Binary::serve(dir, &[("MITAN__CAMPAIGN__AREAS_FILE", &dir_path)]);
    let areas: serde_json::Value = reqwest::Client::new()
        .get(mitan.url("/api/v1/areas"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = areas
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mungeli", "Lormi", "Ward 1"]);
}
