"""Network: VNet, Databricks host/container subnets (delegated, NSG-associated), a private-endpoint subnet and,
when private networking is on, the private DNS zones linked to the VNet."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.config.models import NetworkSettings
from retailflow.constructs.context import PlatformContext
from retailflow.providers import (
    NetworkSecurityGroup,
    PrivateDnsZone,
    PrivateDnsZoneVirtualNetworkLink,
    Subnet,
    SubnetDelegation,
    SubnetDelegationServiceDelegation,
    SubnetNetworkSecurityGroupAssociation,
    VirtualNetwork,
)

DATABRICKS_DELEGATION_ACTIONS = [
    "Microsoft.Network/virtualNetworks/subnets/join/action",
    "Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action",
    "Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action",
]
PRIVATE_DNS_ZONES = {
    "dfs": "privatelink.dfs.core.windows.net",
    "blob": "privatelink.blob.core.windows.net",
    "vault": "privatelink.vaultcore.azure.net",
    "databricks": "privatelink.azuredatabricks.net",
}


@dataclass(frozen=True)
class NetworkProps:
    context: PlatformContext
    resource_group_name: str
    settings: NetworkSettings


class Network(Construct):
    """Outputs: `vnet_id`, the Databricks subnet names and NSG association ids, `private_endpoint_subnet_id`,
    `private_dns_zone_ids` (empty when networking is public)."""

    def __init__(self, scope: Construct, id_: str, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        ctx, rg, settings = props.context, props.resource_group_name, props.settings
        self.vnet = VirtualNetwork(
            self,
            "vnet",
            name=ctx.name("virtual_network"),
            resource_group_name=rg,
            location=ctx.location,
            address_space=[str(settings.vnet_cidr)],
            tags=ctx.tags,
        )
        self.vnet_id = self.vnet.id

        def subnet(role: str, cidr: str, databricks: bool) -> tuple[Subnet, SubnetNetworkSecurityGroupAssociation]:
            nsg = NetworkSecurityGroup(
                self,
                f"nsg-{role}",
                name=ctx.name("network_security_group", role),
                resource_group_name=rg,
                location=ctx.location,
                tags=ctx.tags,
            )
            delegation = (
                [
                    SubnetDelegation(
                        name="databricks",
                        service_delegation=SubnetDelegationServiceDelegation(
                            name="Microsoft.Databricks/workspaces", actions=DATABRICKS_DELEGATION_ACTIONS
                        ),
                    )
                ]
                if databricks
                else None
            )
            snet = Subnet(
                self,
                f"snet-{role}",
                name=ctx.name("subnet", role),
                resource_group_name=rg,
                virtual_network_name=self.vnet.name,
                address_prefixes=[cidr],
                default_outbound_access_enabled=False,
                private_endpoint_network_policies="Enabled",
                delegation=delegation,
            )
            association = SubnetNetworkSecurityGroupAssociation(
                self, f"nsg-{role}-association", subnet_id=snet.id, network_security_group_id=nsg.id
            )
            return snet, association

        host, self.host_nsg_association = subnet("host", str(settings.host_subnet_cidr), databricks=True)
        container, self.container_nsg_association = subnet(
            "container", str(settings.container_subnet_cidr), databricks=True
        )
        endpoints, _ = subnet("endpoints", str(settings.private_endpoint_subnet_cidr), databricks=False)
        self.host_subnet_name = host.name
        self.container_subnet_name = container.name
        self.private_endpoint_subnet_id = endpoints.id

        self.private_dns_zone_ids: dict[str, str] = {}
        if settings.private:
            for key, zone_name in PRIVATE_DNS_ZONES.items():
                zone = PrivateDnsZone(self, f"dns-{key}", name=zone_name, resource_group_name=rg, tags=ctx.tags)
                PrivateDnsZoneVirtualNetworkLink(
                    self,
                    f"dns-{key}-link",
                    name=f"link-{key}",
                    resource_group_name=rg,
                    private_dns_zone_name=zone.name,
                    virtual_network_id=self.vnet.id,
                    registration_enabled=False,
                    tags=ctx.tags,
                )
                self.private_dns_zone_ids[key] = zone.id
