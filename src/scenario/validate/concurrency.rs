//! `cores` and `concurrency` on `[[service]]`: the CPU an instance's own work runs on.

use super::checker::{Checker, number};
use crate::scenario::diagnostic::{did_you_mean, quote};
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{Concurrency, Service};

const CONCURRENCY_HINT: &str = "concurrency is \"threads\" (a thread per request, held through \
     its calls, as Tomcat) or \"event_loop\" (Node.js: one event loop per process, holding \
     nothing while it waits on its calls)";

impl Checker<'_, '_> {
    pub(super) fn check_concurrency(&mut self, path: &DocPath, service: &Service) {
        if let Some(cores) = service.cores {
            let cores = cores.get();
            if cores <= 0.0 {
                self.error(
                    &path.key("cores"),
                    format!("`cores` must be above 0, not {}", number(cores)),
                )
                .set_hint("a fraction is a share of one core: Kubernetes' cpu: 500m is cores = 0.5; leave cores out for unlimited CPU");
            } else if cores > limits::CORES_MAX {
                self.error(
                    &path.key("cores"),
                    format!(
                        "`cores` is {}, above the limit of {} cores per instance",
                        number(cores),
                        limits::CORES_MAX
                    ),
                )
                .set_hint("cores are per instance: for more capacity, add replicas");
            }
        }
        let Some(concurrency) = &service.concurrency else {
            return;
        };
        let concurrency_path = path.key("concurrency");
        if !Concurrency::WORDS.contains(&concurrency.0.as_str()) {
            let hint = match did_you_mean(&concurrency.0, Concurrency::WORDS.iter().copied()) {
                Some(close) => format!("did you mean {}? {CONCURRENCY_HINT}", quote(close)),
                None => CONCURRENCY_HINT.to_owned(),
            };
            self.error(
                &concurrency_path,
                format!("unknown concurrency {}", quote(&concurrency.0)),
            )
            .set_hint(hint);
            return;
        }
        if !concurrency.is_event_loop() {
            return;
        }
        // Each Node.js process is one event loop on one core: `workers` counts them, and the
        // cores are theirs. Two ways to say the same capacity would have to agree.
        if service.cores.is_some() {
            self.error(
                &path.key("cores"),
                "`cores` does not combine with concurrency = \"event_loop\"",
            )
            .set_hint("each event-loop process runs on one core of its own: set workers to the number of processes");
        }
        if service.queue == 0 {
            self.error(
                &path.key("queue"),
                "an event-loop service with queue = 0 takes no request",
            )
            .set_hint("with concurrency = \"event_loop\", queue bounds the requests in progress at an instance: set it to 1 or more");
        }
    }
}
