//! `[[workload]]`: the target, the arrival process, its rates and steps, and the headers sent.

use indexmap::IndexMap;

use super::checker::{Checker, SUM_TOLERANCE, number, root};
use super::references::endpoint_id;
use crate::scenario::diagnostic::quote;
use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::number::Real;
use crate::scenario::schema::{Arrival, Workload};

impl Checker<'_, '_> {
    pub(super) fn check_workloads(&mut self) {
        let workloads = &self.scenario.workloads;
        self.count_limit(
            &root("workload"),
            workloads.len(),
            limits::WORKLOADS_MAX,
            "workloads",
        );
        let mut seen = IndexMap::new();
        for (index, workload) in workloads.iter().enumerate() {
            let path = root("workload").index(index);
            self.name(&path.key("name"), &workload.name, "workload name");
            self.unique(
                &mut seen,
                &workload.name,
                &path.key("name"),
                "workload name",
            );
            self.host_name_clash(&path.key("name"), &workload.name, "workload");
            if let Some(service) = self.service_ref(&path.key("target"), &workload.target, "target")
            {
                let endpoint =
                    self.endpoint_ref(&path.key("endpoint"), service, &workload.endpoint);
                self.resolving.workloads[index] =
                    endpoint.and_then(|endpoint| endpoint_id(service, endpoint));
                let target = &self.scenario.services[service];
                if !target.exposed {
                    self.warning(
                        &path.key("target"),
                        format!("service {} is not exposed, so it refuses this workload's requests", quote(&target.name)),
                    )
                    .set_hint(format!(
                        "only exposed services accept workload traffic: set exposed = true in the [[service]] named {}",
                        quote(&target.name)
                    ));
                }
            }
            self.check_arrival(&path.key("arrival"), &workload.arrival);
            self.resolving.arrival_tables[index] =
                self.arrival_file(&path.key("arrival"), &workload.arrival);
            self.check_headers(&path, workload);
            if let Some(timeout) = workload.timeout {
                self.positive_duration(&path.key("timeout"), timeout);
            }
        }
    }

    fn rate(&mut self, path: &DocPath, rate: Real, zero_allowed: bool) {
        let rate = rate.get();
        let key = path.last_key().to_owned();
        if rate < 0.0 || (rate == 0.0 && !zero_allowed) {
            let bound = if zero_allowed { "0 or more" } else { "above 0" };
            self.error(
                path,
                format!(
                    "`{key}` must be {bound} requests per second, not {}",
                    number(rate)
                ),
            );
        } else if rate > limits::WORKLOAD_RATE_MAX {
            self.error(
                path,
                format!(
                    "`{key}` is {} requests per second, above the limit of {}",
                    number(rate),
                    number(limits::WORKLOAD_RATE_MAX)
                ),
            );
        }
    }

    fn check_arrival(&mut self, path: &DocPath, arrival: &Arrival) {
        match arrival {
            Arrival::Constant { rate } | Arrival::Poisson { rate } => {
                self.rate(&path.key("rate"), *rate, false);
            }
            Arrival::Steps { steps } => self.check_steps(&path.key("steps"), steps),
            // Read and checked by `arrival_file`.
            Arrival::Profile { .. } | Arrival::Replay { .. } => {}
            Arrival::Closed { users, think_time } => {
                let users_path = path.key("users");
                self.whole_at_least(&users_path, u64::from(*users), 1);
                self.whole_at_most(
                    &users_path,
                    u64::from(*users),
                    u64::from(limits::CLOSED_USERS_MAX),
                    "users",
                );
                self.distribution(&path.key("think_time"), think_time);
            }
        }
    }

    fn check_steps(&mut self, path: &DocPath, steps: &[(Duration, Real)]) {
        if steps.is_empty() {
            self.error(path, "`steps` is empty").set_hint(
                "steps = [[\"0s\", 50], [\"5m\", 400]]: from 0s, 50 per second; from 5m, 400",
            );
            return;
        }
        self.count_limit(
            path,
            steps.len(),
            limits::ARRIVAL_STEPS_MAX,
            "arrival steps",
        );
        let end = self.scenario.scenario.duration;
        let mut previous: Option<Duration> = None;
        for (index, (at, rate)) in steps.iter().enumerate() {
            let step_path = path.index(index);
            match previous {
                None if !at.is_zero() => {
                    self.error(&step_path.index(0), format!("the first step starts at {at}, not at 0s"))
                        .set_hint("the rate must be known from the start: add a step at \"0s\", with rate 0 for a late start");
                }
                Some(previous) if *at <= previous => {
                    self.error(
                        &step_path.index(0),
                        format!("step at {at} does not come after the step at {previous}"),
                    )
                    .set_hint("steps are [time, rate] pairs in increasing time");
                }
                _ => {
                    if *at >= end && !end.is_zero() {
                        self.warning(
                            &step_path.index(0),
                            format!("step at {at} starts after the scenario ends at {end}"),
                        );
                    }
                }
            }
            previous = Some(*at);
            self.rate(&step_path.index(1), *rate, true);
        }
        if steps.iter().all(|(_, rate)| rate.get() == 0.0) {
            self.warning(path, "every step's rate is 0: this workload sends nothing");
        }
    }

    fn check_headers(&mut self, path: &DocPath, workload: &Workload) {
        let headers_path = path.key("headers");
        self.count_limit(
            &headers_path,
            workload.headers.len(),
            limits::HEADERS_MAX,
            "headers",
        );
        for (header, values) in &workload.headers {
            let header_path = headers_path.key(header);
            self.label(&header_path, header, "header name", limits::LABEL_CHARS_MAX);
            self.count_limit(
                &header_path,
                values.len(),
                limits::HEADER_VALUES_MAX,
                "header values",
            );
            let mut sum = 0.0;
            for (value, probability) in values {
                let value_path = header_path.key(value);
                // The empty value stands for a request that does not carry the header (an
                // anonymous client, for `auth`).
                if !value.is_empty() {
                    self.label(&value_path, value, "header value", limits::LABEL_CHARS_MAX);
                }
                self.probability(&value_path, probability.get());
                sum += probability.get();
            }
            if (sum - 1.0).abs() > SUM_TOLERANCE {
                self.error(
                    &header_path,
                    format!("the probabilities of header {} add up to {}, not 1", quote(header), number(sum)),
                )
                .set_hint("each request draws one value per header, so the values' probabilities must sum to 1");
            }
        }
    }
}
