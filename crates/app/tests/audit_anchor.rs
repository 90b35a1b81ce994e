//! The audit anchor file the server keeps, on both stores: it follows a growing trail
//! and is never moved over a trail that no longer holds the anchored record.

use hotline_app::audit_anchor::{Refreshed, head, read, refresh, write};
use hotline_domain::audit::{AuditHead, AuditRecord};
use hotline_store::Store;
use std::sync::Arc;

fn record(n: usize) -> AuditRecord {
    AuditRecord {
        at: chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00+08:00").unwrap(),
        actor: "cli:root".into(),
        unit: None,
        address: None,
        action: "calendar.load".into(),
        object: Some(format!("calendar:{}", 2027 + n)),
        detail: serde_json::json!({}),
    }
}

async fn append(store: &dyn Store, n: usize) {
    for i in 0..n {
        store.append_audit(record(i)).await.unwrap();
    }
}

async fn the_anchor_follows_the_trail_and_refuses_a_trail_that_lost_it(store: Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.anchor");
    let store = store.as_ref();
    assert_eq!(read(&file), Ok(None));
    let empty = refresh(store, &file).await.unwrap();
    assert_eq!(empty, Refreshed::Written(AuditHead::empty()));

    append(store, 3).await;
    let three = head(store).await.unwrap();
    assert_eq!(three.count, 3);
    assert_eq!(
        refresh(store, &file).await,
        Ok(Refreshed::Written(three.clone()))
    );
    assert_eq!(refresh(store, &file).await, Ok(Refreshed::Unchanged));
    assert_eq!(read(&file), Ok(Some(three.clone())));

    append(store, 2).await;
    let five = head(store).await.unwrap();
    assert_eq!(
        refresh(store, &file).await,
        Ok(Refreshed::Written(five.clone()))
    );

    // An anchor the trail does not reach, or whose record differs, stays as it is.
    let beyond = AuditHead {
        count: 9,
        hash: five.hash.clone(),
    };
    write(&file, &beyond).unwrap();
    let err = refresh(store, &file).await.unwrap_err();
    assert!(err.contains("records 6–9 are missing"), "{err}");
    assert_eq!(read(&file), Ok(Some(beyond)));
    let forged = AuditHead {
        count: 3,
        hash: five.hash.clone(),
    };
    write(&file, &forged).unwrap();
    let err = refresh(store, &file).await.unwrap_err();
    assert!(
        err.contains("audit record 3 is not the one anchored"),
        "{err}"
    );
    assert_eq!(read(&file), Ok(Some(forged)));

    std::fs::write(&file, "not a head").unwrap();
    assert!(
        refresh(store, &file)
            .await
            .unwrap_err()
            .contains("COUNT:HASH")
    );
}

#[tokio::test]
async fn the_anchor_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = hotline_store::sqlite::SqliteStore::open(&dir.path().join("t.db")).unwrap();
    the_anchor_follows_the_trail_and_refuses_a_trail_that_lost_it(Arc::new(store)).await;
}

#[tokio::test]
async fn the_anchor_on_postgres() {
    let Ok(url) = std::env::var("HOTLINE_TEST_DATABASE_URL") else {
        eprintln!("HOTLINE_TEST_DATABASE_URL is not set: skipping the PostgreSQL run");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let schema = format!(
        "anchor_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000
    );
    let store = hotline_store::postgres::PgStore::connect_in_schema(&url, Some(&schema))
        .await
        .unwrap();
    the_anchor_follows_the_trail_and_refuses_a_trail_that_lost_it(Arc::new(store)).await;
}
