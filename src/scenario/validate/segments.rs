//! `networks` on services and stores (Docker Compose's networks): each list names at least one,
//! and the scenario names at most 64, one bit each in the kernel's network.

use super::checker::{Checker, root};
use crate::scenario::locate::DocPath;

/// Distinct network names a scenario may use: the kernel keeps a host's networks in 64 bits.
pub(super) const NETWORKS_MAX: usize = 64;

impl Checker<'_, '_> {
    pub(super) fn check_segments(&mut self) {
        let mut names: Vec<&str> = Vec::new();
        let services = self
            .scenario
            .services
            .iter()
            .enumerate()
            .map(|(index, service)| (root("service").index(index), service.networks.as_deref()));
        let stores = self
            .scenario
            .stores
            .iter()
            .enumerate()
            .map(|(index, store)| (root("store").index(index), store.networks.as_deref()));
        let lists: Vec<(DocPath, Option<&[String]>)> = services.chain(stores).collect();
        for (path, networks) in lists {
            let Some(networks) = networks else { continue };
            if networks.is_empty() {
                self.error(
                    &path.key("networks"),
                    "`networks` is empty: the host could reach nothing",
                )
                .set_hint("leave `networks` out to be on every network, or name the ones it is on");
            }
            for name in networks {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        if names.len() > NETWORKS_MAX {
            self.error(
                &root("service"),
                format!(
                    "the scenario names {} networks, more than meshsim's {NETWORKS_MAX}",
                    names.len()
                ),
            )
            .set_hint("a system this segmented is a typo, or several systems: simulate them apart");
        }
    }
}
