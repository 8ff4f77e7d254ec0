//! `vocabulary!`: a closed vocabulary (role, stage, step kind…) as an enum that parses from
//! and prints as its snake_case text, with an error that names the value and lists the allowed
//! ones. Used wherever the domain has a fixed list of words.

/// A closed vocabulary: every word it allows, in order — what the OpenAPI document lists, so
/// the API's description can never drift from the words the domain accepts.
pub trait Vocabulary: Sized + Copy + 'static {
    /// What the word names, in people's words ("agreement kind").
    const WHAT: &'static str;
    const ALL: &'static [Self];
    fn word(self) -> &'static str;
    fn words() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.word()).collect()
    }
}

/// A vocabulary's schema: its words, as the domain spells them (`{"enum": [...]}`).
#[cfg(feature = "openapi")]
pub fn schema_of<V: Vocabulary>() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
        .enum_values(Some(V::words()))
        .into()
}

/// A closed vocabulary parsed from text: the error names the value and lists what is allowed.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl crate::vocabulary::Vocabulary for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [$name] = $name::ALL;
            fn word(self) -> &'static str { self.as_str() }
        }

        /// With the `openapi` feature: a component of the API's document listing every word.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::vocabulary::schema_of::<$name>()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }

        impl std::str::FromStr for $name {
            type Err = crate::values::ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(crate::values::ValueError::NotInVocabulary {
                        what: $what,
                        value: other.chars().take(60).collect(),
                        allowed: vec![$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}
