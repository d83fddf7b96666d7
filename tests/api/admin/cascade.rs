//! The recruitment cascade: an officer recruits three mitans, each of them two more. Figures
//! per recruiter, the tree, and the roll-ups by thana and district add up, and stay right when
//! people opt out or erase their data.

use mitan::enrollment::JoinOutcome;

use super::{area_row, figures, morning, officer, thana};
use crate::helpers::{msisdn, spawn_app, villager, TestApp};

/// The recruiter entry a joined mitan got, found by their code.
async fn recruiter_of(app: &TestApp, admin: &str, joined: &JoinOutcome) -> i64 {
    let page = app
        .api_get("/api/v1/recruiters?kind=mitan&limit=200", admin)
        .await
        .json();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == joined.own_code().as_str())
        .expect("the mitan is a recruiter")["id"]
        .as_i64()
        .unwrap()
}

struct Cascade {
    officer: i64,
    /// The three mitans the officer recruited: (their join, their recruiter id).
    mitans: Vec<(JoinOutcome, i64)>,
    /// The two recruits of each mitan, in order.
    recruits: Vec<Vec<JoinOutcome>>,
}

async fn build(app: &TestApp, admin: &str, area: i64) -> Cascade {
    let (officer_id, officer_code) = officer(app, admin, "SI Verma", Some(area)).await;
    let mut mitans = Vec::new();
    let mut recruits = Vec::new();
    for m in 0..3 {
        let joined = app.join(&villager(m), Some(&officer_code), morning()).await;
        let id = recruiter_of(app, admin, &joined).await;
        let mut theirs = Vec::new();
        for r in 0..2 {
            let number = villager(10 + m * 2 + r);
            theirs.push(
                app.join(&number, Some(joined.own_code().as_str()), morning())
                    .await,
            );
        }
        mitans.push((joined, id));
        recruits.push(theirs);
    }
    Cascade {
        officer: officer_id,
        mitans,
        recruits,
    }
}

#[tokio::test]
async fn an_officers_cascade_of_three_mitans_and_six_recruits_adds_up() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let cascade = build(&app, &admin, koni).await;

    let top = figures(&app, &admin, cascade.officer).await;
    assert_eq!(top["direct"]["total"], 3);
    assert_eq!(top["direct"]["active"], 3);
    assert_eq!(top["quota"]["credited"], 3);
    assert_eq!(top["quota"]["percent"], 12, "3 of 25");
    assert_eq!(top["figures"]["subtree"]["total"], 9);
    assert_eq!(top["figures"]["subtree_recruiters"], 9);
    assert_eq!(top["figures"]["depth"], 2);

    for (_, mitan) in &cascade.mitans {
        let theirs = figures(&app, &admin, *mitan).await;
        assert_eq!(theirs["kind"], "mitan");
        assert_eq!(
            theirs["area_id"], koni,
            "a mitan inherits the area of the code's owner"
        );
        assert_eq!(theirs["direct"]["total"], 2);
        assert_eq!(theirs["figures"]["subtree"]["total"], 2);
        assert_eq!(theirs["figures"]["depth"], 1);
        assert_eq!(theirs["recruited_by"], cascade.officer);
    }

    let tree = app
        .api_get(
            &format!("/api/v1/recruiters/{}/tree", cascade.officer),
            &admin,
        )
        .await
        .json();
    assert_eq!(tree["id"], cascade.officer);
    let children = tree["children"].as_array().unwrap();
    assert_eq!(children.len(), 3);
    for child in children {
        assert_eq!(child["direct"]["total"], 2);
        let leaves = child["children"].as_array().unwrap();
        assert_eq!(leaves.len(), 2);
        assert!(leaves
            .iter()
            .all(|l| l["children"].as_array().unwrap().is_empty()));
    }
    let shallow = app
        .api_get(
            &format!("/api/v1/recruiters/{}/tree?depth=1", cascade.officer),
            &admin,
        )
        .await
        .json();
    assert!(shallow["children"][0]["children"]
        .as_array()
        .unwrap()
        .is_empty());

    let stats = app
        .api_get("/api/v1/stats?from=2026-11-01&to=2026-11-30", &admin)
        .await
        .json();
    assert_eq!(stats["people"]["total"], 9);
    assert_eq!(area_row(&stats, "Koni")["people"]["total"], 9);
    assert_eq!(
        area_row(&stats, "Koni")["recruiters"],
        10,
        "the officer and nine mitans"
    );
    assert_eq!(area_row(&stats, "Bilaspur")["people"]["active"], 9);
    assert_eq!(
        area_row(&stats, "Sipat")["people"]["total"],
        0,
        "a thin thana shows"
    );
    assert_eq!(
        stats["joins_per_day"],
        serde_json::json!([{"day": "2026-11-28", "joins": 9}])
    );
    let kinds = stats["recruiters"].as_array().unwrap();
    assert!(kinds.contains(&serde_json::json!({"kind": "mitan", "recruiters": 9})));
    assert!(kinds.contains(&serde_json::json!({"kind": "police", "recruiters": 1})));

    // The officer sees the same figures of their own subtree.
    let token = app.officer_token(cascade.officer).await;
    let own = app
        .api_get("/api/v1/stats?from=2026-11-01&to=2026-11-30", &token)
        .await
        .json();
    assert_eq!(own["people"]["total"], 9);
    assert_eq!(area_row(&own, "Koni")["people"]["total"], 9);
    assert!(
        own["areas"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["name"] != "Sipat"),
        "an officer sees only the areas their subtree reaches"
    );
    assert_eq!(
        figures(&app, &token, cascade.officer).await["figures"]["subtree"]["total"],
        9
    );
}

#[tokio::test]
async fn the_cascade_figures_stay_right_after_people_opt_out_and_erase_their_data() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let cascade = build(&app, &admin, koni).await;
    let (first_mitan, first_mitan_id) = &cascade.mitans[0];

    // One of the first mitan's recruits erases their data; the other opts out.
    let leaf = cascade.recruits[0][0].person_id();
    let erased = app
        .api_delete(&format!("/api/v1/people/{leaf}"), &admin)
        .await;
    assert_eq!(erased.status, 204, "{}", erased.text);
    assert!(app
        .state
        .store
        .opt_out(
            &app.state.vault.blind_index(&msisdn(&villager(11))),
            morning()
        )
        .await
        .unwrap());

    let mitan = figures(&app, &admin, *first_mitan_id).await;
    assert_eq!(
        mitan["direct"]["total"], 2,
        "erasure keeps the anonymous count"
    );
    assert_eq!(mitan["direct"]["active"], 0);
    assert_eq!(mitan["direct"]["erased"], 1);
    assert_eq!(mitan["direct"]["opted_out"], 1);

    // Then the first mitan erases theirs: their recruits still count, below them.
    let gone = app
        .api_delete(
            &format!("/api/v1/people/{}", first_mitan.person_id()),
            &admin,
        )
        .await;
    assert_eq!(gone.status, 204);
    let top = figures(&app, &admin, cascade.officer).await;
    assert_eq!(top["direct"]["total"], 3);
    assert_eq!(top["direct"]["active"], 2);
    assert_eq!(top["direct"]["erased"], 1);
    assert_eq!(top["figures"]["subtree"]["total"], 9);
    assert_eq!(top["figures"]["subtree"]["active"], 6);
    assert_eq!(top["figures"]["subtree"]["erased"], 2);
    assert_eq!(top["figures"]["subtree"]["opted_out"], 1);
    assert_eq!(top["figures"]["depth"], 2);
    assert_eq!(
        figures(&app, &admin, *first_mitan_id).await["direct"]["total"],
        2
    );

    let stats = app
        .api_get("/api/v1/stats?from=2026-11-01&to=2026-11-30", &admin)
        .await
        .json();
    assert_eq!(stats["people"]["total"], 9);
    assert_eq!(stats["people"]["erased"], 2);
    assert_eq!(area_row(&stats, "Koni")["people"]["active"], 6);
    assert_eq!(stats["joins_per_day"][0]["joins"], 9);

    // Erasing twice changes nothing and is not logged twice.
    assert_eq!(
        app.api_delete(&format!("/api/v1/people/{leaf}"), &admin)
            .await
            .status,
        204
    );
    let audit = app.api_get("/api/v1/audit", &admin).await.json();
    let erasures = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "person.erase")
        .count();
    assert_eq!(erasures, 2);
}
