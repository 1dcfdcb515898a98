//! One key of `[mesh.SERVICE]` as one product has it.

/// A key a profile's product has: what the product calls it, what it is when left out, where
/// that was read, and the test that holds meshsim to it. A section (`retries`) has an entry of
/// its own, whose default says what happens without the section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// The path under `[mesh.SERVICE]`: `timeout`, `retries`, `retries.attempts`.
    pub key: &'static str,
    /// The product's own name for it: `VirtualService http[].retries.attempts`.
    pub field: &'static str,
    /// What it is when the scenario leaves it out, as `meshsim explain` prints the value.
    pub default: &'static str,
    /// Where the default and the semantics were read: `repository@tag:path#Lx-Ly`, or a
    /// documentation address with its version.
    pub source: &'static str,
    /// What meshsim does with it, where that is more than the value.
    pub note: &'static str,
    /// The test that holds meshsim to the source: `file::function`.
    pub test: &'static str,
}

impl KeySpec {
    /// A key with no note.
    pub const fn new(
        key: &'static str,
        field: &'static str,
        default: &'static str,
        source: &'static str,
        test: &'static str,
    ) -> Self {
        KeySpec {
            key,
            field,
            default,
            source,
            note: "",
            test,
        }
    }

    /// The same key with a note on what meshsim does.
    #[must_use]
    pub const fn noting(mut self, note: &'static str) -> Self {
        self.note = note;
        self
    }
}
