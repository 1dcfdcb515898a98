//! What one attempt told the detector, and how Envoy classifies an HTTP status: the input of
//! every count and streak.

/// The status a local-origin connect failure or reset counts as when errors are not split:
/// Envoy's `resultToHttpCode` (cc#L108-L110).
pub(super) const CONNECT_FAILURE_STATUS: u16 = 503;

/// The status a local-origin timeout counts as when errors are not split: the router reports
/// its `timeout_response_code_` with the timeout, 504 unless the request asked for 204
/// (router.cc#L1356-L1357, `router.h#L677`).
pub(super) const TIMEOUT_STATUS: u16 = 504;

/// What one attempt told the detector about its host: one of Envoy's `putResult` calls.
///
/// See the detector's module docs for which one to report when. Not split, the local-origin results count
/// as HTTP statuses (a connect failure 503, a timeout 504) and a connection success counts
/// nothing; split, they feed only the local-origin streak and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    /// The host answered with this HTTP status (external origin): a 5xx is a failure, anything
    /// else (4xx included) a success.
    HttpStatus(u16),
    /// The try was attached to a connection to the host (Envoy's `LocalOriginConnectSuccess`).
    LocalOriginConnectSuccess,
    /// The connection was refused or failed, or the stream was reset before the answer (Envoy's
    /// `LocalOriginConnectFailed`).
    LocalOriginConnectFailure,
    /// The try timed out waiting for the answer (Envoy's `LocalOriginTimeout`).
    LocalOriginTimeout,
}

impl AttemptOutcome {
    /// The outcome of an answer with HTTP status `status` from the host.
    #[cfg(test)]
    pub(crate) fn from_status(status: u16) -> Self {
        AttemptOutcome::HttpStatus(status)
    }
}

/// Envoy's `CodeUtility::is5xx`.
pub(super) fn is_5xx(status: u16) -> bool {
    (500..600).contains(&status)
}

/// Envoy's `CodeUtility::isGatewayError`: 502, 503 and 504.
pub(super) fn is_gateway_error(status: u16) -> bool {
    (502..505).contains(&status)
}
