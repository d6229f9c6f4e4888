-- Hardware identity: a device's software-update id (`softwareupdate.device-id`, a board id on a
-- Mac) beside its model identifier, and the feeds' facts about models.

ALTER TABLE devices ADD COLUMN software_update_device_id TEXT;

-- Before this migration a Mac's reported board id was stored as its model: move it.
UPDATE devices SET software_update_device_id = model, model = NULL
WHERE platform = 'macOS' AND model IS NOT NULL
  AND (model LIKE '%AP' OR model LIKE 'Mac-%' OR model LIKE 'VMM-%');

-- What SOFA's `Models` and `Devices` say about one model identifier.
CREATE TABLE hardware_models (
    model     TEXT PRIMARY KEY NOT NULL,  -- `Mac15,3`
    os_majors TEXT NOT NULL,              -- JSON array of the OS majors it supports, `[14,15,26]`
    board_ids TEXT NOT NULL,              -- JSON array of its software-update ids, `["J504AP"]`
    revision  BIGINT NOT NULL             -- the OS-update revision of its last change
);
