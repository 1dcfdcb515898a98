//! Each host's effective mesh policy, resolved once the checks have found no error: the last
//! part of the resolution, as it needs every key of `[mesh.NAME]` checked against the profile.

use crate::mesh;
use crate::scenario::locate::{DocPath, Locator};
use crate::scenario::resolved::Policies;
use crate::scenario::schema::Scenario;

/// The policy on calls to every service, broker and store of `scenario`, under its profile;
/// a value the file sets remembers its line in `locator`'s text.
pub(super) fn effective_policies(scenario: &Scenario, locator: &Locator<'_>) -> Policies {
    let profile = scenario.profile();
    let resolve = |name: &str, tcp: bool| {
        let path = DocPath::root().key("mesh").key(name);
        mesh::resolve(profile, scenario.mesh.get(name), tcp, &path, Some(locator))
    };
    Policies {
        services: scenario
            .services
            .iter()
            .map(|service| resolve(&service.name, false))
            .collect(),
        // A store's or a broker's clients speak their own protocols over TCP.
        brokers: scenario
            .brokers
            .iter()
            .map(|broker| resolve(&broker.name, true))
            .collect(),
        stores: scenario
            .stores
            .iter()
            .map(|store| resolve(&store.name, true))
            .collect(),
    }
}
