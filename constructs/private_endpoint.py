"""A private endpoint for one sub-resource of a service, registered in its private DNS zone."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    PrivateEndpoint,
    PrivateEndpointPrivateDnsZoneGroup,
    PrivateEndpointPrivateServiceConnection,
)
from retailflow.constructs.context import PlatformContext


@dataclass(frozen=True)
class PrivateAccess:
    """Where a service's private endpoints go: the endpoint subnet and the DNS zone id per sub-resource kind."""

    resource_group_name: str
    subnet_id: str
    dns_zone_ids: dict[str, str]


def add_private_endpoint(
    scope: Construct,
    ctx: PlatformContext,
    access: PrivateAccess,
    *,
    target_id: str,
    target_kind: str,
    subresource: str,
    dns_zone_key: str,
) -> PrivateEndpoint:
    name = ctx.name("private_endpoint", f"{target_kind}-{subresource.replace('_', '-')}")
    return PrivateEndpoint(
        scope,
        f"pe-{subresource}",
        name=name,
        resource_group_name=access.resource_group_name,
        location=ctx.location,
        subnet_id=access.subnet_id,
        private_service_connection=PrivateEndpointPrivateServiceConnection(
            name=f"{name}-connection",
            is_manual_connection=False,
            private_connection_resource_id=target_id,
            subresource_names=[subresource],
        ),
        private_dns_zone_group=PrivateEndpointPrivateDnsZoneGroup(
            name="default", private_dns_zone_ids=[access.dns_zone_ids[dns_zone_key]]
        ),
        tags=ctx.tags,
    )


def add_storage_private_endpoints(
    scope: Construct, ctx: PlatformContext, access: PrivateAccess, *, target_id: str, target_kind: str
) -> None:
    """The dfs and blob endpoints of a storage account whose firewall admits only its private endpoints."""
    for subresource in ("dfs", "blob"):
        add_private_endpoint(
            scope,
            ctx,
            access,
            target_id=target_id,
            target_kind=target_kind,
            subresource=subresource,
            dns_zone_key=subresource,
        )
