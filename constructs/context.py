"""What every construct of one environment shares: its resource names and its tags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from retailflow.config import EnvironmentConfig
from retailflow.naming import MANAGED_BY, azure_name


@dataclass(frozen=True)
class PlatformContext:
    """The environment's naming inputs and required tags, the only part of its config every construct needs."""

    environment: str
    prefix: str
    location: str
    region_code: str
    subscription_id: str
    owner: str
    cost_center: str
    expires_on: dt.date | None = None
    extra_tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, config: EnvironmentConfig, expires_on: dt.date | None = None) -> PlatformContext:
        return cls(
            environment=config.name,
            prefix=config.naming.prefix,
            location=config.azure.location,
            region_code=config.azure.region_code,
            subscription_id=config.azure.subscription_id,
            owner=config.tags.owner,
            cost_center=config.tags.cost_center,
            expires_on=expires_on,
        )

    def name(self, resource_type: str, qualifier: str = "") -> str:
        return azure_name(
            resource_type,
            prefix=self.prefix,
            environment=self.environment,
            region_code=self.region_code,
            subscription_id=self.subscription_id,
            qualifier=qualifier,
        )

    @property
    def tags(self) -> dict[str, str]:
        """Required on every taggable resource: env, owner, cost_center, managed_by (+ expires_on for features)."""
        tags = {"env": self.environment, "owner": self.owner, "cost_center": self.cost_center, "managed_by": MANAGED_BY}
        if self.expires_on is not None:
            tags["expires_on"] = self.expires_on.isoformat()
        return {**tags, **self.extra_tags}


REQUIRED_TAGS = ("env", "owner", "cost_center", "managed_by")
