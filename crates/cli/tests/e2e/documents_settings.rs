//! Where `serve` keeps documents is checked before it listens: an S3-compatible bucket named
//! without its endpoint or keys, or one that does not answer, stops it with one line.

use crate::support::{cellpath_on, stderr};
use cellpath_app::testing::TestDb;

#[tokio::test]
async fn serve_refuses_a_documents_bucket_it_cannot_use_in_one_line() {
    let db = TestDb::sqlite().await;
    let url = db.url.as_str();
    let serve = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--documents-s3-bucket",
        "records",
    ];

    let out = cellpath_on(url, &serve, None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("--documents-s3-bucket needs --documents-s3-endpoint"),
        "{err}"
    );

    // Nothing listens on this port: the bucket cannot be reached, and serve says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{closed}");
    let mut args = serve.to_vec();
    args.extend([
        "--documents-s3-endpoint",
        &endpoint,
        "--documents-s3-access-key",
        "key",
        "--documents-s3-secret-key",
        "secret",
        "--documents-s3-path-style",
    ]);
    let out = cellpath_on(url, &args, None);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("cannot keep documents in the bucket") && err.contains("records"),
        "{err}"
    );
    assert!(
        !err.contains("secret"),
        "the secret is never printed: {err}"
    );

    // A directory and a bucket at once are refused by the flags themselves.
    let dir = tempfile::tempdir().unwrap();
    let mut both = serve.to_vec();
    both.extend(["--documents-dir", dir.path().to_str().unwrap()]);
    let out = cellpath_on(url, &both, None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}
