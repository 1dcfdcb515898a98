//! A scenario's distribution of durations, as the models sample it.

use std::sync::Arc;

use meshsim_sim::Distribution;

use crate::scenario::duration::Duration;
use crate::scenario::schema;

pub(crate) fn distribution(spec: &schema::Distribution) -> Distribution {
    match *spec {
        schema::Distribution::Const { value } => Distribution::Const {
            value_ns: value.as_nanos(),
        },
        schema::Distribution::Uniform { min, max } => Distribution::Uniform {
            min_ns: min.as_nanos(),
            max_ns: max.as_nanos(),
        },
        schema::Distribution::Exp { mean } => Distribution::Exp {
            mean_ns: mean.as_nanos() as f64,
        },
        schema::Distribution::Normal { mean, stddev } => Distribution::Normal {
            mean_ns: mean.as_nanos() as f64,
            stddev_ns: stddev.as_nanos() as f64,
        },
        schema::Distribution::Lognormal { median, p99 } => {
            Distribution::lognormal(median.as_nanos(), p99.as_nanos())
        }
        schema::Distribution::Empirical {
            ref samples,
            ref file,
        } => Distribution::empirical(empirical_samples(samples.as_deref(), file.as_ref())),
        schema::Distribution::Mixture { ref parts } => Distribution::mixture(
            parts
                .iter()
                .map(|part| (part.weight.get(), distribution(&part.dist)))
                .collect(),
        ),
    }
}

/// The samples written inline, or those the checker read from the file.
fn empirical_samples(
    samples: Option<&[Duration]>,
    file: Option<&schema::SampleFile>,
) -> Arc<[u64]> {
    match (samples, file) {
        (Some(samples), _) => samples.iter().map(|sample| sample.as_nanos()).collect(),
        (None, Some(file)) => Arc::clone(
            file.samples_ns()
                .expect("the checker reads every samples file before a run is assembled"),
        ),
        (None, None) => {
            unreachable!("the checker refuses an empirical distribution without samples")
        }
    }
}
