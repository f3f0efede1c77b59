"""The platform API client resource (api-v2 subset; the bundled simulator by default)."""

from __future__ import annotations

import dagster as dg
from pydantic import Field

from resources.crawler import Crawler


class PlatformAPI(dg.ConfigurableResource):
    """Settings of the crawler; ``client_id`` comes from ``OFFBEAT_CLIENT_ID`` via ``dg.EnvVar``."""

    base_url: str = Field(default="http://127.0.0.1:8765", description="API root (env OFFBEAT_API_BASE_URL).")
    client_id: str = Field(description="API client id: a secret, set with dg.EnvVar('OFFBEAT_CLIENT_ID').")
    concurrency: int = Field(default=64, description="Requests in flight at most.")
    rate_limit_rps: float = Field(default=0, description="Token-bucket cap on requests/s (0 = none).")
    timeout_s: float = Field(default=10.0, description="Per-request timeout.")
    max_retries: int = Field(default=8, description="Retries of one request before it is a failure.")
    backoff_base_s: float = Field(default=0.05, description="First backoff step (doubles, full jitter).")
    backoff_max_s: float = Field(default=5.0, description="Longest single backoff.")

    def crawler(self) -> Crawler:
        return Crawler(
            self.base_url,
            self.client_id,
            concurrency=self.concurrency,
            rate_limit_rps=self.rate_limit_rps,
            timeout_s=self.timeout_s,
            max_retries=self.max_retries,
            backoff_base_s=self.backoff_base_s,
            backoff_max_s=self.backoff_max_s,
        )
