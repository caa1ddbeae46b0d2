"""Prometheus metrics of one app instance (its own registry, so two apps in one process, as in
the tests, never share or clash). With several uvicorn workers each process reports its own."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.02, 0.04, 0.06, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 24, 32, 48, 64, 128)


class Metrics:
    """Requests by route and status, latency, micro-batch sizes, queue depth, work done."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "nmt_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nmt_request_duration_seconds",
            "HTTP request latency by route template",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "nmt_batch_size",
            "Texts per micro-batch run through a Translator",
            ["model"],
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "nmt_queue_depth", "Texts waiting for a micro-batch", ["model"], registry=self.registry
        )
        self.tokens = Counter(
            "nmt_tokens_translated",
            "Output tokens produced (best hypotheses)",
            ["model"],
            registry=self.registry,
        )
        self.segments = Counter(
            "nmt_segments_translated",
            "Sentences translated",
            ["model"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "nmt_rejected",
            "Texts refused by the batcher: queue full (503) or deadline passed (504)",
            ["model", "reason"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
