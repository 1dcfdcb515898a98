//! The scenario file: its schema (format 1), loading with positioned errors, and validation.
//!
//! Loading happens in three passes. `toml_edit` parses the text, keeping every position (and
//! reporting syntax errors); `toml` + serde then build [`schema::Scenario`], which catches unknown
//! keys and wrong types with their spans; and [`validate`] checks
//! what serde cannot: references between sections, ranges, weights, cycles and size limits. Its
//! errors name a path in the document (`service[1].endpoint[0].calls[2].service`), which
//! [`locate`] turns back into a line and column. Each pass reads on past its errors
//! (`reading.rs`, `patch.rs`, `outline.rs`), so one check reports every mistake it can find.

mod arrival_table;
mod checked;
pub(crate) mod diagnostic;
pub(crate) mod duration;
pub mod limits;
pub(crate) mod load;
mod load_error;
pub(crate) mod locate;
pub(crate) mod metric;
pub(crate) mod number;
mod outline;
mod parse_error;
mod patch;
mod reading;
pub(crate) mod resolved;
pub mod schema;
pub(crate) mod validate;

pub use arrival_table::ArrivalTable;
pub use checked::Checked;
pub use diagnostic::{Diagnostic, Severity};
pub use duration::Duration;
pub use load::{LoadError, Loaded, Stop, load_file, load_str, load_str_in};
pub use locate::{DocPath, IncludedValue, Locator, PathPart};
pub use metric::{MetricRef, ValueKind};
pub use number::{Bound, Real};
pub use resolved::{Resolution, Resolved};
pub use schema::Scenario;
pub use validate::{Findings, validate};
