//! SafeGrid's plain data types: the governance hierarchy, incidents, prevention resources and
//! the JSON shapes of the HTTP API. No IO, no clock reads; builds for wasm32 so the frontend
//! shares these types with the server.
//!
//! Coordinates are always WGS84 longitude/latitude in degrees. Times are UTC; the UI shows them in
//! Asia/Shanghai ([`time::SHANGHAI_OFFSET_S`]).

/// Defines a closed list of kinds, the one way the model names one: each value has a code name
/// (the API's and the stores' spelling, snake_case), a Chinese and an English label. Generates
/// `ALL` (display order), `COUNT`, `as_str`, `parse` (code name only), `parse_label` (code or
/// either label, as imports and query strings accept), `label_zh`/`label_en`,
/// `index`/`from_index`, `FromStr`, and serde as the code name (reading also accepts a label).
/// Serialises a type as its code (`as_str`), reads it from its code or a label (`parse_label`,
/// naming every code of `all()` when it is neither), and parses it with `FromStr`.
macro_rules! serde_by_code {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse_label(&s).ok_or_else(|| {
                    let names: Vec<&str> = $name::all().iter().map(|v| v.as_str()).collect();
                    serde::de::Error::custom(format!(
                        "unknown {} {:?}; expected one of {}",
                        stringify!($name).to_lowercase(),
                        s,
                        names.join(", ")
                    ))
                })
            }
        }

        impl std::str::FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                $name::parse_label(s).ok_or(())
            }
        }
    };
}

macro_rules! labelled_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident = ($code:literal, $zh:literal, $en:literal) ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $( $(#[$vmeta])* $variant ),+ }

        serde_by_code!($name);

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// How many values there are (sizes arrays indexed by [`Self::index`]).
            pub const COUNT: usize = Self::ALL.len();

            /// The API/code name (snake_case).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Chinese UI label.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            /// English UI label.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            /// Parses the code name only (what the API and the stores write).
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            /// Parses the code name, the Chinese label or the English label (case-insensitive).
            pub fn parse_label(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| {
                    v.as_str() == s || v.label_zh() == s || v.label_en().eq_ignore_ascii_case(s)
                })
            }

            /// Position in [`Self::ALL`] (a compact id for indexes and storage).
            pub fn index(self) -> u8 {
                self as u8
            }

            /// Inverse of [`Self::index`].
            pub fn from_index(i: u8) -> Option<$name> {
                Self::ALL.get(usize::from(i)).copied()
            }
        }

        impl $name {
            /// Every value, in display order (as [`Self::ALL`]).
            pub fn all() -> &'static [$name] {
                Self::ALL
            }
        }
    };
}

pub mod api;
pub mod auth;
pub mod campaign;
pub mod code;
pub mod department;
pub mod desk;
pub mod desk_book;
pub mod forecast_trial;
pub mod incident;
pub mod live;
pub mod petition;
pub mod region;
pub mod resource;
pub mod scope;
pub mod scorecard;
pub mod screening;
pub mod taxonomy;
pub mod time;
pub mod workflow;

pub use code::{CellCode, CodeError, RegionCode, RegionLevel};
pub use incident::{Category, Incident, IncidentId, NewIncident, Placement, Severity, Source, Status, Subcategory};
pub use region::{Cell, CellShape, Region, RegionShape};
pub use resource::{Officer, PreventionKind, Resource, ResourceKind};
