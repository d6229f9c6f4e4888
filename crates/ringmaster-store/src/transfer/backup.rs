//! A backup of an installation: read in one snapshot, checked, and restored in one transaction.
//!
//! A backup holds the titles (as records; the edge writes them in PatchServer's layout) and, as
//! raw rows of the transfer's tables ([`BackupTables`]), token hashes, the catalog, policy groups,
//! policies, devices, device groups and their members, bindings and legacy mechanisms, with
//! their ids, revisions and dates, and the webhooks. What DDM keeps per device (served sets, merged status) is
//! left out: devices report again, and are served afresh at their next check-in. So is the queue
//! of webhook deliveries: events are about changes to the source, not to what a restore writes.
//!
//! [`Store::check_backup_tables`] restores the tables into a scratch in-memory SQLite database
//! with the same code as a real restore, then reads everything back with the store's own
//! readers, so a row the store would refuse (a bad document, date, key or reference) is found
//! before the real database is touched, naming its table ([`StoreError::Refused`]).
//!
//! [`Store::restore_installation`] writes titles and tables in one transaction, all or
//! nothing. Both counters move past the larger of their value and the backup's, so every server
//! refreshes. OS-update data in the target (releases, policy groups, policies, devices or device
//! groups) is refused with [`StoreError::AlreadyExists`] unless `replace`, which empties every
//! OS-update table first (DDM state included) and deletes the titles the backup does not hold
//! (with tombstones). Titles follow [`Store::restore_titles`]. Tokens are merged, never
//! removed: a backup token whose hash the target has is skipped; one whose name a different
//! target token holds is refused unless `replace` (which replaces that token); the others are
//! added, with new ids (nothing refers to a token's id). Webhooks keep their ids when the target
//! has none (or with `replace`, which replaces the target's, their queued deliveries too);
//! otherwise a backup webhook whose URL the target has is skipped and the others are added
//! with new ids. Audit entries are merged, never removed: an entry the target holds (the same
//! instant, actor and action) is skipped, the others are added, keeping their ids when the
//! target's log is empty and numbered after the target's entries otherwise.

use std::collections::{BTreeSet, HashMap, HashSet};

use ringmaster_domain::title::record::TitleRecord;
use ringmaster_domain::webhook::{MAX_WEBHOOKS, WebhookUrl};

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::device_data::stamp_device_data;
use crate::store::{Backend, Store, StoreOptions};
use crate::title_row::{StoredTitle, TitleRow};
use crate::titles::{ExistingTitles, RestoreOutcome, upsert_tombstone};
use crate::transfer::tables::{
    Cell, RawAuditEntry, RawBinding, RawBlockedRelease, RawDevice, RawDeviceExemption,
    RawDeviceGroup, RawDeviceStatus, RawGate, RawGateEvaluation, RawHardwareModel,
    RawLegacyMechanism, RawMember, RawPolicy, RawPolicyGroup, RawRelease, RawReleaseHalt,
    RawRolloutPause, RawServedSet, RawTitle, RawToken, RawWebhook, Table, insert_rows,
};
use crate::transfer::{IDENTITY_TABLES, reset_identity_sequences};

/// The rows of a backup beside its titles, each table sorted by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackupTables {
    pub tokens: Vec<RawToken>,
    pub releases: Vec<RawRelease>,
    /// Absent from backups made before hardware facts were stored: none.
    pub hardware_models: Vec<RawHardwareModel>,
    pub policy_groups: Vec<RawPolicyGroup>,
    pub policies: Vec<RawPolicy>,
    pub devices: Vec<RawDevice>,
    pub device_groups: Vec<RawDeviceGroup>,
    pub members: Vec<RawMember>,
    pub bindings: Vec<RawBinding>,
    pub legacy_mechanisms: Vec<RawLegacyMechanism>,
    /// Absent from backups made before webhooks were stored: none.
    pub webhooks: Vec<RawWebhook>,
    /// Absent from backups made before the audit log: none.
    pub audit: Vec<RawAuditEntry>,
    /// Absent from backups made before migration 0010: none.
    pub blocked_releases: Vec<RawBlockedRelease>,
    /// Absent from backups made before migration 0010: none.
    pub device_exemptions: Vec<RawDeviceExemption>,
    /// Absent from backups made before migration 0011: none.
    pub rollout_pauses: Vec<RawRolloutPause>,
    /// Absent from backups made before migration 0012: none (the same for the next two).
    pub gates: Vec<RawGate>,
    pub gate_evaluations: Vec<RawGateEvaluation>,
    pub release_halts: Vec<RawReleaseHalt>,
}

/// Both change counters of the installation a backup was taken from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackupCounters {
    pub title_revision: i64,
    pub os_update_revision: i64,
}

/// An installation as a backup holds it, read in one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct InstallationBackup {
    pub titles: Vec<StoredTitle>,
    pub tables: BackupTables,
    pub counters: BackupCounters,
}

/// What [`Store::restore_installation`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstallationRestored {
    /// Titles created and replaced.
    pub titles: RestoreOutcome,
    /// Titles deleted because the backup does not hold them (`replace` only).
    pub deleted_titles: Vec<String>,
    /// Tokens added, and skipped because the target has them.
    pub tokens_added: usize,
    pub tokens_skipped: usize,
    /// Webhooks added, and skipped because the target has one with their URL.
    pub webhooks_added: usize,
    pub webhooks_skipped: usize,
    /// Audit entries added, and skipped because the target holds them.
    pub audit_added: usize,
    pub audit_skipped: usize,
}

/// The tables [`BackupTables`] holds, and those a backup leaves out on purpose (titles go in
/// PatchServer's layout; DDM state is reported again). Together they are every copied table.
pub const BACKED_UP_TABLES: [&str; 18] = [
    RawToken::NAME,
    RawRelease::NAME,
    RawHardwareModel::NAME,
    RawPolicyGroup::NAME,
    RawPolicy::NAME,
    RawDevice::NAME,
    RawDeviceGroup::NAME,
    RawMember::NAME,
    RawBinding::NAME,
    RawLegacyMechanism::NAME,
    RawWebhook::NAME,
    RawAuditEntry::NAME,
    RawBlockedRelease::NAME,
    RawDeviceExemption::NAME,
    RawRolloutPause::NAME,
    RawGate::NAME,
    RawGateEvaluation::NAME,
    RawReleaseHalt::NAME,
];
pub const LEFT_OUT_TABLES: [&str; 3] = [RawTitle::NAME, RawServedSet::NAME, RawDeviceStatus::NAME];

/// The OS-update tables whose rows make a target "hold OS-update data".
const OS_CONTENT_TABLES: [&str; 5] = [
    RawRelease::NAME,
    RawPolicyGroup::NAME,
    RawPolicy::NAME,
    RawDevice::NAME,
    RawDeviceGroup::NAME,
];

/// Every OS-update table, children first (the order a replacing restore empties them in).
const OS_TABLES_CHILDREN_FIRST: [&str; 17] = [
    "release_halts",
    "gate_evaluations",
    "policy_group_gates",
    "rollout_pauses",
    "device_exemptions",
    "blocked_releases",
    "legacy_mechanisms",
    "device_status",
    "ddm_served",
    RawBinding::NAME,
    RawMember::NAME,
    RawDeviceGroup::NAME,
    RawDevice::NAME,
    RawPolicy::NAME,
    RawPolicyGroup::NAME,
    RawRelease::NAME,
    RawHardwareModel::NAME,
];

/// Sets a counter past both its value and `$backup`, evaluating to the new value.
const RAISE_TITLE_COUNTER: &str = "UPDATE change_counter SET revision = \
     (CASE WHEN revision > $1 THEN revision ELSE $1 END) + 1 WHERE id = 1 RETURNING revision";
const RAISE_OS_UPDATE_COUNTER: &str = "UPDATE os_update_counter SET revision = \
     (CASE WHEN revision > $1 THEN revision ELSE $1 END) + 1 WHERE id = 1 RETURNING revision";

/// Inserts `$rows` of table `$type`; a row the database refuses becomes
/// [`StoreError::Refused`] naming the table.
macro_rules! insert_table {
    ($tx:ident, $postgres:expr, $type:ty, $rows:expr) => {{
        let result: Result<(), sqlx::Error> = async {
            insert_rows!($tx, $postgres, $type, $rows);
            Ok(())
        }
        .await;
        result.map_err(|error| refused_rows(<$type as Table>::NAME, error))?;
    }};
}

fn refused_rows(table: &str, error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(database) => StoreError::Refused {
            table: table.to_owned(),
            why: database.message().to_owned(),
        },
        other => StoreError::Database(other),
    }
}

/// A damaged row found reading a scratch restore back, as a refusal of its table's rows.
fn refused_on_read(error: StoreError) -> StoreError {
    match error {
        StoreError::Corrupt { what, why } => StoreError::Refused {
            table: what.split('/').next().unwrap_or_default().to_owned(),
            why: format!("{what}: {why}"),
        },
        other => other,
    }
}

impl Store {
    /// Everything a backup holds, read in one transaction.
    pub async fn read_backup(&self) -> Result<InstallationBackup, StoreError> {
        let installation = self.read_installation().await?;
        let titles = installation
            .titles
            .into_iter()
            .map(|raw| {
                TitleRow {
                    id: raw.id,
                    enabled: raw.enabled,
                    pinned_version: raw.pinned_version,
                    disabled_versions: raw.disabled_versions,
                    last_modified: raw.last_modified,
                    definition: raw.definition,
                    revision: raw.revision,
                }
                .into_stored()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InstallationBackup {
            titles,
            tables: BackupTables {
                tokens: installation.tokens,
                releases: installation.releases,
                hardware_models: installation.hardware_models,
                policy_groups: installation.policy_groups,
                policies: installation.policies,
                devices: installation.devices,
                device_groups: installation.device_groups,
                members: installation.members,
                bindings: installation.bindings,
                legacy_mechanisms: installation.legacy_mechanisms,
                webhooks: installation.webhooks,
                audit: installation.audit,
                blocked_releases: installation.blocked_releases,
                device_exemptions: installation.device_exemptions,
                rollout_pauses: installation.rollout_pauses,
                gates: installation.gates,
                gate_evaluations: installation.gate_evaluations,
                release_halts: installation.release_halts,
            },
            counters: BackupCounters {
                title_revision: installation.title_revision,
                os_update_revision: installation.os_update_revision,
            },
        })
    }

    /// Checks that `tables` restore and read back: restores them into a scratch in-memory
    /// SQLite database, then reads the OS-update configuration, every device, every legacy
    /// mechanism, every token and every webhook back. [`StoreError::Refused`] names the table of a refused row.
    pub async fn check_backup_tables(tables: &BackupTables) -> Result<(), StoreError> {
        if tables.webhooks.len() > MAX_WEBHOOKS {
            return Err(StoreError::Refused {
                table: RawWebhook::NAME.to_owned(),
                why: format!(
                    "{} webhooks; an installation keeps at most {MAX_WEBHOOKS}",
                    tables.webhooks.len()
                ),
            });
        }
        for hook in &tables.webhooks {
            if let Err(why) = WebhookUrl::parse(&hook.url) {
                return Err(StoreError::Refused {
                    table: RawWebhook::NAME.to_owned(),
                    why: format!("webhook {}: {why}", hook.id),
                });
            }
        }
        let scratch =
            Store::connect("sqlite::memory:", &StoreOptions { max_connections: 1 }).await?;
        scratch
            .restore_installation(&[], tables, BackupCounters::default(), false)
            .await?;
        scratch
            .load_os_update_config()
            .await
            .map_err(refused_on_read)?;
        let mut after: Option<String> = None;
        loop {
            const PAGE: u32 = 10_000;
            let page = scratch
                .list_devices(after.as_deref(), PAGE)
                .await
                .map_err(refused_on_read)?;
            match page.last() {
                Some(last) if page.len() == PAGE as usize => after = Some(last.id.clone()),
                _ => break,
            }
        }
        scratch
            .legacy_mechanisms(None)
            .await
            .map_err(refused_on_read)?;
        scratch.list_tokens().await.map_err(refused_on_read)?;
        scratch.list_webhooks().await.map_err(refused_on_read)?;
        Ok(())
    }

    /// Restores titles and tables in one transaction, all or nothing, as the module describes.
    pub async fn restore_installation(
        &self,
        titles: &[TitleRecord],
        tables: &BackupTables,
        counters: BackupCounters,
        replace: bool,
    ) -> Result<InstallationRestored, StoreError> {
        let postgres = self.backend() == Backend::Postgres;
        let existing = if replace {
            ExistingTitles::Replace
        } else {
            ExistingTitles::Refuse
        };
        let keep: HashSet<&str> = titles
            .iter()
            .map(|record| record.definition.id.as_str())
            .collect();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let title_revision: i64 = sqlx::query_scalar(RAISE_TITLE_COUNTER)
                .bind(counters.title_revision)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query_scalar::<_, i64>(RAISE_OS_UPDATE_COUNTER)
                .bind(counters.os_update_revision)
                .fetch_one(&mut *tx)
                .await?;
            let mut occupied = Vec::new();
            for table in OS_CONTENT_TABLES {
                let sql = format!("SELECT 1 FROM {table} LIMIT 1");
                if sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some()
                {
                    occupied.push(table);
                }
            }
            if !occupied.is_empty() && !replace {
                return Err(StoreError::AlreadyExists(format!(
                    "OS-update data (in {})",
                    occupied.join(", ")
                )));
            }
            let mut restored = InstallationRestored::default();
            if replace {
                let present: Vec<String> = sqlx::query_scalar("SELECT id FROM titles")
                    .fetch_all(&mut *tx)
                    .await?;
                for id in present.into_iter().filter(|id| !keep.contains(id.as_str())) {
                    sqlx::query("DELETE FROM titles WHERE id = $1")
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    upsert_tombstone!(tx, id.as_str(), title_revision);
                    restored.deleted_titles.push(id);
                }
                for table in OS_TABLES_CHILDREN_FIRST {
                    let sql = format!("DELETE FROM {table}");
                    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await?;
                }
            }
            restored.titles =
                crate::titles::restore_titles_in!(tx, titles, existing, title_revision);
            insert_table!(tx, postgres, RawRelease, tables.releases);
            insert_table!(tx, postgres, RawHardwareModel, tables.hardware_models);
            insert_table!(tx, postgres, RawPolicyGroup, tables.policy_groups);
            insert_table!(tx, postgres, RawPolicy, tables.policies);
            insert_table!(tx, postgres, RawDevice, tables.devices);
            insert_table!(tx, postgres, RawDeviceGroup, tables.device_groups);
            insert_table!(tx, postgres, RawMember, tables.members);
            insert_table!(tx, postgres, RawBinding, tables.bindings);
            insert_table!(tx, postgres, RawLegacyMechanism, tables.legacy_mechanisms);
            insert_table!(tx, postgres, RawBlockedRelease, tables.blocked_releases);
            insert_table!(tx, postgres, RawDeviceExemption, tables.device_exemptions);
            insert_table!(tx, postgres, RawRolloutPause, tables.rollout_pauses);
            insert_table!(tx, postgres, RawGate, tables.gates);
            insert_table!(tx, postgres, RawGateEvaluation, tables.gate_evaluations);
            insert_table!(tx, postgres, RawReleaseHalt, tables.release_halts);
            // Servers holding compliance in memory read the restored devices again.
            let devices: Vec<&str> = tables.devices.iter().map(|device| device.id.as_str()).collect();
            if !devices.is_empty() {
                stamp_device_data!(tx, devices);
            }
            if replace {
                sqlx::query("DELETE FROM webhook_deliveries").execute(&mut *tx).await?;
                sqlx::query("DELETE FROM webhooks").execute(&mut *tx).await?;
            }
            let present: Vec<String> = sqlx::query_scalar("SELECT url FROM webhooks")
                .fetch_all(&mut *tx)
                .await?;
            if present.is_empty() {
                insert_table!(tx, postgres, RawWebhook, tables.webhooks);
                restored.webhooks_added = tables.webhooks.len();
            } else {
                let present: HashSet<&str> = present.iter().map(String::as_str).collect();
                for hook in &tables.webhooks {
                    if present.contains(hook.url.as_str()) {
                        restored.webhooks_skipped += 1;
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO webhooks (url, enabled, verify_ssl, send_definition, created_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&hook.url)
                    .bind(hook.enabled)
                    .bind(hook.verify_ssl)
                    .bind(hook.send_definition)
                    .bind(&hook.created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(|error| refused_rows(RawWebhook::NAME, error))?;
                    restored.webhooks_added += 1;
                }
            }
            let present: Vec<(String, String)> =
                sqlx::query_as("SELECT name, token_hash FROM api_tokens")
                    .fetch_all(&mut *tx)
                    .await?;
            let hashes: BTreeSet<&str> = present.iter().map(|(_, hash)| hash.as_str()).collect();
            let names: HashMap<&str, &str> = present
                .iter()
                .map(|(name, hash)| (name.as_str(), hash.as_str()))
                .collect();
            let (known, new): (Vec<&RawToken>, Vec<&RawToken>) = tables
                .tokens
                .iter()
                .partition(|token| hashes.contains(token.token_hash.as_str()));
            restored.tokens_skipped = known.len();
            let taken: Vec<&str> = new
                .iter()
                .filter(|token| names.contains_key(token.name.as_str()))
                .map(|token| token.name.as_str())
                .collect();
            if !taken.is_empty() && !replace {
                return Err(StoreError::AlreadyExists(format!(
                    "tokens named {} (with other secrets)",
                    taken.join(", ")
                )));
            }
            for token in new {
                if names.contains_key(token.name.as_str()) {
                    sqlx::query("DELETE FROM api_tokens WHERE name = $1")
                        .bind(&token.name)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO api_tokens (name, token_hash, role, created_at, revoked_at, \
                     titles, expires_at, last_used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&token.name)
                .bind(&token.token_hash)
                .bind(&token.role)
                .bind(&token.created_at)
                .bind(&token.revoked_at)
                .bind(&token.titles)
                .bind(&token.expires_at)
                .bind(&token.last_used_at)
                .execute(&mut *tx)
                .await
                .map_err(|error| refused_rows(RawToken::NAME, error))?;
                restored.tokens_added += 1;
            }
            if postgres {
                // Holds off other audit writes, so the ids chosen below stay free.
                sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE").execute(&mut *tx).await?;
            }
            let present: Vec<(i64, i64, String, String)> =
                sqlx::query_as("SELECT id, occurred_at, actor, action FROM audit_log")
                    .fetch_all(&mut *tx)
                    .await?;
            let largest = present.iter().map(|(id, ..)| *id).max();
            let seen: HashSet<(i64, &str, &str)> = present
                .iter()
                .map(|(_, at, actor, action)| (*at, actor.as_str(), action.as_str()))
                .collect();
            let mut added: Vec<RawAuditEntry> = tables
                .audit
                .iter()
                .filter(|entry| {
                    !seen.contains(&(entry.occurred_at, entry.actor.as_str(), entry.action.as_str()))
                })
                .cloned()
                .collect();
            restored.audit_skipped = tables.audit.len() - added.len();
            restored.audit_added = added.len();
            if let Some(largest) = largest {
                // Nothing refers to an entry's id: entries of another history go after ours.
                for (offset, entry) in (1..).zip(added.iter_mut()) {
                    entry.id = largest.saturating_add(offset);
                }
            }
            insert_table!(tx, postgres, RawAuditEntry, added);
            if postgres {
                reset_identity_sequences!(tx);
            }
            tx.commit().await?;
            Ok(restored)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_holds_or_leaves_out_every_table_the_transfer_copies() {
        let copied: Vec<&str> = crate::transfer::TableCounts::default()
            .by_table()
            .map(|(table, _)| table)
            .to_vec();
        let mut covered: Vec<&str> = BACKED_UP_TABLES.to_vec();
        covered.extend(LEFT_OUT_TABLES);
        covered.sort_unstable();
        let mut copied_sorted = copied.clone();
        copied_sorted.sort_unstable();
        assert_eq!(covered, copied_sorted);
    }

    #[test]
    fn a_replacing_restore_empties_every_os_update_table_the_transfer_knows() {
        for table in OS_CONTENT_TABLES {
            assert!(OS_TABLES_CHILDREN_FIRST.contains(&table), "{table}");
        }
        assert!(IDENTITY_TABLES.contains(&RawPolicy::NAME));
    }
}
