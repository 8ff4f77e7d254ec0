//! Documents in an S3-compatible bucket, against a real S3-compatible server: `moto_server`
//! (PyPI `moto[server]`, pinned and installed by `.ci/run` in /opt/cellpath-ci-venv), started
//! here on 127.0.0.1. Found through `CELLPATH_MOTO` or the CI venv; skipped only where it is
//! missing and `CI` is not set.

use crate::documents::attach_to_quality_agreement;
use crate::support::*;
use cellpath_app::documents::BucketConfig;
use cellpath_store::testing::TestDb;
use cellpath_store::{DocumentStore, InBucket};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";

/// `moto_server`: `CELLPATH_MOTO`, or the CI venv's.
fn moto() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("CELLPATH_MOTO") {
        return Some(p.into());
    }
    let venv = std::path::PathBuf::from("/opt/cellpath-ci-venv/bin/moto_server");
    venv.is_file().then_some(venv)
}

/// A running moto server, stopped when dropped.
struct S3Server {
    _child: tokio::process::Child,
    endpoint: String,
    addr: String,
}

impl S3Server {
    async fn start() -> Option<S3Server> {
        let Some(bin) = moto() else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but moto_server is not installed: .ci/run installs it in /opt/cellpath-ci-venv"
            );
            eprintln!("skipped: moto_server is not installed (pip install 'moto[server]')");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moto_server starts");
        let addr = format!("127.0.0.1:{port}");
        // It takes a few seconds to import itself on a busy machine.
        for _ in 0..240 {
            if tokio::net::TcpStream::connect(&addr).await.is_ok() {
                return Some(S3Server {
                    _child: child,
                    endpoint: format!("http://{addr}"),
                    addr,
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("moto_server did not listen on {addr} within a minute");
    }

    /// A plain, unsigned request (moto takes them for buckets): answers the status code.
    async fn raw(&self, method: &str, path: &str, body: &[u8]) -> u16 {
        let mut stream = tokio::net::TcpStream::connect(&self.addr).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
    }

    /// Replace an object with other bytes, signed with the bucket's keys: what someone
    /// holding them could do behind the application's back.
    async fn forge(&self, config: &BucketConfig, key: &str, bytes: &[u8]) {
        use rusty_s3::S3Action;
        let bucket = rusty_s3::Bucket::new(
            config.endpoint.parse().unwrap(),
            rusty_s3::UrlStyle::Path,
            config.bucket.clone(),
            config.region.clone(),
        )
        .unwrap();
        let keys = rusty_s3::Credentials::new(&config.access_key, &config.secret_key);
        let url = bucket
            .put_object(Some(&keys), key)
            .sign(Duration::from_secs(60));
        let answer = reqwest::Client::new()
            .put(url)
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{}", answer.status());
    }

    /// A new bucket and how to reach it.
    async fn bucket(&self, name: &str) -> BucketConfig {
        assert_eq!(self.raw("PUT", &format!("/{name}"), b"").await, 200);
        BucketConfig {
            endpoint: self.endpoint.clone(),
            bucket: name.into(),
            region: "us-east-1".into(),
            access_key: "cellpath-test".into(),
            secret_key: "cellpath-test-secret".into(),
            path_style: true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_kept_in_an_s3_bucket_are_served_checked_and_purged_by_their_hash() {
    use cellpath_app::documents::ORPHAN_UPLOAD_HOURS;
    let Some(s3) = S3Server::start().await else {
        return;
    };
    for (n, db) in TestDb::all().await.into_iter().enumerate() {
        let (app, clock) = demo_app(&db).await;
        let config = s3.bucket(&format!("cellpath-documents-{n}")).await;
        let app = app.with_documents_bucket(&config).await.unwrap();
        let look = InBucket::new(app.store().clone(), &config).unwrap();
        let ids = gate_ids(&app).await;
        let contracts = as_user(&app, "contracts@helixa.example").await;

        // Kept as an object named by its hash, and read back by both parties.
        let up = app.upload(&contracts, "qa-v3.pdf", PDF).await.unwrap();
        assert_eq!(
            look.object(&up.sha256).await.unwrap().as_deref(),
            Some(PDF),
            "{}",
            db.label
        );
        attach_to_quality_agreement(&app, &contracts, &ids, &up).await;
        assert_eq!(
            app.download(&contracts, &up.sha256).await.unwrap().bytes,
            PDF
        );
        let hs = as_user(&app, "contracts@lakeshore.example").await;
        let served = app.download(&hs, &up.sha256).await.unwrap();
        assert_eq!(served.bytes, PDF, "{}", db.label);
        assert_eq!(served.media_type, "application/pdf");
        let other = as_user(&app, "pharmacy@piedmont.example").await;
        assert!(app.download(&other, &up.sha256).await.is_err());

        // An object changed in the bucket behind the application's back is refused, not served.
        s3.forge(&config, &up.sha256, b"%PDF-1.7 forged").await;
        let err = app.download(&hs, &up.sha256).await.unwrap_err();
        assert!(err.to_string().contains("do not match"), "{err}");
        // Uploading the real bytes again puts them back.
        app.upload(&contracts, "qa-v3.pdf", PDF).await.unwrap();
        assert_eq!(app.download(&hs, &up.sha256).await.unwrap().bytes, PDF);

        // An orphan upload goes, row and object, a day later; the named one stays.
        let orphan = app
            .upload(&contracts, "draft.txt", b"never attached")
            .await
            .unwrap();
        assert!(look.object(&orphan.sha256).await.unwrap().is_some());
        clock.advance_secs(ORPHAN_UPLOAD_HOURS * 3_600 + 1);
        assert_eq!(app.purge_orphan_uploads().await.unwrap(), 1, "{}", db.label);
        assert!(look.object(&orphan.sha256).await.unwrap().is_none());
        assert!(
            app.store()
                .document(&orphan.sha256)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(look.object(&up.sha256).await.unwrap().as_deref(), Some(PDF));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_bucket_refuses_leaves_no_row_and_a_missing_bucket_is_refused_at_start() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let (app, _) = demo_app(&db).await;
    let config = s3.bucket("cellpath-documents").await;

    // A bucket that does not exist stops the configuration, saying which.
    let missing = BucketConfig {
        bucket: "no-such-bucket".into(),
        ..config.clone()
    };
    let err = app
        .clone()
        .with_documents_bucket(&missing)
        .await
        .err()
        .expect("a missing bucket is refused");
    assert!(err.to_string().contains("no-such-bucket"), "{err}");

    // The bucket goes away after the start: the upload fails and leaves no row behind.
    let app = app.with_documents_bucket(&config).await.unwrap();
    assert_eq!(s3.raw("DELETE", "/cellpath-documents", b"").await, 204);
    let contracts = as_user(&app, "contracts@helixa.example").await;
    assert!(app.upload(&contracts, "qa.pdf", PDF).await.is_err());
    let hash = cellpath_ledger::hash_bytes(PDF);
    assert!(app.store().document(&hash).await.unwrap().is_none());

    // A direct put through the backend fails the same way.
    let bucket = InBucket::new(app.store().clone(), &config).unwrap();
    let meta = cellpath_store::DocumentMeta {
        sha256: hash.clone(),
        media_type: "application/pdf".into(),
        size: PDF.len() as i64,
        created_at: app.now(),
    };
    assert!(bucket.put(&meta, PDF).await.is_err());
    assert!(app.store().document(&hash).await.unwrap().is_none());
}
