//! A rendered chart: an SVG document and the name it is written under in `charts/`.

/// One chart of a run (or of two runs compared), as SVG text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// The file name under `charts/`, like `latency-workload-shoppers.svg`.
    pub file_name: String,
    /// What the chart shows, for the report's headings.
    pub title: String,
    /// The whole SVG document, deterministic for the same run.
    pub svg: String,
}
