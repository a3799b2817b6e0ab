//! Validated strings: the impls every string newtype of the crate shares, written once.

/// Gives a validated string type (with `as_str()`) `Display`, `AsRef<str>`, `FromStr` and
/// `TryFrom<&str>` through `$parse`, and serde as the bare string, read back through
/// `$deserialize` (which may be more lenient than `$parse`, so that stored values read back).
macro_rules! validated_str {
    ($type:ty, $error:ty, parse = $parse:path, deserialize = $deserialize:expr) => {
        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $type {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl ::std::str::FromStr for $type {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $parse(s)
            }
        }

        impl TryFrom<&str> for $type {
            type Error = $error;

            fn try_from(s: &str) -> Result<Self, Self::Error> {
                $parse(s)
            }
        }

        impl ::serde::Serialize for $type {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $type {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let raw = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                let deserialize: fn(&str) -> Result<$type, $error> = $deserialize;
                deserialize(&raw).map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use validated_str;
