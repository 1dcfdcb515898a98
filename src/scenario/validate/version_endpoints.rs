//! `[[service.version.endpoint]]`: an endpoint's keys one version replaces. Its calls are
//! checked exactly as the endpoint's own are (references, the call graph and so cycles, the
//! application's keys), by the same functions.

use indexmap::IndexMap;

use super::checker::Checker;
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::resolved::ReplacedCalls;
use crate::scenario::schema::{Version, VersionEndpoint};

impl<'s> Checker<'s, '_> {
    /// Checks the `[[service.version.endpoint]]`s of the `version_index`th version of service
    /// `service`, at `path`, and records the calls they replace.
    pub(super) fn check_version_endpoints(
        &mut self,
        path: &DocPath,
        (service, version_index): (usize, usize),
        version: &'s Version,
    ) {
        let entries_path = path.key("endpoint");
        self.count_limit(
            &entries_path,
            version.endpoints.len(),
            limits::ENDPOINTS_PER_SERVICE_MAX,
            &format!("endpoints in version {}", quote(&version.name)),
        );
        let mut seen = IndexMap::new();
        let mut replaced = Vec::with_capacity(version.endpoints.len());
        for (index, entry) in version.endpoints.iter().enumerate() {
            let entry_path = entries_path.index(index);
            replaced.push(self.check_version_endpoint(&entry_path, service, version, entry));
            if seen.contains_key(entry.name.as_str()) {
                let first = seen
                    .get(entry.name.as_str())
                    .and_then(|first| self.line_of(first));
                let hint = match first {
                    Some(line) => format!(
                        "the first is on line {line}: put all of this endpoint's keys for {} in one entry",
                        quote(&version.name)
                    ),
                    None => format!(
                        "put all of this endpoint's keys for {} in one entry",
                        quote(&version.name)
                    ),
                };
                self.error(
                    &entry_path.key("name"),
                    format!(
                        "endpoint {} is replaced twice in version {}",
                        quote(&entry.name),
                        quote(&version.name)
                    ),
                )
                .set_hint(hint);
            } else {
                seen.insert(entry.name.as_str(), entry_path.key("name"));
            }
        }
        self.resolving.version_calls[service][version_index] = replaced;
    }

    /// Checks one entry; returns the calls it replaces the endpoint's with, if it does and they
    /// resolve.
    fn check_version_endpoint(
        &mut self,
        path: &DocPath,
        service: usize,
        version: &Version,
        entry: &'s VersionEndpoint,
    ) -> Option<ReplacedCalls> {
        let endpoint = self.endpoint_ref(&path.key("name"), service, &entry.name);
        if !entry.replaces_anything() {
            self.error(
                path,
                format!(
                    "version {}'s entry for endpoint {} replaces nothing",
                    quote(&version.name),
                    quote(&entry.name)
                ),
            )
            .set_hint("give it service_time, error_rate or calls (calls = [] for none); a key left out keeps the endpoint's own");
        }
        if let Some(service_time) = &entry.service_time {
            self.distribution(&path.key("service_time"), service_time);
        }
        if let Some(error_rate) = entry.error_rate {
            self.probability(&path.key("error_rate"), error_rate.get());
        }
        let calls = entry.calls.as_ref()?;
        let calls_path = path.key("calls");
        self.count_limit(
            &calls_path,
            calls.len(),
            limits::CALLS_PER_ENDPOINT_MAX,
            &format!("calls in endpoint {}", quote(&entry.name)),
        );
        let (calls, behaviours, steps) =
            self.check_call_entries((service, endpoint?), &calls_path, calls);
        Some(ReplacedCalls {
            calls: calls.into_iter().collect::<Option<_>>()?,
            behaviours,
            steps,
        })
    }
}
