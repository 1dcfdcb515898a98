//! A line of the story: how it reads (its tone) and where it points (the chart and the
//! timeline row that show it).

/// How a line or a mark reads: it is drawn in a colour to match, and marked for a reader who
/// cannot tell the colours apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Things going as planned: an expectation met, a promotion, a breaker closing.
    Good,
    /// Things going wrong: an expectation failed, a rollback, a breaker opening, an ejection.
    Bad,
    /// Neither: a fault injected, a workload's outcome, a start.
    Neutral,
}

impl Tone {
    /// A glyph for the terminal and the page: `✔`, `✘`, `·`.
    pub(crate) fn glyph(self) -> &'static str {
        match self {
            Tone::Good => "✔",
            Tone::Bad => "✘",
            Tone::Neutral => "·",
        }
    }

    /// The CSS class the page colours it by.
    pub(crate) fn class(self) -> &'static str {
        match self {
            Tone::Good => "good",
            Tone::Bad => "bad",
            Tone::Neutral => "neutral",
        }
    }
}

/// One line of the headline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub tone: Tone,
    pub text: String,
    /// The file name, without `.svg`, of the chart that shows it best, if the run drew one.
    pub chart: Option<String>,
    /// The id of the timeline row that shows it, if it has one.
    pub row: Option<String>,
}

impl Line {
    pub(crate) fn new(tone: Tone, text: String) -> Line {
        Line {
            tone,
            text,
            chart: None,
            row: None,
        }
    }

    pub(crate) fn chart(mut self, chart: String) -> Line {
        self.chart = Some(chart);
        self
    }

    pub(crate) fn row(mut self, row: String) -> Line {
        self.row = Some(row);
        self
    }
}

/// A chart's file name without `.svg`, as the charts name it.
pub(crate) fn chart_name(family: &str, subject: &str) -> String {
    format!("{family}-{}", crate::file_name::file_part(subject))
}

/// The id of a timeline row: `row-rollout-order`, `row-ejected-payment-4`.
pub(crate) fn row_id(kind: &str, subject: &str) -> String {
    let subject: String = subject
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("row-{kind}-{subject}")
}
