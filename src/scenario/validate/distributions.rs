//! The checks of a distribution: its parameters, an empirical one's samples (reading its file),
//! a mixture's weights, and the bounds on samples, parts and nesting.

use super::checker::{Checker, SUM_TOLERANCE, number};
use super::sample_file::{read_samples, resolve};
use crate::scenario::duration::Duration;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;
use crate::scenario::schema::{Distribution, MixturePart, SampleFile};

impl Checker<'_, '_> {
    pub(super) fn distribution(&mut self, path: &DocPath, distribution: &Distribution) {
        self.distribution_at_depth(path, distribution, 1);
    }

    fn distribution_at_depth(&mut self, path: &DocPath, distribution: &Distribution, depth: usize) {
        match distribution {
            Distribution::Const { .. } | Distribution::Normal { .. } => {}
            Distribution::Uniform { min, max } => {
                if min > max {
                    self.error(
                        &path.key("max"),
                        format!("uniform `max` {max} is below `min` {min}"),
                    );
                }
            }
            Distribution::Exp { mean } => {
                if mean.is_zero() {
                    self.error(
                        &path.key("mean"),
                        "an exponential distribution needs a `mean` above 0s",
                    )
                    .set_hint("for no time at all, write { dist = \"const\", value = \"0s\" }");
                }
            }
            Distribution::Lognormal { median, p99 } => {
                if median.is_zero() {
                    self.error(
                        &path.key("median"),
                        "a lognormal distribution needs a `median` above 0s",
                    )
                    .set_hint("for no time at all, write { dist = \"const\", value = \"0s\" }");
                } else if p99 < median {
                    self.error(
                        &path.key("p99"),
                        format!("`p99` {p99} is below `median` {median}"),
                    )
                    .set_hint(
                        "the 99th percentile is at least the median; equal values make a constant",
                    );
                }
            }
            Distribution::Empirical { samples, file } => {
                self.empirical(path, samples.as_deref(), file.as_ref());
            }
            Distribution::Mixture { parts } => self.mixture(path, parts, depth),
        }
    }

    fn empirical(
        &mut self,
        path: &DocPath,
        samples: Option<&[Duration]>,
        file: Option<&SampleFile>,
    ) {
        match (samples, file) {
            (Some(_), Some(_)) => {
                self.error_at_key(
                    &path.key("file"),
                    "an empirical distribution takes `samples` or `file`, not both",
                )
                .set_hint("keep the one that holds the data, and remove the other");
            }
            (None, None) => {
                self.error(path, "an empirical distribution needs `samples` or `file`")
                    .set_hint(
                        "write the samples, samples = [\"1.2ms\", \"3ms\"], or name a CSV of \
                         them, file = \"times.csv\"",
                    );
            }
            (Some(samples), None) => {
                if samples.is_empty() {
                    self.error(&path.key("samples"), "`samples` is empty")
                        .set_hint(
                            "an empirical distribution draws one of its samples: give one or more",
                        );
                } else if samples.len() > limits::EMPIRICAL_SAMPLES_MAX {
                    self.error(
                        &path.key("samples"),
                        format!(
                            "{} samples are more than the limit of {}",
                            samples.len(),
                            limits::EMPIRICAL_SAMPLES_MAX
                        ),
                    )
                    .set_hint("take a random subset of the samples");
                }
            }
            (None, Some(file)) => self.sample_file(&path.key("file"), file),
        }
    }

    /// Reads the file once and keeps its samples in the scenario, or says why it cannot.
    fn sample_file(&mut self, path: &DocPath, file: &SampleFile) {
        if file.samples_ns().is_some() {
            return;
        }
        match read_samples(&resolve(self.file, &file.path), &file.path) {
            Ok(samples_ns) => file.keep(samples_ns),
            Err(error) => {
                self.error(path, error.message).set_hint(error.hint);
            }
        }
    }

    fn mixture(&mut self, path: &DocPath, parts: &[MixturePart], depth: usize) {
        let parts_path = path.key("parts");
        if depth >= limits::DISTRIBUTION_DEPTH_MAX {
            self.error(
                &parts_path,
                format!(
                    "mixtures nest deeper than the limit of {} levels",
                    limits::DISTRIBUTION_DEPTH_MAX
                ),
            )
            .set_hint(
                "a flat mixture whose weights are the products of the nested ones draws the same",
            );
            return;
        }
        if parts.is_empty() || parts.len() > limits::MIXTURE_PARTS_MAX {
            self.error(
                &parts_path,
                format!(
                    "a mixture has 1 to {} parts, not {}",
                    limits::MIXTURE_PARTS_MAX,
                    parts.len()
                ),
            )
            .set_hint(
                "give each part a weight and a distribution: { weight = 0.9, dist = { ... } }",
            );
            return;
        }
        let mut weights_valid = true;
        for (index, part) in parts.iter().enumerate() {
            let part_path = parts_path.index(index);
            let weight = part.weight.get();
            if weight <= 0.0 || weight > 1.0 {
                weights_valid = false;
                self.error(
                    &part_path.key("weight"),
                    format!(
                        "a part's weight is above 0 and at most 1, not {}",
                        number(weight)
                    ),
                )
                .set_hint("weights are the shares of draws each part makes, summing to 1");
            }
            self.distribution_at_depth(&part_path.key("dist"), &part.dist, depth + 1);
        }
        let total: f64 = parts.iter().map(|part| part.weight.get()).sum();
        if weights_valid && (total - 1.0).abs() > SUM_TOLERANCE {
            self.error(
                &parts_path,
                format!("the mixture's weights sum to {}, not 1", number(total)),
            )
            .set_hint("weights are the shares of draws each part makes: make them add up to 1");
        }
    }
}
