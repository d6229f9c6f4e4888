//! Bindings: which devices and device groups a policy or a policy group applies to.
//!
//! One row per (subject, target): a policy or a policy group (exactly one) and a device or a
//! device group (exactly one). A subject's bindings are always replaced as a whole, after checking
//! that the subject and every target exist; foreign keys delete the bindings of a deleted subject
//! or target. Targets are stored and returned sorted, without duplicates.

use std::collections::BTreeMap;

use ringmaster_domain::ids::{DeviceGroupId, PolicyGroupId, PolicyId};

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::policies::{
    BindingTargets, BindingsWrite, StoredBinding, Subject, UnknownTargets,
};
use crate::os_updates::{
    ROWS_PER_STATEMENT, bump_os_update_counter, corrupt, existing_keys, values_list,
};
use crate::store::Store;

/// A binding row's target columns: `(device_id, device_group_id)`.
type TargetRow = (Option<String>, Option<i64>);

impl Store {
    /// Replaces every binding of `subject` with `targets` in one transaction, after checking that
    /// the subject and every target exist. Targets are stored sorted and without duplicates.
    pub async fn set_bindings(
        &self,
        subject: Subject,
        targets: &BindingTargets,
    ) -> Result<BindingsWrite, StoreError> {
        let wanted = targets.normalized();
        let queries = queries_of(subject);
        let (policy_id, policy_group_id) = columns_of(subject);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let exists: Option<i64> = sqlx::query_scalar(queries.exists)
                .bind(subject_id(subject))
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(BindingsWrite::SubjectNotFound);
            }
            let known_devices = existing_keys!(
                tx, "SELECT id FROM devices WHERE id IN ", String, wanted.devices
            );
            let wanted_groups: Vec<i64> = wanted.device_groups.iter().map(|id| id.get()).collect();
            let known_groups = existing_keys!(
                tx, "SELECT id FROM device_groups WHERE id IN ", i64, wanted_groups
            );
            let unknown = UnknownTargets {
                devices: positions(&targets.devices, |id| !known_devices.contains(id)),
                device_groups: positions(&targets.device_groups, |id| !known_groups.contains(&id.get())),
            };
            if !unknown.devices.is_empty() || !unknown.device_groups.is_empty() {
                return Ok(BindingsWrite::Refused(unknown));
            }
            let rows: Vec<TargetRow> = sqlx::query_as(queries.targets)
                .bind(subject_id(subject))
                .fetch_all(&mut *tx)
                .await?;
            if targets_of(rows) == wanted {
                tx.rollback().await?;
                return Ok(BindingsWrite::Written(wanted));
            }
            sqlx::query(queries.delete)
                .bind(subject_id(subject))
                .execute(&mut *tx)
                .await?;
            let rows: Vec<(Option<&str>, Option<i64>)> = wanted
                .devices
                .iter()
                .map(|device| (Some(device.as_str()), None))
                .chain(wanted.device_groups.iter().map(|group| (None, Some(group.get()))))
                .collect();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let sql = format!("{INSERT_BINDINGS}{}", values_list(chunk.len(), 4));
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (device, device_group) in chunk {
                    query = query
                        .bind(policy_id)
                        .bind(policy_group_id)
                        .bind(*device)
                        .bind(*device_group);
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(BindingsWrite::Written(wanted))
        })
    }

    /// The targets of `subject` (sorted); `None` when there is no such subject.
    pub async fn get_bindings(
        &self,
        subject: Subject,
    ) -> Result<Option<BindingTargets>, StoreError> {
        let queries = queries_of(subject);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let exists: Option<i64> = sqlx::query_scalar(queries.exists)
                .bind(subject_id(subject))
                .fetch_optional(&mut *tx)
                .await?;
            if exists.is_none() {
                return Ok(None);
            }
            let rows: Vec<TargetRow> = sqlx::query_as(queries.targets)
                .bind(subject_id(subject))
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(targets_of(rows)))
        })
    }

    /// Every subject with at least one target, sorted by subject.
    pub async fn list_bindings(&self) -> Result<Vec<StoredBinding>, StoreError> {
        let rows: Vec<BindingRow> = on_pool!(self, pool => {
            sqlx::query_as(SELECT_ALL_BINDINGS).fetch_all(pool).await?
        });
        assemble_bindings(rows)
    }
}

pub(crate) const SELECT_ALL_BINDINGS: &str =
    "SELECT policy_id, policy_group_id, device_id, device_group_id FROM update_bindings";

const INSERT_BINDINGS: &str =
    "INSERT INTO update_bindings (policy_id, policy_group_id, device_id, device_group_id) VALUES ";

/// The queries that differ by the kind of subject.
struct SubjectQueries {
    exists: &'static str,
    targets: &'static str,
    delete: &'static str,
}

const POLICY_QUERIES: SubjectQueries = SubjectQueries {
    exists: "SELECT id FROM update_policies WHERE id = $1",
    targets: "SELECT device_id, device_group_id FROM update_bindings WHERE policy_id = $1",
    delete: "DELETE FROM update_bindings WHERE policy_id = $1",
};

const POLICY_GROUP_QUERIES: SubjectQueries = SubjectQueries {
    exists: "SELECT id FROM update_policy_groups WHERE id = $1",
    targets: "SELECT device_id, device_group_id FROM update_bindings WHERE policy_group_id = $1",
    delete: "DELETE FROM update_bindings WHERE policy_group_id = $1",
};

/// The id of the policy or policy group a binding subject names.
fn subject_id(subject: Subject) -> i64 {
    match subject {
        Subject::Policy(id) => id.get(),
        Subject::PolicyGroup(id) => id.get(),
    }
}

fn queries_of(subject: Subject) -> &'static SubjectQueries {
    match subject {
        Subject::Policy(_) => &POLICY_QUERIES,
        Subject::PolicyGroup(_) => &POLICY_GROUP_QUERIES,
    }
}

/// The `(policy_id, policy_group_id)` columns of the subject's binding rows.
fn columns_of(subject: Subject) -> (Option<i64>, Option<i64>) {
    match subject {
        Subject::Policy(id) => (Some(id.get()), None),
        Subject::PolicyGroup(id) => (None, Some(id.get())),
    }
}

/// Positions in `items` of the items `unknown` says are unknown.
fn positions<T>(items: &[T], unknown: impl Fn(&T) -> bool) -> Vec<usize> {
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| unknown(item))
        .map(|(position, _)| position)
        .collect()
}

/// `(device_id, device_group_id)` rows → sorted targets.
fn targets_of(rows: Vec<TargetRow>) -> BindingTargets {
    let mut targets = BindingTargets::default();
    for (device, device_group) in rows {
        targets.devices.extend(device);
        targets
            .device_groups
            .extend(device_group.map(DeviceGroupId::new));
    }
    targets.devices.sort_unstable();
    targets.device_groups.sort_unstable();
    targets
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct BindingRow {
    policy_id: Option<i64>,
    policy_group_id: Option<i64>,
    device_id: Option<String>,
    device_group_id: Option<i64>,
}

/// Binding rows → one [`StoredBinding`] per subject, sorted by subject, targets sorted.
pub(crate) fn assemble_bindings(rows: Vec<BindingRow>) -> Result<Vec<StoredBinding>, StoreError> {
    let mut by_subject: BTreeMap<Subject, Vec<TargetRow>> = BTreeMap::new();
    for row in rows {
        let subject = match (row.policy_id, row.policy_group_id) {
            (Some(id), None) => Subject::Policy(PolicyId::new(id)),
            (None, Some(id)) => Subject::PolicyGroup(PolicyGroupId::new(id)),
            (policy, group) => {
                return Err(corrupt(
                    "update_bindings",
                    format!("a binding of policy {policy:?} and policy group {group:?}"),
                ));
            }
        };
        by_subject
            .entry(subject)
            .or_default()
            .push((row.device_id, row.device_group_id));
    }
    Ok(by_subject
        .into_iter()
        .map(|(subject, rows)| StoredBinding {
            subject,
            targets: targets_of(rows),
        })
        .filter(|binding| !binding.targets.is_empty())
        .collect())
}
