//! Update policies, policy groups (the default rings among them), and bindings.
//!
//! A policy is stored as its API document (`render_policy`), with its name (unique) and platform
//! in columns of their own, and re-parsed with `parse_policy` on load. Its `revision` is the
//! OS-update counter value of its last write, for optimistic concurrency. Deleting a policy group
//! keeps its policies, without a group. The types of every policy-side answer live here:
//!
//! - [`rings`]: creating the default rings, once.
//! - [`bindings`]: which devices and device groups a policy or a policy group applies to.

pub mod bindings;
pub mod rings;

use jiff::Timestamp;
pub use ringmaster_domain::assignment::Subject;
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
pub use ringmaster_domain::inventory::BindingTargets;
use ringmaster_domain::policy::model::UpdatePolicy;
use ringmaster_domain::policy::parse::parse_policy;
use ringmaster_domain::policy::render::render_policy;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::{bump_os_update_counter, corrupt, parse_timestamp, unique_or};
use crate::store::Store;

/// A policy as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub id: PolicyId,
    pub policy: UpdatePolicy,
    pub group_id: Option<PolicyGroupId>,
    /// The OS-update revision of the policy's last write; an `ETag` for admins.
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A policy group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicyGroup {
    pub id: PolicyGroupId,
    pub name: String,
    /// The ring's place for default rings (0 first); `None` for other groups.
    pub ring_order: Option<i32>,
    pub created_at: Timestamp,
}

/// One subject and its targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBinding {
    pub subject: Subject,
    pub targets: BindingTargets,
}

/// Why a bindings write was refused: positions (in the caller's lists) of ids that do not exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownTargets {
    pub devices: Vec<usize>,
    pub device_groups: Vec<usize>,
}

/// What [`Store::set_bindings`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingsWrite {
    /// The subject's bindings are now these (sorted, without duplicates).
    Written(BindingTargets),
    SubjectNotFound,
    /// Some targets do not exist; nothing was written.
    Refused(UnknownTargets),
}

/// One default ring as stored: its group and the policies in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRingGroup {
    pub group: StoredPolicyGroup,
    /// By id.
    pub policies: Vec<StoredPolicy>,
}

/// What [`Store::ensure_default_rings`] found or made, in the order of the ring definitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRings {
    /// Whether anything was created.
    pub created: bool,
    pub rings: Vec<DefaultRingGroup>,
}

impl Store {
    /// Stores a new policy; [`StoreError::AlreadyExists`] if its name is taken. `group_id` must
    /// name an existing policy group (a foreign key: [`StoreError::Database`] otherwise).
    pub async fn insert_policy(
        &self,
        policy: &UpdatePolicy,
        group_id: Option<PolicyGroupId>,
        now: Timestamp,
    ) -> Result<StoredPolicy, StoreError> {
        let document = render_policy(policy).to_string();
        let name = policy.name.as_str();
        let created_at = now.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let id: i64 = sqlx::query_scalar(INSERT_POLICY)
                .bind(name)
                .bind(policy.platform().as_str())
                .bind(&document)
                .bind(group_id.map(PolicyGroupId::get))
                .bind(revision)
                .bind(&created_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| unique_or(error, || format!("policy \"{name}\"")))?;
            tx.commit().await?;
            Ok(StoredPolicy {
                id: PolicyId::new(id),
                policy: policy.clone(),
                group_id,
                revision,
                created_at: now,
                updated_at: now,
            })
        })
    }

    /// Every policy, by id.
    pub async fn list_policies(&self) -> Result<Vec<StoredPolicy>, StoreError> {
        let rows: Vec<PolicyRow> = on_pool!(self, pool => {
            sqlx::query_as(SELECT_ALL_POLICIES).fetch_all(pool).await?
        });
        rows.into_iter().map(PolicyRow::into_stored).collect()
    }

    pub async fn get_policy(&self, id: PolicyId) -> Result<Option<StoredPolicy>, StoreError> {
        let row: Option<PolicyRow> = on_pool!(self, pool => {
            sqlx::query_as(SELECT_POLICY).bind(id.get()).fetch_optional(pool).await?
        });
        row.map(PolicyRow::into_stored).transpose()
    }

    /// Replaces a policy's document. `Ok(None)`: no such policy. With `expected_revision`, only
    /// if the policy is still at that revision ([`StoreError::RevisionMismatch`] otherwise).
    /// [`StoreError::AlreadyExists`] when the new name is another policy's. An equal document
    /// writes nothing and returns the stored policy unchanged.
    pub async fn replace_policy(
        &self,
        id: PolicyId,
        policy: &UpdatePolicy,
        expected_revision: Option<i64>,
        now: Timestamp,
    ) -> Result<Option<StoredPolicy>, StoreError> {
        let document = render_policy(policy).to_string();
        let name = policy.name.as_str();
        let updated_at = now.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let row: Option<PolicyRow> = sqlx::query_as(SELECT_POLICY)
                .bind(id.get())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let stored = row.into_stored()?;
            if let Some(expected) = expected_revision
                && expected != stored.revision
            {
                return Err(StoreError::RevisionMismatch {
                    what: format!("policy {id}"),
                    expected,
                    found: Some(stored.revision),
                });
            }
            if stored.policy == *policy {
                tx.rollback().await?;
                return Ok(Some(stored));
            }
            sqlx::query(
                "UPDATE update_policies SET name = $2, platform = $3, document = $4, \
                 revision = $5, updated_at = $6 WHERE id = $1",
            )
            .bind(id.get())
            .bind(name)
            .bind(policy.platform().as_str())
            .bind(&document)
            .bind(revision)
            .bind(&updated_at)
            .execute(&mut *tx)
            .await
            .map_err(|error| unique_or(error, || format!("policy \"{name}\"")))?;
            tx.commit().await?;
            Ok(Some(StoredPolicy {
                policy: policy.clone(),
                revision,
                updated_at: now,
                ..stored
            }))
        })
    }

    /// Deletes a policy and its bindings; `Ok(false)` if there was none. With
    /// `expected_revision`, only if the policy is still at that revision.
    pub async fn delete_policy(
        &self,
        id: PolicyId,
        expected_revision: Option<i64>,
    ) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let found: Option<i64> =
                sqlx::query_scalar("SELECT revision FROM update_policies WHERE id = $1")
                    .bind(id.get())
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(found) = found else {
                return Ok(false);
            };
            if let Some(expected) = expected_revision
                && expected != found
            {
                return Err(StoreError::RevisionMismatch {
                    what: format!("policy {id}"),
                    expected,
                    found: Some(found),
                });
            }
            sqlx::query("DELETE FROM update_policies WHERE id = $1")
                .bind(id.get())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Stores a new policy group; [`StoreError::AlreadyExists`] if its name is taken.
    pub async fn insert_policy_group(
        &self,
        name: &str,
        ring_order: Option<i32>,
        now: Timestamp,
    ) -> Result<StoredPolicyGroup, StoreError> {
        let created_at = now.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            bump_os_update_counter!(tx);
            let id: i64 = sqlx::query_scalar(INSERT_POLICY_GROUP)
                .bind(name)
                .bind(ring_order)
                .bind(&created_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| unique_or(error, || format!("policy group \"{name}\"")))?;
            tx.commit().await?;
            Ok(StoredPolicyGroup {
                id: PolicyGroupId::new(id),
                name: name.to_owned(),
                ring_order,
                created_at: now,
            })
        })
    }

    /// Every policy group: by ring order (groups without one last), then id.
    pub async fn list_policy_groups(&self) -> Result<Vec<StoredPolicyGroup>, StoreError> {
        let rows: Vec<PolicyGroupRow> = on_pool!(self, pool => {
            sqlx::query_as(SELECT_ALL_POLICY_GROUPS).fetch_all(pool).await?
        });
        rows.into_iter().map(PolicyGroupRow::into_stored).collect()
    }

    pub async fn get_policy_group(
        &self,
        id: PolicyGroupId,
    ) -> Result<Option<StoredPolicyGroup>, StoreError> {
        let row: Option<PolicyGroupRow> = on_pool!(self, pool => {
            sqlx::query_as(concat!(select_policy_groups!(), " WHERE id = $1"))
                .bind(id.get())
                .fetch_optional(pool)
                .await?
        });
        row.map(PolicyGroupRow::into_stored).transpose()
    }

    /// Deletes a policy group and its bindings; its policies stay, without a group (and with a
    /// new revision, as they changed). `Ok(false)` if there was none.
    pub async fn delete_policy_group(&self, id: PolicyGroupId) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM update_policy_groups WHERE id = $1")
                    .bind(id.get())
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Ok(false);
            }
            sqlx::query(
                "UPDATE update_policies SET group_id = NULL, revision = $2 WHERE group_id = $1",
            )
            .bind(id.get())
            .bind(revision)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM update_policy_groups WHERE id = $1")
                .bind(id.get())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

macro_rules! select_policies {
    () => {
        "SELECT id, document, group_id, revision, created_at, updated_at FROM update_policies"
    };
}
use select_policies;

macro_rules! select_policy_groups {
    () => {
        "SELECT id, name, ring_order, created_at FROM update_policy_groups"
    };
}
use select_policy_groups;

pub(crate) const SELECT_ALL_POLICIES: &str = concat!(select_policies!(), " ORDER BY id");
const SELECT_POLICY: &str = concat!(select_policies!(), " WHERE id = $1");
pub(crate) const SELECT_ALL_POLICY_GROUPS: &str = concat!(
    select_policy_groups!(),
    " ORDER BY ring_order NULLS LAST, id"
);
const INSERT_POLICY: &str = "INSERT INTO update_policies (name, platform, document, group_id, \
     revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
const INSERT_POLICY_GROUP: &str = "INSERT INTO update_policy_groups (name, ring_order, created_at) \
     VALUES ($1, $2, $3) RETURNING id";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PolicyRow {
    id: i64,
    document: String,
    group_id: Option<i64>,
    revision: i64,
    created_at: String,
    updated_at: String,
}

impl PolicyRow {
    pub(crate) fn into_stored(self) -> Result<StoredPolicy, StoreError> {
        let what = format!("update_policies/{}", self.id);
        let document: serde_json::Value =
            serde_json::from_str(&self.document).map_err(|error| corrupt(&what, error))?;
        let parsed = parse_policy(&document).map_err(|errors| corrupt(&what, errors))?;
        Ok(StoredPolicy {
            id: PolicyId::new(self.id),
            policy: parsed.policy,
            group_id: self.group_id.map(PolicyGroupId::new),
            revision: self.revision,
            created_at: parse_timestamp(&self.created_at, &what, "created_at")?,
            updated_at: parse_timestamp(&self.updated_at, &what, "updated_at")?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PolicyGroupRow {
    id: i64,
    name: String,
    ring_order: Option<i32>,
    created_at: String,
}

impl PolicyGroupRow {
    pub(crate) fn into_stored(self) -> Result<StoredPolicyGroup, StoreError> {
        let what = format!("update_policy_groups/{}", self.id);
        Ok(StoredPolicyGroup {
            created_at: parse_timestamp(&self.created_at, &what, "created_at")?,
            id: PolicyGroupId::new(self.id),
            name: self.name,
            ring_order: self.ring_order,
        })
    }
}
