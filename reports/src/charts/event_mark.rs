//! What the run's controllers and the mesh did, as thin labelled rules on the time charts: a
//! rollout's steps, checks, promotion or rollback, a breaker opening and closing, an ejection,
//! a crash and a restart. Drawn besides the fault shading, so a change in a line can be read
//! against the action that caused it or answered it.

/// One action at one instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventMark {
    pub time_s: f64,
    /// A few words: `rollback`, `v2 10%`, `open`.
    pub label: String,
    pub tone: Tone,
}

/// How the action reads: it is drawn in a colour to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    /// Things going as planned: a step, a passed check, a promotion, a breaker closing.
    Good,
    /// Things going wrong: a failed check, a rollback, a breaker opening, an ejection, a crash.
    Bad,
    /// Neither: a start, a half-open probe, a return from ejection.
    Neutral,
}
