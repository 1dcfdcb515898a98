//! What the run's controllers and the mesh did, as thin labelled rules on the time charts: a
//! rollout's steps, checks, promotion or rollback, a breaker opening and closing, an ejection,
//! a crash and a restart. Drawn besides the fault shading, so a change in a line can be read
//! against the action that caused it or answered it.

pub(crate) use crate::story::Tone;

/// One action at one instant, or several alike close together (`open ×3`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EventMark {
    pub time_s: f64,
    /// A few words: `rollback`, `v2 10%`, `open`.
    pub label: String,
    pub tone: Tone,
}
