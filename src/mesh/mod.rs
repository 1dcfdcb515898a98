//! `[mesh.SERVICE]` under the scenario's mesh profile: resolved into the effective policy (every
//! value, from the file or the profile, with its origin), compiled into what the models run, and
//! shown by `meshsim explain`.
//!
//! - [`resolve`]: the file's keys and the profile's defaults, each value with its [`Origin`].
//! - [`compile`]: the effective policy as the models' `UpstreamConfig` and `InboundPolicy`.
//! - [`routes`]: `[[mesh.SERVICE.route]]` and an endpoint's `auth` header, compiled.
//! - [`rows`]: the effective policy as key, value and origin, for `explain` and the docs.
//! - [`traps`]: settings that do not do what they seem to at the scenario's scale.

mod compile;
mod effective;
mod resolve;
mod routes;
mod rows;
mod sourced;
mod traps;

pub(crate) use compile::{
    PUBLISH_CONFIRM_TIMEOUT_NS, STORE_CALL_TIMEOUT_NS, inbound_policy, single_node_upstream_config,
    upstream_config,
};
pub(crate) use effective::Effective;
pub(crate) use resolve::resolve;
pub(crate) use routes::{auth_conditions, route_table};
pub(crate) use rows::{Row, rows};
pub(crate) use sourced::{Origin, Sourced};
pub(crate) use traps::traps;
