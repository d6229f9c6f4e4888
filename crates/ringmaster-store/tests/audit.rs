//! The audit log's storage on every backend: an entry is `pending` until completed or
//! discarded (and only a pending one can be discarded), reads are newest first, filtered and
//! capped, summaries are cut to their bound, and pruning deletes by age only.

use jiff::{SignedDuration, Timestamp};
use ringmaster_store::audit::{
    AuditActor, AuditFilter, MAX_AUDIT_LIMIT, MAX_SUMMARY_BYTES, NewAuditEntry,
};

mod support;

use support::stores;

fn at(minutes: i64) -> Timestamp {
    "2026-05-01T10:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

fn entry(minutes: i64, actor: AuditActor, object: (&str, &str)) -> NewAuditEntry {
    NewAuditEntry {
        occurred_at: at(minutes),
        actor,
        client_address: None,
        action: "PUT /api/v1/policies/{id}".to_owned(),
        object_kind: Some(object.0.to_owned()),
        object_id: Some(object.1.to_owned()),
        before: None,
    }
}

fn token(name: &str) -> AuditActor {
    AuditActor::Token {
        id: 7,
        name: name.to_owned(),
    }
}

fn all(limit: u32) -> AuditFilter {
    AuditFilter {
        limit,
        ..AuditFilter::default()
    }
}

#[tokio::test]
async fn entries_go_pending_then_done_or_away_and_read_back_filtered_newest_first() {
    for (store, _database) in stores().await {
        let backend = store.backend();
        let first = store
            .begin_audit(&entry(0, token("ci"), ("policy", "3")))
            .await
            .unwrap();
        let listed = store.audit_entries(&all(10)).await.unwrap();
        assert_eq!(listed[0].outcome, "pending", "{backend:?}");
        let huge = "x".repeat(MAX_SUMMARY_BYTES * 2);
        store
            .complete_audit(
                first,
                Some(200),
                Some("ignored: the path named it"),
                Some(&huge),
            )
            .await
            .unwrap();
        // A completed entry is never discarded.
        store.discard_audit(first).await.unwrap();
        let refused = store
            .begin_audit(&entry(1, token("ci"), ("policy", "3")))
            .await
            .unwrap();
        store.discard_audit(refused).await.unwrap();
        let cli = AuditActor::Cli {
            os_user: "alice".to_owned(),
        };
        let created = store
            .begin_audit(&NewAuditEntry {
                object_id: None,
                ..entry(2, cli, ("webhook", ""))
            })
            .await
            .unwrap();
        store
            .complete_audit(created, None, Some("12"), None)
            .await
            .unwrap();
        store
            .begin_audit(&entry(3, token("other"), ("title", "Firefox")))
            .await
            .unwrap();

        let listed = store.audit_entries(&all(10)).await.unwrap();
        let ids: Vec<&str> = listed
            .iter()
            .map(|entry| entry.object_id.as_deref().unwrap_or("-"))
            .collect();
        assert_eq!(ids, ["Firefox", "12", "3"], "{backend:?}: newest first");
        let done = &listed[2];
        assert_eq!(
            (done.outcome.as_str(), done.status),
            ("done", Some(200)),
            "{backend:?}"
        );
        assert_eq!(done.object_id.as_deref(), Some("3"), "the path's id stays");
        assert_eq!(
            done.after_summary.as_ref().map(String::len),
            Some(MAX_SUMMARY_BYTES)
        );
        assert_eq!(listed[1].actor_kind, "cli");
        assert_eq!(listed[1].actor, "alice");
        assert_eq!(listed[1].token_id, None);
        assert_eq!(listed[0].outcome, "pending");

        let filtered = |filter: AuditFilter| {
            let store = store.clone();
            async move { store.audit_entries(&filter).await.unwrap().len() }
        };
        let base = all(10);
        assert_eq!(
            filtered(AuditFilter {
                since: Some(at(2)),
                ..base.clone()
            })
            .await,
            2
        );
        assert_eq!(
            filtered(AuditFilter {
                actor: Some("cli".to_owned()),
                ..base.clone()
            })
            .await,
            1
        );
        assert_eq!(
            filtered(AuditFilter {
                actor: Some("ci".to_owned()),
                ..base.clone()
            })
            .await,
            1
        );
        assert_eq!(
            filtered(AuditFilter {
                object_kind: Some("title".to_owned()),
                object_id: Some("3".to_owned()),
                ..base.clone()
            })
            .await,
            0
        );
        assert_eq!(
            filtered(AuditFilter {
                object_id: Some("3".to_owned()),
                ..base.clone()
            })
            .await,
            1
        );
        assert_eq!(filtered(all(1)).await, 1);

        assert_eq!(store.prune_audit(at(2)).await.unwrap(), 1, "{backend:?}");
        assert_eq!(store.audit_entries(&all(10)).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn a_read_returns_at_most_the_maximum() {
    for (store, _database) in stores().await {
        for minute in 0..i64::from(MAX_AUDIT_LIMIT) + 5 {
            store
                .begin_audit(&entry(minute, token("ci"), ("policy", "1")))
                .await
                .unwrap();
        }
        let listed = store.audit_entries(&all(u32::MAX)).await.unwrap();
        assert_eq!(
            listed.len(),
            MAX_AUDIT_LIMIT as usize,
            "{:?}",
            store.backend()
        );
    }
}
