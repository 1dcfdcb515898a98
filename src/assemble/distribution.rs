//! A scenario's distribution of durations, as the models sample it.

use meshsim_sim::Distribution;

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
    }
}
