//! Recruiters: added by admins with a code of their own, listed, changed; officers see their
//! own subtree only.

use mitan::enrollment::OptInCode;
use serde_json::json;

use super::{assert_invalid, assert_problem, figures, morning, officer, thana};
use crate::helpers::{spawn_app, villager, RECRUITER_NUMBERS};

#[tokio::test]
async fn an_admin_adds_a_recruiter_and_gets_its_id_and_a_checked_code() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let response = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "SI Verma", "kind": "police", "phone": RECRUITER_NUMBERS[0], "area": koni}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    let created = response.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        response.headers["location"],
        format!("/api/v1/recruiters/{id}").as_str()
    );
    let code = created["code"].as_str().unwrap();
    assert!(
        OptInCode::parse(code).is_ok(),
        "{code} fails its check digit"
    );
    assert_eq!(code.len(), 6);
    assert_eq!(created["kind"], "police");
    assert_eq!(created["area_id"], koni);
    assert_eq!(created["phone_hint"], "78");
    assert_eq!(
        created["quota"]["target"], 25,
        "the campaign's default quota"
    );
    assert_eq!(created["quota"]["credited"], 0);

    let shown = figures(&app, &admin, id).await;
    assert_eq!(shown["code"], code);
    assert_eq!(shown["name"], "SI Verma");
    assert_eq!(shown["figures"]["depth"], 0);

    let cadet = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "Cadet Dewangan", "kind": "ncc", "quota": 10, "recruited_by": id}),
        )
        .await
        .json();
    assert_eq!(cadet["quota"]["target"], 10);
    assert_eq!(cadet["recruited_by"], id);
    assert_eq!(cadet["phone_hint"], serde_json::Value::Null);
}

#[tokio::test]
async fn mitans_are_not_added_by_hand() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let response = app
        .api_post(
            "/api/v1/recruiters",
            &admin,
            json!({"name": "Ramesh", "kind": "mitan"}),
        )
        .await;
    assert_invalid(&response, &["kind"]);
}

#[tokio::test]
async fn every_mitan_who_joins_is_listed_as_a_recruiter_of_kind_mitan() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (_, code) = officer(&app, &admin, "SI Verma", None).await;
    let joined = app.join(&villager(1), Some(&code), morning()).await;
    let mitans = app
        .api_get("/api/v1/recruiters?kind=mitan", &admin)
        .await
        .json();
    let items = mitans["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["code"], joined.own_code().as_str());
}

#[tokio::test]
async fn the_list_pages_and_filters_by_kind_area_and_name() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    for (name, kind, area) in [
        ("SI Verma", "police", Some(koni)),
        ("ASI Sahu", "police", None),
        ("Cadet Dewangan", "ncc", Some(koni)),
        ("Seva NGO", "ngo", None),
        ("SPO Kurre", "spo", Some(koni)),
    ] {
        app.add_recruiter(&admin, json!({"name": name, "kind": kind, "area": area}))
            .await;
    }
    let first = app
        .api_get("/api/v1/recruiters?limit=2", &admin)
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let after = first["next_after"].as_i64().unwrap();
    let rest = app
        .api_get(
            &format!("/api/v1/recruiters?limit=10&after={after}"),
            &admin,
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 3);
    assert_eq!(rest["next_after"], serde_json::Value::Null);

    let police = app
        .api_get("/api/v1/recruiters?kind=police", &admin)
        .await
        .json();
    assert_eq!(police["items"].as_array().unwrap().len(), 2);
    let in_koni = app
        .api_get(&format!("/api/v1/recruiters?area={koni}"), &admin)
        .await
        .json();
    assert_eq!(in_koni["items"].as_array().unwrap().len(), 3);
    let named = app
        .api_get("/api/v1/recruiters?name=sahu", &admin)
        .await
        .json();
    assert_eq!(named["items"][0]["name"], "ASI Sahu");
}

#[tokio::test]
async fn an_admin_changes_a_recruiters_name_area_and_quota() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let koni = thana(&app, &admin, "Koni").await;
    let (id, code) = officer(&app, &admin, "SI Verma", None).await;
    let changed = app
        .api_patch(
            &format!("/api/v1/recruiters/{id}"),
            &admin,
            json!({"name": "Inspector Verma", "area": koni, "quota": 40}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let changed = changed.json();
    assert_eq!(changed["name"], "Inspector Verma");
    assert_eq!(changed["area_id"], koni);
    assert_eq!(changed["quota"]["target"], 40);
    assert_eq!(changed["code"], code, "the code stays");

    let cleared = app
        .api_patch(
            &format!("/api/v1/recruiters/{id}"),
            &admin,
            json!({"area": null}),
        )
        .await
        .json();
    assert_eq!(cleared["area_id"], serde_json::Value::Null);
    assert_eq!(cleared["name"], "Inspector Verma");
}

#[tokio::test]
async fn an_officer_sees_their_own_subtree_and_no_other() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let (verma, verma_code) = officer(&app, &admin, "SI Verma", None).await;
    let (sahu, _) = officer(&app, &admin, "ASI Sahu", None).await;
    let mitan = app.join(&villager(1), Some(&verma_code), morning()).await;
    let token = app.officer_token(verma).await;

    let list = app.api_get("/api/v1/recruiters", &token).await.json();
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "Verma and the mitan he recruited: {ids:?}");
    assert!(ids.contains(&verma) && !ids.contains(&sahu));
    let mitan_recruiter = ids.into_iter().find(|id| *id != verma).unwrap();

    assert_eq!(figures(&app, &token, verma).await["direct"]["total"], 1);
    assert_eq!(
        app.api_get(&format!("/api/v1/recruiters/{mitan_recruiter}"), &token)
            .await
            .status,
        200
    );
    assert_problem(
        &app.api_get(&format!("/api/v1/recruiters/{sahu}"), &token)
            .await,
        403,
    );
    assert_problem(
        &app.api_get(&format!("/api/v1/recruiters/{sahu}/tree"), &token)
            .await,
        403,
    );
    assert!(mitan.person_id() > 0);
}
