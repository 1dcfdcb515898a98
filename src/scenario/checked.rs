//! A scenario that passed the checker, held together with what the checker resolved of it.
//!
//! The two are kept in one value whose parts cannot be changed apart: a scenario changed in
//! memory (a shrink's candidate, a generated scenario) is checked again with [`Checked::check`]
//! and so gets a resolution of its own, never a stale one.

use super::diagnostic::Diagnostic;
use super::locate::Locator;
use super::resolved::{Resolution, Resolved};
use super::schema::Scenario;
use super::validate::validate;

/// A scenario and its [`Resolution`]; only the checker makes one.
#[derive(Debug, Clone)]
pub struct Checked {
    scenario: Scenario,
    resolution: Resolution,
}

impl Checked {
    /// Checks a scenario built or changed in memory (not read from a file): the scenario with
    /// its resolution, or its errors, without places.
    pub fn check(scenario: Scenario) -> Result<Checked, Vec<Diagnostic>> {
        let findings = validate(&scenario, "", &Locator::new(""));
        match findings.resolution {
            Some(resolution) => Ok(Checked {
                scenario,
                resolution,
            }),
            None => Err(findings.errors),
        }
    }

    /// The pair the checker made as it read a file without errors.
    pub(super) fn from_checker(scenario: Scenario, resolution: Resolution) -> Checked {
        Checked {
            scenario,
            resolution,
        }
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// The scenario and its resolution, as what runs it reads them.
    pub fn resolved(&self) -> Resolved<'_> {
        Resolved {
            parsed: &self.scenario,
            resolution: &self.resolution,
        }
    }

    /// The scenario alone, to change it (and check it again).
    pub fn into_scenario(self) -> Scenario {
        self.scenario
    }
}

#[cfg(test)]
mod tests {
    use super::Checked;
    use crate::scenario::load_str;

    const ONE: &str = "[scenario]\nname = \"w\"\nduration = \"1m\"\n\n[[service]]\nname = \"order\"\nexposed = true\n\n[[service.endpoint]]\nname = \"GET /\"\n\n[[workload]]\nname = \"shoppers\"\ntarget = \"order\"\nendpoint = \"GET /\"\narrival = { kind = \"poisson\", rate = 10 }\n";

    /// A scenario changed in memory is checked again, and one that no longer checks has no
    /// resolution to run with.
    #[test]
    fn a_changed_scenario_is_checked_again() {
        let scenario = load_str("x.toml", ONE).expect("loads").into_scenario();
        let checked = Checked::check(scenario.clone()).expect("checks");
        assert_eq!(checked.resolution().workloads.len(), 1);
        let mut renamed = scenario;
        renamed.services[0].name = "orders".to_owned();
        assert!(Checked::check(renamed).is_err());
    }
}
