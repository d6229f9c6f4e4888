//! The default rings: created once, in one transaction, and found again afterwards.
//!
//! Each ring (a [`RingDefinition`]) is a policy group with the ring's order and one macOS and one
//! iOS policy in it. A ring whose group name exists is left as it is, so calling this again, or
//! from several servers at once, creates nothing more: the OS-update counter bump serializes the
//! callers, and each looks for the groups only after it.

use jiff::Timestamp;
use ringmaster_domain::ids::{PolicyGroupId, PolicyId};
use ringmaster_domain::policy::render::render_policy;
use ringmaster_domain::policy::rings::RingDefinition;

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::policies::{
    DefaultRingGroup, DefaultRings, INSERT_POLICY, INSERT_POLICY_GROUP, PolicyGroupRow, PolicyRow,
    StoredPolicy, StoredPolicyGroup, select_policies, select_policy_groups,
};
use crate::os_updates::{bump_os_update_counter, unique_or};
use crate::store::Store;

impl Store {
    /// Creates the default rings that do not exist yet, in one transaction: for each ring whose
    /// group name is free, the group (with the ring's order) and its macOS and iOS policies.
    /// Rings whose group exists are returned as they are, with the policies in that group.
    /// [`StoreError::AlreadyExists`] (and nothing written) when a ring policy's name belongs to
    /// another policy. Idempotent, also under concurrency: the counter bump serializes callers,
    /// and each looks for the groups after it.
    pub async fn ensure_default_rings(
        &self,
        rings: &[RingDefinition],
        now: Timestamp,
    ) -> Result<DefaultRings, StoreError> {
        let created_at = now.to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let mut created = false;
            let mut result = Vec::with_capacity(rings.len());
            for ring in rings {
                let existing: Option<PolicyGroupRow> =
                    sqlx::query_as(concat!(select_policy_groups!(), " WHERE name = $1"))
                        .bind(ring.name)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(row) = existing {
                    let group = row.into_stored()?;
                    let rows: Vec<PolicyRow> = sqlx::query_as(concat!(
                        select_policies!(),
                        " WHERE group_id = $1 ORDER BY id"
                    ))
                    .bind(group.id.get())
                    .fetch_all(&mut *tx)
                    .await?;
                    let policies = rows
                        .into_iter()
                        .map(PolicyRow::into_stored)
                        .collect::<Result<_, _>>()?;
                    result.push(DefaultRingGroup { group, policies });
                    continue;
                }
                let ring_order = Some(i32::from(ring.order));
                let group_id: i64 = sqlx::query_scalar(INSERT_POLICY_GROUP)
                    .bind(ring.name)
                    .bind(ring_order)
                    .bind(&created_at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|error| {
                        unique_or(error, || format!("policy group \"{}\"", ring.name))
                    })?;
                let mut policies = Vec::with_capacity(2);
                for policy in [&ring.macos, &ring.ios] {
                    let name = policy.name.as_str();
                    let id: i64 = sqlx::query_scalar(INSERT_POLICY)
                        .bind(name)
                        .bind(policy.platform().as_str())
                        .bind(render_policy(policy).to_string())
                        .bind(Some(group_id))
                        .bind(revision)
                        .bind(&created_at)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(|error| unique_or(error, || format!("policy \"{name}\"")))?;
                    policies.push(StoredPolicy {
                        id: PolicyId::new(id),
                        policy: policy.clone(),
                        group_id: Some(PolicyGroupId::new(group_id)),
                        revision,
                        created_at: now,
                        updated_at: now,
                    });
                }
                let group = StoredPolicyGroup {
                    id: PolicyGroupId::new(group_id),
                    name: ring.name.to_owned(),
                    ring_order,
                    created_at: now,
                };
                result.push(DefaultRingGroup { group, policies });
                created = true;
            }
            if created {
                tx.commit().await?;
            } else {
                tx.rollback().await?;
            }
            Ok(DefaultRings { created, rings: result })
        })
    }
}
