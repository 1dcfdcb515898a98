//! How a command ended, and the exit code each ending gives: 0 ok, 1 an expectation failed,
//! 2 bad input, 3 an internal error (a bug), 130 stopped by Ctrl-C.

/// How a command ended, in exit-code terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    ExpectationsFailed,
    BadInput,
    InternalError,
    /// Ctrl-C or a termination signal stopped it; the previous output is whole.
    Interrupted,
}

impl Status {
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::ExpectationsFailed => 1,
            Status::BadInput => 2,
            Status::InternalError => 3,
            Status::Interrupted => crate::interrupt::INTERRUPTED_EXIT_CODE,
        }
    }
}

/// Says what is wrong with the input and how to put it right, each on its own line, and gives
/// the status of bad input.
pub(crate) fn bad_input(message: &str, hint: &str) -> Status {
    eprintln!("error: {message}");
    eprintln!("hint: {hint}");
    Status::BadInput
}
