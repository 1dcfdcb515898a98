//! Mesh profiles: which product's proxies run a scenario's `[mesh.SERVICE]` policies, pinned to
//! one release, with every default that product configures and where each comes from.
//!
//! A key left out of `[mesh.SERVICE]` means what it means in the product the scenario says it
//! runs (`[scenario] mesh`): Istio's istiod writes Envoy configuration with defaults of its own
//! (least-request balancing, two retries on connect failures, no circuit-breaker limits), a bare
//! Envoy has its protos' defaults (round robin, a 15 s route timeout, 1024 connections), and
//! Linkerd's proxy has a different model altogether (peak-EWMA balancing, failure accrual, no
//! retries unless asked). Each profile lists the keys its product has ([`KeySpec`]), each with the
//! product's own field name, its default, the source it was read from and the test that holds it;
//! a key the product lacks is an error that lists what it has. `crate::mesh` turns a policy and
//! its profile into the values the models run, and `meshsim explain` shows both.

mod envoy;
mod istio;
mod key;
mod library;
mod linkerd;

use serde::Deserialize;

pub(crate) use key::KeySpec;

/// Istio's default retry policy (see [`istio`]'s table), for the resolver that applies it.
pub(crate) const ISTIO_DEFAULT_RETRIES: &KeySpec = &istio::RETRIES;

/// The mesh a scenario runs: `[scenario] mesh = "istio" | "linkerd" | "envoy"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The shop seed's mesh, and the default.
    #[default]
    Istio,
    /// The messages seed's mesh.
    Linkerd,
    /// Envoy configured by hand, with its protos' defaults.
    Envoy,
}

/// The release a profile follows, and the proxy it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Release {
    /// The product's name as its users write it.
    pub product: &'static str,
    /// The pinned release.
    pub version: &'static str,
    /// The repository and commit the defaults were read from.
    pub source: &'static str,
    /// The proxy the release runs, and the source its semantics were read from.
    pub proxy: &'static str,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Istio, Profile::Linkerd, Profile::Envoy];

    /// The name a scenario writes.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Istio => "istio",
            Profile::Linkerd => "linkerd",
            Profile::Envoy => "envoy",
        }
    }

    pub fn release(self) -> Release {
        match self {
            Profile::Istio => istio::RELEASE,
            Profile::Linkerd => linkerd::RELEASE,
            Profile::Envoy => envoy::RELEASE,
        }
    }

    /// Every key of `[mesh.SERVICE]` this profile's product has, in the order the docs list
    /// them: the product's own, then the application library's (the circuit breaker).
    pub fn keys(self) -> impl Iterator<Item = &'static KeySpec> {
        let own: &'static [KeySpec] = match self {
            Profile::Istio => istio::KEYS,
            Profile::Linkerd => linkerd::KEYS,
            Profile::Envoy => envoy::KEYS,
        };
        own.iter().chain(library::KEYS.iter())
    }

    /// What the product's proxy does that no key changes (its own answers, its queues).
    pub fn behaviours(self) -> &'static [KeySpec] {
        match self {
            Profile::Istio => istio::BEHAVIOURS,
            Profile::Linkerd => linkerd::BEHAVIOURS,
            Profile::Envoy => envoy::BEHAVIOURS,
        }
    }

    /// The key `key` (a path under `[mesh.SERVICE]`, such as `retries.attempts`), if this
    /// profile's product has it.
    pub fn key(self, key: &str) -> Option<&'static KeySpec> {
        self.keys().find(|spec| spec.key == key)
    }

    /// The sections and top-level keys this profile has, for an error's hint.
    pub fn key_names(self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for spec in self.keys() {
            let top = spec.key.split('.').next().unwrap_or(spec.key);
            if !names.contains(&top) {
                names.push(top);
            }
        }
        names
    }

    /// The keys directly in one section (`retries`) this profile has, without its prefix.
    pub fn section_keys(self, section: &str) -> Vec<&'static str> {
        self.keys()
            .filter_map(|spec| spec.key.strip_prefix(section)?.strip_prefix('.'))
            .filter(|key| !key.contains('.'))
            .collect()
    }
}

impl Profile {
    /// The profile's tables for `docs/mesh.md`: every key with the product's field, its default,
    /// what meshsim does, the source and the test; then what no key changes. `tests/docs.rs`
    /// holds the page to exactly this text.
    pub fn markdown_table(self) -> String {
        let mut text = String::from(
            "| key | product's field | default | what meshsim does | source | test |\n\
             | --- | --- | --- | --- | --- | --- |\n",
        );
        for spec in self.keys() {
            text.push_str(&markdown_row(spec));
        }
        text.push_str("\n| what no key changes | in the proxy | behaviour | what meshsim does | source | test |\n\
                       | --- | --- | --- | --- | --- | --- |\n");
        for spec in self.behaviours() {
            text.push_str(&markdown_row(spec));
        }
        text
    }
}

fn markdown_row(spec: &KeySpec) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    format!(
        "| `{}` | {} | {} | {} | {} | `{}` |\n",
        spec.key,
        cell(spec.field),
        cell(spec.default),
        cell(spec.note),
        cell(spec.source),
        spec.test
    )
}

impl std::fmt::Display for Profile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Profile;

    #[test]
    fn every_key_is_listed_once_per_profile() {
        for profile in Profile::ALL {
            let keys: Vec<&str> = profile.keys().map(|spec| spec.key).collect();
            for (index, key) in keys.iter().enumerate() {
                assert!(
                    !keys[index + 1..].contains(key),
                    "{profile} lists `{key}` twice"
                );
            }
        }
    }

    #[test]
    fn every_key_names_a_source_and_a_test() {
        for profile in Profile::ALL {
            for spec in profile.keys() {
                assert!(!spec.source.is_empty(), "{profile} `{}`", spec.key);
                assert!(!spec.test.is_empty(), "{profile} `{}`", spec.key);
                assert!(!spec.field.is_empty(), "{profile} `{}`", spec.key);
            }
        }
    }

    #[test]
    fn linkerd_has_no_outlier_detection_and_istio_no_failure_accrual() {
        assert!(Profile::Linkerd.key("outlier_detection").is_none());
        assert!(Profile::Linkerd.key("failure_accrual").is_some());
        assert!(Profile::Istio.key("failure_accrual").is_none());
        assert!(
            Profile::Istio
                .key("outlier_detection.always_eject_one_host")
                .is_none()
        );
        assert!(
            Profile::Envoy
                .key("outlier_detection.always_eject_one_host")
                .is_some()
        );
    }
}
