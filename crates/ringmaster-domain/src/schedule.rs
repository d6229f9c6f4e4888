//! The rollout schedule: for a device, policy timing, catalog and instant, which releases are
//! visible, which version is enforced, and by when.
