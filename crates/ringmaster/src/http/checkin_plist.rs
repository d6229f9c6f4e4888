//! Apple's check-in message (`PUT /mdm/checkin`), read from XML or binary plist with limits.
//!
//! `plist::from_bytes` builds a whole `Value` tree recursively, so a plist nested a few thousand
//! levels deep overflows the stack, and a small binary plist whose objects share references (one
//! array listed N times by another, a few levels deep) expands to billions of values. This reader
//! drives the plist crate's event stream instead (which walks nesting with its own stack and reads
//! shared objects lazily, once per visit) and stops at the first limit it meets:
//!
//! - nesting deeper than [`MAX_DEPTH`] levels (Apple's check-in dictionary is one level, with
//!   flat values);
//! - more than [`MAX_OBJECTS`] objects in all, counting every visit of a shared object; an array
//!   or dictionary that announces more entries than are left is refused before they are read;
//! - strings and data adding up to more than twice the body (plus a little): an honest plist
//!   never decodes to more text than it holds, so only shared references get there.
//!
//! Only what the check-in needs is kept: the top-level string and data values. Everything else is
//! walked (and counted) but dropped.

use std::collections::BTreeMap;
use std::io::Cursor;

use plist::stream::{Event, Reader};

/// The deepest nesting accepted; the top-level dictionary is level 1.
pub const MAX_DEPTH: usize = 16;
/// The most objects (keys, values, containers, every visit of a shared one) accepted.
pub const MAX_OBJECTS: usize = 4096;
/// Slack on the decoded-bytes limit for very small bodies.
const DECODED_BYTES_SLACK: usize = 4096;

/// A top-level value the check-in may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInValue {
    String(String),
    Data(Vec<u8>),
    /// A number, date, boolean, array or dictionary: kept only as "present".
    Other,
}

/// The top-level dictionary of a check-in, its strings and data kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckInMessage {
    entries: BTreeMap<String, CheckInValue>,
}

impl CheckInMessage {
    /// The string at `key`; `None` when absent or of another type.
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.entries.get(key) {
            Some(CheckInValue::String(text)) => Some(text),
            _ => None,
        }
    }

    /// The data at `key`; `None` when absent or of another type.
    pub fn data(&self, key: &str) -> Option<&[u8]> {
        match self.entries.get(key) {
            Some(CheckInValue::Data(bytes)) => Some(bytes),
            _ => None,
        }
    }
}

/// Why a check-in could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInPlistError {
    #[error("the check-in is not a property list: {0}")]
    NotPlist(String),
    #[error("the check-in is a property list but not a dictionary")]
    NotDictionary,
    #[error("the check-in nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error(
        "the check-in has more than {MAX_OBJECTS} objects (counting each use of a shared object)"
    )]
    TooManyObjects,
    #[error(
        "the check-in's strings and data decode to more than {limit} bytes (shared objects \
         counted each time they are used)"
    )]
    TooLarge { limit: usize },
    #[error("a dictionary key in the check-in is not a string")]
    KeyNotString,
}

/// Reads the check-in's top-level dictionary from `body` (XML or binary plist) within the limits.
pub fn read_check_in(body: &[u8]) -> Result<CheckInMessage, CheckInPlistError> {
    let mut walk = Walk {
        objects: 0,
        decoded_bytes: 0,
        decoded_limit: body
            .len()
            .saturating_mul(2)
            .saturating_add(DECODED_BYTES_SLACK),
    };
    let mut events = Reader::new(Cursor::new(body));
    match walk.next(&mut events)? {
        Some(Event::StartDictionary(announced)) => walk.announce(announced, 2)?,
        Some(_) => return Err(CheckInPlistError::NotDictionary),
        None => return Err(CheckInPlistError::NotPlist("the body is empty".to_owned())),
    }
    let mut message = CheckInMessage::default();
    loop {
        let key = match walk.next(&mut events)? {
            Some(Event::EndCollection) => return Ok(message),
            Some(Event::String(key)) => key.into_owned(),
            Some(_) => return Err(CheckInPlistError::KeyNotString),
            None => return Err(unexpected_end()),
        };
        let value = match walk.next(&mut events)? {
            Some(Event::String(text)) => CheckInValue::String(text.into_owned()),
            Some(Event::Data(bytes)) => CheckInValue::Data(bytes.into_owned()),
            Some(Event::StartArray(announced)) => {
                walk.announce(announced, 1)?;
                walk.skip_container(&mut events, 2)?;
                CheckInValue::Other
            }
            Some(Event::StartDictionary(announced)) => {
                walk.announce(announced, 2)?;
                walk.skip_container(&mut events, 2)?;
                CheckInValue::Other
            }
            Some(Event::EndCollection) => {
                return Err(CheckInPlistError::NotPlist(format!(
                    "the key {key:?} has no value"
                )));
            }
            Some(_) => CheckInValue::Other,
            None => return Err(unexpected_end()),
        };
        message.entries.insert(key, value);
    }
}

/// The counters of one read.
struct Walk {
    objects: usize,
    decoded_bytes: usize,
    decoded_limit: usize,
}

impl Walk {
    /// The next event, counted against the limits.
    fn next(
        &mut self,
        events: &mut Reader<Cursor<&[u8]>>,
    ) -> Result<Option<Event<'static>>, CheckInPlistError> {
        let Some(event) = events.next() else {
            return Ok(None);
        };
        let event = event.map_err(|error| CheckInPlistError::NotPlist(error.to_string()))?;
        if !matches!(event, Event::EndCollection) {
            self.objects += 1;
            if self.objects > MAX_OBJECTS {
                return Err(CheckInPlistError::TooManyObjects);
            }
        }
        let decoded = match &event {
            Event::String(text) => text.len(),
            Event::Data(bytes) => bytes.len(),
            _ => 0,
        };
        self.decoded_bytes = self.decoded_bytes.saturating_add(decoded);
        if self.decoded_bytes > self.decoded_limit {
            return Err(CheckInPlistError::TooLarge {
                limit: self.decoded_limit,
            });
        }
        Ok(Some(event))
    }

    /// Refuses a container whose announced entries (`per_entry` objects each: 2 for a
    /// dictionary's key and value) would pass [`MAX_OBJECTS`], before they are read.
    fn announce(&self, announced: Option<u64>, per_entry: u64) -> Result<(), CheckInPlistError> {
        let Some(entries) = announced else {
            return Ok(());
        };
        let left = u64::try_from(MAX_OBJECTS.saturating_sub(self.objects)).unwrap_or(u64::MAX);
        if entries.saturating_mul(per_entry) > left {
            return Err(CheckInPlistError::TooManyObjects);
        }
        Ok(())
    }

    /// Reads past the container just opened at nesting level `depth`, keeping nothing.
    fn skip_container(
        &mut self,
        events: &mut Reader<Cursor<&[u8]>>,
        mut depth: usize,
    ) -> Result<(), CheckInPlistError> {
        let opened = depth;
        loop {
            if depth > MAX_DEPTH {
                return Err(CheckInPlistError::TooDeep);
            }
            match self.next(events)? {
                Some(Event::StartArray(announced)) => {
                    self.announce(announced, 1)?;
                    depth += 1;
                }
                Some(Event::StartDictionary(announced)) => {
                    self.announce(announced, 2)?;
                    depth += 1;
                }
                Some(Event::EndCollection) => {
                    if depth == opened {
                        return Ok(());
                    }
                    depth -= 1;
                }
                Some(_) => {}
                None => return Err(unexpected_end()),
            }
        }
    }
}

fn unexpected_end() -> CheckInPlistError {
    CheckInPlistError::NotPlist("it ends inside a dictionary or array".to_owned())
}

#[cfg(test)]
mod tests {
    use ringmaster_testing::binary_plist::{array, ascii, binary_plist, dictionary};

    use super::*;

    const XML_CHECK_IN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>MessageType</key><string>DeclarativeManagement</string>
<key>Endpoint</key><string>tokens</string>
<key>UDID</key><string>ABC-123</string>
<key>Data</key><data>eyJhIjogMX0=</data>
<key>Extra</key><dict><key>n</key><array><integer>1</integer><true/></array></dict>
</dict></plist>"#;

    #[test]
    fn an_xml_check_in_keeps_its_strings_and_data() {
        let message = read_check_in(XML_CHECK_IN.as_bytes()).unwrap();
        assert_eq!(message.string("MessageType"), Some("DeclarativeManagement"));
        assert_eq!(message.string("Endpoint"), Some("tokens"));
        assert_eq!(message.string("UDID"), Some("ABC-123"));
        assert_eq!(message.data("Data"), Some(&b"{\"a\": 1}"[..]));
        assert_eq!(message.string("Extra"), None);
        assert_eq!(message.string("EnrollmentID"), None);
    }

    #[test]
    fn a_binary_check_in_reads_the_same() {
        let objects = vec![
            dictionary(&[(1, 2), (3, 4)]),
            ascii("MessageType"),
            ascii("DeclarativeManagement"),
            ascii("UDID"),
            ascii("ABC-123"),
        ];
        let message = read_check_in(&binary_plist(&objects, 0)).unwrap();
        assert_eq!(message.string("MessageType"), Some("DeclarativeManagement"));
        assert_eq!(message.string("UDID"), Some("ABC-123"));
    }

    #[test]
    fn deep_xml_is_refused_by_depth() {
        let depth = 2_600;
        let xml = format!(
            "<plist><dict><key>a</key>{}{}</dict></plist>",
            "<array>".repeat(depth),
            "</array>".repeat(depth)
        );
        assert_eq!(
            read_check_in(xml.as_bytes()),
            Err(CheckInPlistError::TooDeep)
        );
        let shallow = format!(
            "<plist><dict><key>a</key>{}{}</dict></plist>",
            "<array>".repeat(MAX_DEPTH - 1),
            "</array>".repeat(MAX_DEPTH - 1)
        );
        assert!(read_check_in(shallow.as_bytes()).is_ok());
    }

    #[test]
    fn deep_binary_is_refused_by_depth() {
        // Object 0 is the root dictionary {"a": array 2}; array i holds array i + 1.
        let levels: u16 = 2_600;
        let mut objects = vec![dictionary(&[(1, 2)]), ascii("a")];
        for level in 0..levels {
            objects.push(array(&[level + 3]));
        }
        objects.push(vec![0x09]);
        assert_eq!(
            read_check_in(&binary_plist(&objects, 0)),
            Err(CheckInPlistError::TooDeep)
        );
    }

    #[test]
    fn shared_references_are_counted_each_time_and_refused() {
        // Array k lists array k - 1 fourteen times: 14^8 leaves from a few hundred bytes.
        let mut objects = vec![dictionary(&[(1, 10)]), ascii("a"), vec![0x09]];
        for level in 0..8u16 {
            objects.push(array(&[level + 2; 14]));
        }
        let body = binary_plist(&objects, 0);
        assert!(body.len() < 600, "{} bytes", body.len());
        assert_eq!(read_check_in(&body), Err(CheckInPlistError::TooManyObjects));
    }

    #[test]
    fn shared_strings_are_refused_by_decoded_size() {
        // 14 references to one 1000-byte string, nested 3 levels: 2744 uses, 2.7 MB decoded.
        let long = "x".repeat(1000);
        let mut string = vec![0x5F, 0x11];
        string.extend_from_slice(&u16::try_from(long.len()).unwrap().to_be_bytes());
        string.extend_from_slice(long.as_bytes());
        let mut objects = vec![dictionary(&[(1, 5)]), ascii("a"), string];
        for level in 0..3u16 {
            objects.push(array(&[level + 2; 14]));
        }
        assert!(matches!(
            read_check_in(&binary_plist(&objects, 0)),
            Err(CheckInPlistError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_cycle_is_not_a_plist() {
        let objects = vec![dictionary(&[(1, 2)]), ascii("a"), array(&[2])];
        assert!(matches!(
            read_check_in(&binary_plist(&objects, 0)),
            Err(CheckInPlistError::NotPlist(_))
        ));
    }

    #[test]
    fn an_announced_oversized_container_is_refused_before_its_entries() {
        // An array announcing 60,000 entries (all the same boolean).
        let mut big = vec![0xAF, 0x11];
        big.extend_from_slice(&60_000u16.to_be_bytes());
        for _ in 0..60_000 {
            big.extend_from_slice(&2u16.to_be_bytes());
        }
        let objects = vec![dictionary(&[(1, 3)]), ascii("a"), vec![0x09], big];
        assert_eq!(
            read_check_in(&binary_plist(&objects, 0)),
            Err(CheckInPlistError::TooManyObjects)
        );
    }

    #[test]
    fn other_shapes_are_refused_with_a_reason() {
        assert_eq!(
            read_check_in(b"<plist><array/></plist>"),
            Err(CheckInPlistError::NotDictionary)
        );
        assert!(matches!(
            read_check_in(b""),
            Err(CheckInPlistError::NotPlist(_))
        ));
        assert!(matches!(
            read_check_in(b"<plist><dict><key>a</key>"),
            Err(CheckInPlistError::NotPlist(_))
        ));
        let objects = vec![dictionary(&[(1, 1)]), vec![0x09]];
        assert_eq!(
            read_check_in(&binary_plist(&objects, 0)),
            Err(CheckInPlistError::KeyNotString)
        );
    }
}
