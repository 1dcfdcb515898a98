//! Zipkin's shared spans: in the B3 model the client and the server half of one RPC carry one
//! span id, the server's marked `"shared": true` (`openzipkin/zipkin-api@962cc40bf72e`
//! `zipkin2-api.yaml`, `Span.shared`). Calibration needs a tree, so the two halves become two
//! spans: the client half takes a distinct id (`<id>-client`) and the server half's parent
//! becomes it. The server half keeps the id, because the spans its service made while serving
//! name that id as their parent, so they stay under the server half without a guess.

use std::collections::BTreeSet;

use crate::calibrate::trace::TraceSpan;

/// A span as the assembler holds it: the span, and whether Zipkin marked it shared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Held {
    pub(crate) span: TraceSpan,
    pub(crate) shared: bool,
}

/// The suffix of a client half's new id.
pub(crate) const CLIENT_HALF_SUFFIX: &str = "-client";

/// The trace's spans with each shared pair split into a client and a server span.
pub(crate) fn split_shared(held: Vec<Held>) -> Vec<TraceSpan> {
    let shared_ids: BTreeSet<String> = held
        .iter()
        .filter(|span| span.shared)
        .map(|span| span.span.span_id.clone())
        .collect();
    if shared_ids.is_empty() {
        return held.into_iter().map(|span| span.span).collect();
    }
    // Only ids whose client half is in the trace are split; a shared span alone keeps its
    // parent (the caller was not traced).
    let paired: BTreeSet<String> = held
        .iter()
        .filter(|span| !span.shared && shared_ids.contains(&span.span.span_id))
        .map(|span| span.span.span_id.clone())
        .collect();
    held.into_iter()
        .map(|Held { mut span, shared }| {
            if paired.contains(&span.span_id) {
                let client_id = format!("{}{CLIENT_HALF_SUFFIX}", span.span_id);
                if shared {
                    span.parent_id = Some(client_id);
                } else {
                    span.span_id = client_id;
                }
            }
            span
        })
        .collect()
}
