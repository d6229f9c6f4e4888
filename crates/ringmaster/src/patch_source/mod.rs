//! The Jamf patch source: the services behind the read routes, the admin API and the CLI.
//!
//! - [`service`]: title operations (create, replace, version lifecycle, restore) with optimistic
//!   concurrency, each followed by a cache refresh.
//! - [`feed_cache`]: ready-to-send response bodies for Jamf Pro, rebuilt only for what changed.
//! - [`archive`]: backup zips (PatchServer's `patch_archive/<id>.json` layout) and folders of definitions.
//! - [`patchserver_archive`]: the backup zip PatchServer itself restores (`?format=patchserver`).
//! - [`zip_read`]: reading a zip from untrusted hands, bounded per entry and in total.

pub mod archive;
pub mod feed_cache;
pub mod patchserver_archive;
pub mod service;
pub mod zip_read;
