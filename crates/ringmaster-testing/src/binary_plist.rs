//! Hand-built binary property lists (`bplist00`), for the hostile check-in tests: shapes no
//! plist writer makes (shared references, cycles, deep nesting, lying counts) are built object
//! by object. Small on purpose: 2-byte references and offsets, containers under 15 entries.

/// A binary plist of `objects` (each already encoded), 2-byte references and offsets, rooted at
/// object `root`.
pub fn binary_plist(objects: &[Vec<u8>], root: u64) -> Vec<u8> {
    let mut bytes = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for object in objects {
        offsets.push(u16::try_from(bytes.len()).expect("a plist under 64 KiB"));
        bytes.extend_from_slice(object);
    }
    let table = bytes.len() as u64;
    for offset in offsets {
        bytes.extend_from_slice(&offset.to_be_bytes());
    }
    // The trailer: six unused bytes, offset size 2, reference size 2, then the counts.
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 2, 2]);
    bytes.extend_from_slice(&(objects.len() as u64).to_be_bytes());
    bytes.extend_from_slice(&root.to_be_bytes());
    bytes.extend_from_slice(&table.to_be_bytes());
    bytes
}

/// An array (fewer than 15 entries) of 2-byte references.
pub fn array(refs: &[u16]) -> Vec<u8> {
    let mut bytes = vec![0xA0 | u8::try_from(refs.len()).expect("a short array")];
    for reference in refs {
        bytes.extend_from_slice(&reference.to_be_bytes());
    }
    bytes
}

/// An ASCII string object (under 256 bytes).
pub fn ascii(text: &str) -> Vec<u8> {
    let length = u8::try_from(text.len()).expect("a short string");
    let mut bytes = if length < 15 {
        vec![0x50 | length]
    } else {
        vec![0x5F, 0x10, length]
    };
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

/// A dictionary (fewer than 15 entries) of 2-byte key and value references.
pub fn dictionary(pairs: &[(u16, u16)]) -> Vec<u8> {
    let mut bytes = vec![0xD0 | u8::try_from(pairs.len()).expect("a short dictionary")];
    for (key, _) in pairs {
        bytes.extend_from_slice(&key.to_be_bytes());
    }
    for (_, value) in pairs {
        bytes.extend_from_slice(&value.to_be_bytes());
    }
    bytes
}
