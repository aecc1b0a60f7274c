//! An operation record read with its view given link by link ([`super::State::op_streaming`]):
//! every other field is read as the record's own `Deserialize` reads it.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{Operation, OwnedLink};

/// Reads an [`Operation`], giving each link of its view to `each`; the operation has an empty
/// view.
pub(super) struct OperationSeed<'a> {
    pub(super) each: &'a mut dyn FnMut(OwnedLink),
}

impl<'de> DeserializeSeed<'de> for OperationSeed<'_> {
    type Value = Operation;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Operation, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for OperationSeed<'_> {
    type Value = Operation;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an operation record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Operation, A::Error> {
        let each = self.each;
        // The other fields, for the record's own reading (they are few and small).
        let mut rest = serde_json::Map::new();
        let mut view = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "view" {
                if view {
                    return Err(de::Error::duplicate_field("view"));
                }
                view = true;
                map.next_value_seed(ViewSeed { each: &mut *each })?;
                rest.insert(key, serde_json::Value::Array(Vec::new()));
                continue;
            }
            let value: serde_json::Value = map.next_value()?;
            if rest.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
            rest.insert(key, value);
        }
        if !view {
            return Err(de::Error::missing_field("view"));
        }
        Operation::deserialize(serde_json::Value::Object(rest)).map_err(de::Error::custom)
    }
}

/// A view: each link given to `each` as it is read.
struct ViewSeed<'a> {
    each: &'a mut dyn FnMut(OwnedLink),
}

impl<'de> DeserializeSeed<'de> for ViewSeed<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ViewSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of owned links")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(link) = seq.next_element::<OwnedLink>()? {
            (self.each)(link);
        }
        Ok(())
    }
}
