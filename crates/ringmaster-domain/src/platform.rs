//! The Apple platforms whose OS updates ringmaster manages, as the API, the feeds and the
//! declarations name them.

use std::fmt;
use std::str::FromStr;

/// The platforms whose updates ringmaster manages. `Ios` covers iPadOS too (same versions).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Platform {
    #[serde(rename = "macOS")]
    MacOs,
    #[serde(rename = "iOS")]
    Ios,
}

impl Platform {
    /// `macOS` or `iOS`, as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::MacOs => "macOS",
            Platform::Ios => "iOS",
        }
    }

    /// Reads `macOS` or `iOS` (any letter case).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "macos" => Ok(Platform::MacOs),
            "ios" => Ok(Platform::Ios),
            _ => Err(format!(
                "\"{text}\" is not a platform ringmaster manages (expected macOS or iOS)"
            )),
        }
    }

    /// Reads the platform a request names, or macOS when it names none (the rings' views
    /// default to it).
    pub fn parse_or_default(text: Option<&str>) -> Result<Self, String> {
        text.map_or(Ok(Platform::MacOs), Platform::parse)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}
