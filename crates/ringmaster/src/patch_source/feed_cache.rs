//! Ready-to-send response bodies for what Jamf Pro reads, so the read path never touches the
//! database for unchanged data.
//!
//! The cache holds an immutable [`FeedSnapshot`] behind an `ArcSwap`: readers load it without
//! locking; a refresh builds a new snapshot from the titles changed since the snapshot's revision
//! (see `Store::title_changes_since`) and swaps it in. Only changed titles are re-rendered.
//! Refreshes run after every write through this server and on a timer, which picks up writes by
//! other servers sharing the database and by CLI commands.
//!
//! Bodies are pretty-printed ([`ringmaster_domain::json_write`]), as PatchServer served them and
//! shell tools expect. Each summary is kept ready to sit inside the `/software` array, so a list
//! is assembled from cached bytes without re-rendering anything.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use ringmaster_domain::json_write;
use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::title::render;
use ringmaster_store::error::StoreError;
use ringmaster_store::store::Store;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

/// A response body in plain and gzip form, with its entity tag.
#[derive(Debug, Clone)]
pub struct RenderedBody {
    pub json: Bytes,
    pub gzip: Bytes,
    /// A strong entity tag, quoted, derived from the plain body.
    pub etag: String,
    /// The entity tag of the gzip representation (a different representation, a different tag).
    pub etag_gzip: String,
}

impl RenderedBody {
    pub fn new(json: Vec<u8>) -> RenderedBody {
        let etag = entity_tag(&json);
        let etag_gzip = gzip_entity_tag(&etag);
        let gzip = gzip(&json);
        // Boxed slices drop the vectors' spare capacity, which is a third of a cached body.
        RenderedBody {
            json: Bytes::from(json.into_boxed_slice()),
            gzip: Bytes::from(gzip.into_boxed_slice()),
            etag,
            etag_gzip,
        }
    }
}

/// One served title: its summary entry and its full object.
#[derive(Debug)]
pub struct CachedTitle {
    /// The summary as an entry of the pretty `/software` array ([`json_write::array_entry`]).
    pub summary: Bytes,
    pub patch: RenderedBody,
}

/// Everything Jamf Pro can read, as of one revision of the database.
#[derive(Debug)]
pub struct FeedSnapshot {
    pub revision: i64,
    /// Served titles by id (disabled titles and titles without an enabled patch are absent).
    pub titles: BTreeMap<String, Arc<CachedTitle>>,
    /// The body of `GET /v1/software`.
    pub software: RenderedBody,
    /// Every stored title id, served or not (for admin counts).
    pub stored_titles: usize,
}

impl FeedSnapshot {
    fn empty() -> FeedSnapshot {
        FeedSnapshot {
            revision: 0,
            titles: BTreeMap::new(),
            software: RenderedBody::new(json_write::array_of(&[])),
            stored_titles: 0,
        }
    }

    /// The JSON array of summaries for the given ids; unknown ids are left out, duplicates once.
    /// Ordered by id, like `/software`.
    pub fn summaries_for(&self, ids: &[&str]) -> Vec<u8> {
        let wanted: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
        let parts: Vec<&[u8]> = wanted
            .into_iter()
            .filter_map(|id| self.titles.get(id))
            .map(|title| title.summary.as_ref())
            .collect();
        json_write::array_of(&parts)
    }
}

/// The cache itself: cheap to read from any number of request tasks.
#[derive(Debug)]
pub struct FeedCache {
    snapshot: ArcSwap<FeedSnapshot>,
    /// Every stored id → whether it is served; kept to count stored titles across refreshes.
    known: Mutex<BTreeMap<String, bool>>,
}

impl Default for FeedCache {
    fn default() -> Self {
        FeedCache {
            snapshot: ArcSwap::from_pointee(FeedSnapshot::empty()),
            known: Mutex::new(BTreeMap::new()),
        }
    }
}

impl FeedCache {
    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<FeedSnapshot> {
        self.snapshot.load_full()
    }

    /// Brings the cache up to the database's current revision. Concurrent calls are serialized,
    /// so a slower refresh can never replace a newer snapshot.
    pub async fn refresh(&self, store: &Store) -> Result<(), StoreError> {
        let mut known = self.known.lock().await;
        let current = self.snapshot.load_full();
        let changes = store.title_changes_since(current.revision).await?;
        if changes.revision <= current.revision {
            return Ok(());
        }
        let mut titles = current.titles.clone();
        for id in &changes.deleted {
            titles.remove(id);
            known.remove(id);
        }
        for stored in &changes.changed {
            let id = stored.record.definition.id.to_string();
            let cached = stored
                .record
                .is_served()
                .then(|| Arc::new(render_title(&stored.record)));
            known.insert(id.clone(), cached.is_some());
            match cached {
                Some(cached) => titles.insert(id, cached),
                None => titles.remove(&id),
            };
        }
        let summaries: Vec<&[u8]> = titles
            .values()
            .map(|title| title.summary.as_ref())
            .collect();
        let software = RenderedBody::new(json_write::array_of(&summaries));
        self.snapshot.store(Arc::new(FeedSnapshot {
            revision: changes.revision,
            titles,
            software,
            stored_titles: known.len(),
        }));
        tracing::debug!(
            revision = changes.revision,
            changed = changes.changed.len(),
            deleted = changes.deleted.len(),
            "feed cache refreshed"
        );
        Ok(())
    }
}

fn render_title(record: &TitleRecord) -> CachedTitle {
    // Writing a `Value` cannot fail.
    let summary = json_write::array_entry(&render::feed_summary(record)).unwrap_or_default();
    let patch = json_write::to_vec(&render::feed_title(record)).unwrap_or_default();
    CachedTitle {
        summary: Bytes::from(summary.into_boxed_slice()),
        patch: RenderedBody::new(patch),
    }
}

/// Compresses a body with gzip at the default level.
pub fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(body.len() / 4 + 64),
        Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(body);
    encoder.finish().unwrap_or_default()
}

/// The entity tag of the gzip representation of a body whose plain tag is `etag`.
pub fn gzip_entity_tag(etag: &str) -> String {
    format!("{}-gzip\"", etag.trim_end_matches('"'))
}

/// A strong entity tag for a body: the first 128 bits of its SHA-256, quoted.
pub fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("\"{hex}\"")
}
