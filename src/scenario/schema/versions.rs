//! A service's versions by place: the base version `v1` first, then every other
//! `[[service.version]]` in the file's order. A `[[service.version]]` named `v1` describes the
//! base version instead of adding one (Istio users name every subset), so every reader of
//! versions goes through here rather than indexing `versions` itself.

use super::{BASE_VERSION, Service, Version};

impl Service {
    /// The `[[service.version]]` named `v1`, which describes the base version, if there is one.
    pub fn base_version(&self) -> Option<&Version> {
        self.versions
            .iter()
            .find(|version| version.name == BASE_VERSION)
    }

    /// Instances of the base version: its `[[service.version]]`'s `replicas` when it gives
    /// them, the service's otherwise.
    pub fn base_replicas(&self) -> u32 {
        self.base_version()
            .and_then(|version| version.replicas)
            .unwrap_or(self.replicas)
    }

    /// The versions besides the base one, in the file's order.
    pub fn added_versions(&self) -> impl Iterator<Item = &Version> {
        self.versions
            .iter()
            .filter(|version| version.name != BASE_VERSION)
    }

    /// The `[[service.version]]` describing the version at `place` (the base version is 0);
    /// none for a base version the file does not name.
    pub fn version_at(&self, place: usize) -> Option<&Version> {
        match place {
            0 => self.base_version(),
            _ => self.added_versions().nth(place - 1),
        }
    }

    /// Each version's name and instances, by place.
    pub fn version_replicas(&self) -> Vec<(&str, u32)> {
        std::iter::once((BASE_VERSION, self.base_replicas()))
            .chain(
                self.added_versions()
                    .map(|version| (version.name.as_str(), version.replicas_or_default())),
            )
            .collect()
    }

    /// Instances of the version named `name`, if the service has it.
    pub fn replicas_of(&self, name: &str) -> Option<u32> {
        self.version_replicas()
            .into_iter()
            .find(|(candidate, _)| *candidate == name)
            .map(|(_, replicas)| replicas)
    }

    /// Instances over all the service's versions.
    pub fn instances(&self) -> u64 {
        self.version_replicas()
            .iter()
            .map(|(_, replicas)| u64::from(*replicas))
            .sum()
    }
}

impl Version {
    /// Instances of an added version: 1 when `replicas` is left out.
    pub fn replicas_or_default(&self) -> u32 {
        self.replicas.unwrap_or(1)
    }
}
