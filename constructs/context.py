"""What every construct of one environment shares: its resource names and its tags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from retailflow.config import EnvironmentConfig
from retailflow.naming import MANAGED_BY, azure_name


@dataclass(frozen=True)
class PlatformContext:
    config: EnvironmentConfig
    expires_on: dt.date | None = None
    extra_tags: dict[str, str] = field(default_factory=dict)

    def name(self, resource_type: str, qualifier: str = "") -> str:
        return azure_name(
            resource_type,
            prefix=self.config.naming.prefix,
            environment=self.config.name,
            region_code=self.config.azure.region_code,
            subscription_id=self.config.azure.subscription_id,
            qualifier=qualifier,
        )

    @property
    def location(self) -> str:
        return self.config.azure.location

    @property
    def tags(self) -> dict[str, str]:
        """Required on every taggable resource: env, owner, cost_center, managed_by (+ expires_on for features)."""
        tags = {
            "env": self.config.name,
            "owner": self.config.tags.owner,
            "cost_center": self.config.tags.cost_center,
            "managed_by": MANAGED_BY,
        }
        if self.expires_on is not None:
            tags["expires_on"] = self.expires_on.isoformat()
        return {**tags, **self.extra_tags}


REQUIRED_TAGS = ("env", "owner", "cost_center", "managed_by")
