#!/usr/bin/env python3
"""Checks a `meshsim run --otlp` file against the OpenTelemetry protobuf schema.

Every line is parsed with `google.protobuf.json_format.Parse` into
`opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` (PyPI package
`opentelemetry-proto`), refusing unknown fields. OTLP/JSON writes trace and span ids as hex, not
as the protobuf JSON mapping's base64 (OTLP specification, "JSON Protobuf Encoding"), so the ids
are checked as hex and turned into base64 first, as a collector's OTLP/JSON decoder does.

Then, over the whole file: ids have the right length (16 and 8 bytes, not all zero), span ids
are unique in their trace, every parentSpanId names a span of its trace, and every span lies
within its parent's time. A span whose parent is on another process (a server or consumer span)
only has to start no earlier than its parent: a server may outlive a try the caller gave up on,
and a consumer runs after the publish. Likewise a call (a client span whose parent is a server
span) may end after its server span did: the application gave up on it (its own timeout, or a
parallel step that went on without it) while the sidecar's call ran on; those are counted. A span whose parent is missing is allowed only in a trace
that did not end well: the workload's root span is missing (the request was still in flight when
the run ended) or failed (an instance crashed under it, taking its unfinished spans along).

Usage: validate-otlp.py FILE; exit 0 when valid, 1 with the problems listed otherwise, 2 when
the schema cannot be imported.
"""

import base64
import json
import sys

try:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
    from opentelemetry.proto.trace.v1 import trace_pb2
except ImportError as error:  # pragma: no cover
    print(f"cannot import the OpenTelemetry protobuf schema: {error}", file=sys.stderr)
    print("hint: python3 -m pip install opentelemetry-proto", file=sys.stderr)
    sys.exit(2)

ID_BYTES = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
LOCAL_KINDS = {trace_pb2.Span.SPAN_KIND_INTERNAL, trace_pb2.Span.SPAN_KIND_CLIENT,
               trace_pb2.Span.SPAN_KIND_PRODUCER}
ERROR = trace_pb2.Status.STATUS_CODE_ERROR


def hex_ids_to_base64(value, where, problems):
    """Replaces OTLP/JSON's hex ids by the base64 the protobuf JSON mapping reads."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ID_BYTES and isinstance(item, str):
                try:
                    raw = bytes.fromhex(item)
                except ValueError:
                    problems.append(f"{where}: {key} {item!r} is not hex")
                    continue
                if len(raw) != ID_BYTES[key] or item != item.lower():
                    problems.append(f"{where}: {key} {item!r} is not {ID_BYTES[key]} bytes of lower-case hex")
                if not any(raw):
                    problems.append(f"{where}: {key} is all zeros")
                value[key] = base64.b64encode(raw).decode()
            else:
                hex_ids_to_base64(item, where, problems)
    elif isinstance(value, list):
        for item in value:
            hex_ids_to_base64(item, where, problems)


def main(path):
    problems = []
    spans = {}  # (trace, span) -> (span, resource instance, line)
    lines = 0
    with open(path, encoding="utf-8") as file:
        for number, text in enumerate(file, start=1):
            where = f"{path}:{number}"
            lines += 1
            try:
                document = json.loads(text)
            except json.JSONDecodeError as error:
                problems.append(f"{where}: not JSON: {error}")
                continue
            hex_ids_to_base64(document, where, problems)
            request = trace_service_pb2.ExportTraceServiceRequest()
            try:
                json_format.Parse(json.dumps(document), request, ignore_unknown_fields=False)
            except json_format.ParseError as error:
                problems.append(f"{where}: {error}")
                continue
            for resource_spans in request.resource_spans:
                instance = next((a.value.string_value for a in resource_spans.resource.attributes
                                 if a.key == "service.instance.id"), None)
                if instance is None:
                    problems.append(f"{where}: a resource without service.instance.id")
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        key = (span.trace_id, span.span_id)
                        if key in spans:
                            problems.append(f"{where}: span {span.span_id.hex()} twice in trace {span.trace_id.hex()}")
                        spans[key] = (span, instance, number)
    roots = {}
    for (trace, _), (span, _, _) in spans.items():
        if not span.parent_span_id:
            roots[trace] = span
    orphans = 0
    outlived = 0
    for (trace, _), (span, instance, number) in spans.items():
        if not span.parent_span_id:
            continue
        where = f"{path}:{number}: span {span.span_id.hex()} ({span.name}) of trace {trace.hex()}"
        parent = spans.get((trace, span.parent_span_id))
        if parent is None:
            root = roots.get(trace)
            if root is None or root.status.code == ERROR:
                orphans += 1
            else:
                problems.append(f"{where}: parent {span.parent_span_id.hex()} is not in the file")
            continue
        parent, parent_instance, _ = parent
        if span.start_time_unix_nano < parent.start_time_unix_nano:
            problems.append(f"{where}: starts before its parent")
        local = span.kind in LOCAL_KINDS and instance == parent_instance
        if local and span.end_time_unix_nano > parent.end_time_unix_nano:
            if parent.kind in (trace_pb2.Span.SPAN_KIND_SERVER, trace_pb2.Span.SPAN_KIND_CONSUMER):
                outlived += 1
            else:
                problems.append(f"{where}: ends after its parent {parent.name}")
        if span.end_time_unix_nano < span.start_time_unix_nano:
            problems.append(f"{where}: ends before it starts")
    for problem in problems[:50]:
        print(problem)
    if len(problems) > 50:
        print(f"... and {len(problems) - 50} more")
    print(f"{path}: {lines} lines, {len(spans)} spans in {len(roots)} rooted traces, "
          f"{orphans} spans of unfinished traces without their parent, "
          f"{outlived} calls outliving the visit that gave up on them, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
