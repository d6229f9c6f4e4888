-- How each device enrolled and what it says it can take (capability gating).
-- enrollment_type: 'device' or 'userEnrollmentDevice' (NanoMDM's X-Enrollment-Type, or the keys of
-- a raw check-in); NULL until an MDM says. User channels are never stored as devices.
-- client_configurations: the configuration types of its management.client-capabilities that
-- ringmaster serves, as a JSON array of strings; NULL until the device reports them.
ALTER TABLE devices ADD COLUMN enrollment_type TEXT;
ALTER TABLE devices ADD COLUMN client_configurations TEXT;
