//! Paths in records (intent.json, ops/*.json), stored losslessly: a path that is valid Unicode
//! is a JSON string, as records have always held; any other is `{"bytes": [..]}` (Unix: the
//! name's bytes) or `{"wide": [..]}` (Windows: its UTF-16 units), so that a file name that is not
//! UTF-8 is recorded, undone and unlinked byte-exact. Used as `#[serde(with = "...")]` on the
//! `PathBuf` fields of records; [`option`] and [`vec`](mod@vec) for `Option<PathBuf>` and `Vec<PathBuf>`.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};

/// Writes `path` as a string when it is Unicode, else as its raw units.
pub(crate) fn serialize<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    if let Some(text) = path.to_str() {
        return s.serialize_str(text);
    }
    let mut map = s.serialize_map(Some(1))?;
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        map.serialize_entry("bytes", path.as_os_str().as_bytes())?;
    }
    #[cfg(windows)]
    {
        use std::os::windows::ffi::OsStrExt;
        let wide: Vec<u16> = path.as_os_str().encode_wide().collect();
        map.serialize_entry("wide", &wide)?;
    }
    map.end()
}

/// Reads a path written by [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
    d.deserialize_any(PathVisitor)
}

struct PathVisitor;

impl<'de> Visitor<'de> for PathVisitor {
    type Value = PathBuf;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a path: a string, {\"bytes\": [..]} or {\"wide\": [..]}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<PathBuf, E> {
        Ok(PathBuf::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<PathBuf, E> {
        Ok(PathBuf::from(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PathBuf, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(de::Error::custom("a path object needs `bytes` or `wide`"));
        };
        let path = match key.as_str() {
            "bytes" => from_bytes(map.next_value()?)?,
            "wide" => from_wide(map.next_value()?)?,
            other => return Err(de::Error::unknown_field(other, &["bytes", "wide"])),
        };
        if map.next_key::<String>()?.is_some() {
            return Err(de::Error::custom("a path object has one key"));
        }
        Ok(path)
    }
}

#[cfg(unix)]
fn from_bytes<E: de::Error>(bytes: Vec<u8>) -> Result<PathBuf, E> {
    use std::os::unix::ffi::OsStringExt;
    Ok(PathBuf::from(OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn from_bytes<E: de::Error>(_: Vec<u8>) -> Result<PathBuf, E> {
    Err(E::custom(
        "a path recorded as Unix bytes cannot name a file here",
    ))
}

#[cfg(windows)]
fn from_wide<E: de::Error>(wide: Vec<u16>) -> Result<PathBuf, E> {
    use std::os::windows::ffi::OsStringExt;
    Ok(PathBuf::from(OsString::from_wide(&wide)))
}

#[cfg(not(windows))]
fn from_wide<E: de::Error>(_: Vec<u16>) -> Result<PathBuf, E> {
    Err(E::custom(
        "a path recorded as Windows UTF-16 cannot name a file here",
    ))
}

/// A path in a record, for `Option` and `Vec` fields.
#[derive(serde::Deserialize)]
#[serde(transparent)]
struct Recorded(#[serde(with = "self")] PathBuf);

/// A path to write, for `Option` and `Vec` fields.
struct Ref<'a>(&'a Path);

impl serde::Serialize for Ref<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize(self.0, s)
    }
}

/// `Option<PathBuf>` fields.
pub(crate) mod option {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        path: &Option<PathBuf>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match path {
            Some(p) => s.serialize_some(&Ref(p)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<PathBuf>, D::Error> {
        let recorded: Option<Recorded> = serde::Deserialize::deserialize(d)?;
        Ok(recorded.map(|r| r.0))
    }
}

/// `Vec<PathBuf>` fields.
pub(crate) mod vec {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(paths.iter().map(|p| Ref(p)))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
        let recorded: Vec<Recorded> = serde::Deserialize::deserialize(d)?;
        Ok(recorded.into_iter().map(|r| r.0).collect())
    }
}

/// How [`serialize`] writes a path, for the JSON Schema of the records `log --json` prints.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(crate) enum RecordPath {
    /// A path that is valid Unicode.
    Text(String),
    /// Unix: a path that is not UTF-8, as its bytes.
    Bytes {
        /// The path's bytes.
        bytes: Vec<u8>,
    },
    /// Windows: a path that is not valid UTF-16, as its units.
    Wide {
        /// The path's UTF-16 units.
        wide: Vec<u16>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Record {
        #[serde(with = "super")]
        at: PathBuf,
        #[serde(default, with = "super::option")]
        stored: Option<PathBuf>,
        #[serde(default, with = "super::vec")]
        folders: Vec<PathBuf>,
    }

    fn round_trip(r: &Record) -> (String, Record) {
        let json = serde_json::to_string(r).unwrap();
        let back = serde_json::from_str(&json).unwrap();
        (json, back)
    }

    #[test]
    fn a_unicode_path_stays_a_string() {
        let r = Record {
            at: PathBuf::from("/home/u/café"),
            stored: Some(PathBuf::from("/s/1")),
            folders: vec![PathBuf::from("/home/u/.config")],
        };
        let (json, back) = round_trip(&r);
        assert_eq!(
            json,
            r#"{"at":"/home/u/café","stored":"/s/1","folders":["/home/u/.config"]}"#
        );
        assert_eq!(back, r);
    }

    #[test]
    fn records_written_before_read_as_they_were() {
        let old = r#"{"at":"/h/.x","folders":[]}"#;
        let r: Record = serde_json::from_str(old).unwrap();
        assert_eq!(r.at, PathBuf::from("/h/.x"));
        assert_eq!(r.stored, None);
    }

    #[cfg(unix)]
    #[test]
    fn a_path_that_is_not_utf8_round_trips_byte_exact() {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let odd = PathBuf::from(OsString::from_vec(b"/h/caf\xe9".to_vec()));
        let r = Record {
            at: odd.clone(),
            stored: Some(odd.clone()),
            folders: vec![odd.clone(), PathBuf::from("/h")],
        };
        let (json, back) = round_trip(&r);
        assert!(
            json.starts_with(r#"{"at":{"bytes":[47,104,47,99,97,102,233]}"#),
            "{json}"
        );
        assert_eq!(back.at.as_os_str().as_bytes(), b"/h/caf\xe9");
        assert_eq!(back, r);
    }

    #[test]
    fn a_path_object_other_than_bytes_or_wide_is_an_error() {
        for bad in [
            r#"{"at":{"chars":[1]}}"#,
            r#"{"at":{}}"#,
            r#"{"at":{"bytes":[1],"wide":[1]}}"#,
            r#"{"at":{"bytes":[300]}}"#,
            r#"{"at":7}"#,
        ] {
            assert!(serde_json::from_str::<Record>(bad).is_err(), "{bad}");
        }
    }

    #[cfg(windows)]
    #[test]
    fn a_path_that_is_not_unicode_round_trips_unit_exact() {
        use std::os::windows::ffi::{OsStrExt, OsStringExt};
        let odd = PathBuf::from(OsString::from_wide(&[0x43, 0x3a, 0x5c, 0xd800]));
        let r = Record {
            at: odd.clone(),
            stored: None,
            folders: vec![],
        };
        let (json, back) = round_trip(&r);
        assert!(json.contains(r#"{"wide":[67,58,92,55296]}"#), "{json}");
        assert_eq!(
            back.at.as_os_str().encode_wide().collect::<Vec<_>>(),
            [0x43, 0x3a, 0x5c, 0xd800]
        );
    }
}
