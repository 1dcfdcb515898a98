//! A path from a document's root to one of its values: `service[1].endpoint[0].calls[2]`.

use std::fmt;

/// One step of a path: a key of a table or an index into an array (of tables or of values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathPart {
    Key(String),
    Index(usize),
}

impl From<&str> for PathPart {
    fn from(key: &str) -> Self {
        PathPart::Key(key.to_owned())
    }
}

impl From<&String> for PathPart {
    fn from(key: &String) -> Self {
        PathPart::Key(key.clone())
    }
}

impl From<String> for PathPart {
    fn from(key: String) -> Self {
        PathPart::Key(key)
    }
}

impl From<usize> for PathPart {
    fn from(index: usize) -> Self {
        PathPart::Index(index)
    }
}

/// A path from the document's root, built step by step: `DocPath::root().key("service").index(1)`
/// or with [`doc_path!`](crate::doc_path): `doc_path!["service", 1, "name"]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocPath {
    parts: Vec<PathPart>,
}

impl DocPath {
    pub fn root() -> Self {
        DocPath::default()
    }

    pub fn from_parts(parts: Vec<PathPart>) -> Self {
        DocPath { parts }
    }

    /// This path extended by a key.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut parts = self.parts.clone();
        parts.push(PathPart::Key(key.to_owned()));
        DocPath { parts }
    }

    /// This path extended by an index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut parts = self.parts.clone();
        parts.push(PathPart::Index(index));
        DocPath { parts }
    }

    pub fn parts(&self) -> &[PathPart] {
        &self.parts
    }

    /// The path without its last part; the root is its own parent.
    #[must_use]
    pub fn parent(&self) -> Self {
        let mut parts = self.parts.clone();
        parts.pop();
        DocPath { parts }
    }

    /// The last key of the path, the name a message calls the value by (`calls` for
    /// `service[0].endpoint[0].calls[2]`).
    pub fn last_key(&self) -> &str {
        self.parts
            .iter()
            .rev()
            .find_map(|part| match part {
                PathPart::Key(key) => Some(key.as_str()),
                PathPart::Index(_) => None,
            })
            .unwrap_or("")
    }
}

impl fmt::Display for DocPath {
    /// `service[1].endpoint[0].calls[2].service`; keys that are not bare TOML keys are quoted,
    /// `mesh."my service".timeout`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, part) in self.parts.iter().enumerate() {
            match part {
                PathPart::Index(index) => write!(formatter, "[{index}]")?,
                PathPart::Key(key) => {
                    if position > 0 {
                        formatter.write_str(".")?;
                    }
                    let bare = !key.is_empty()
                        && key.chars().all(|character| {
                            character.is_ascii_alphanumeric()
                                || character == '_'
                                || character == '-'
                        });
                    if bare {
                        formatter.write_str(key)?;
                    } else {
                        write!(formatter, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Builds a [`DocPath`] from keys (`&str`, `String`) and indices (`usize`):
/// `doc_path!["service", 1, "endpoint", 0, "calls", 2, "service"]`.
#[macro_export]
macro_rules! doc_path {
    ($($part:expr),* $(,)?) => {
        $crate::scenario::locate::DocPath::from_parts(vec![
            $($crate::scenario::locate::PathPart::from($part)),*
        ])
    };
}
