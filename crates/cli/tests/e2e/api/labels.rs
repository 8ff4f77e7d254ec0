//! Label checks over the API: a scanner asks whether a label reads.

use crate::support::spawn_demo;
use serde_json::Value;

#[tokio::test]
async fn a_scanner_asks_whether_a_label_reads_and_is_told_what_is_wrong() {
    let s = spawn_demo().await;
    let token = s.token("admin@lakeshore.example").await;
    let ask = |value: &str| {
        s.http
            .get(s.url("/api/v1/identifiers/check"))
            .query(&[("value", value)])
            .bearer_auth(&token)
            .send()
    };
    let good: Value = ask("=W12342500001294").await.unwrap().json().await.unwrap();
    assert_eq!(good["valid"], true);
    assert_eq!(good["printed"], "W1234 25 000012 Y");
    assert_eq!(good["identifier"]["kind"], "isbt128_din");
    let wrong: Value = ask("W1234 25 000012 K")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(wrong["valid"], false);
    assert_eq!(wrong["problem"], "check_character");
    assert_eq!(wrong["expected_check"], "Y");
    let unreadable: Value = ask("hello").await.unwrap().json().await.unwrap();
    assert_eq!(unreadable["problem"], "unreadable");
    let missing = s
        .http
        .get(s.url("/api/v1/identifiers/check"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let anonymous = s
        .http
        .get(s.url("/api/v1/identifiers/check?value=W123425000012"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
