"""Network: VNet, Databricks host/container subnets (delegated, NSG-associated, no default outbound access, so
explicit egress: a NAT gateway or a route to a hub firewall), a private-endpoint subnet and, when private networking
is on, the private DNS zones linked to the VNet."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    NatGateway,
    NatGatewayPublicIpAssociation,
    NetworkSecurityGroup,
    PrivateDnsZone,
    PrivateDnsZoneVirtualNetworkLink,
    PublicIp,
    RouteTable,
    RouteTableRoute,
    Subnet,
    SubnetDelegation,
    SubnetDelegationServiceDelegation,
    SubnetNatGatewayAssociation,
    SubnetNetworkSecurityGroupAssociation,
    SubnetRouteTableAssociation,
    TerraformResource,
    VirtualNetwork,
)
from retailflow.config.models import EgressSettings, NetworkSettings
from retailflow.constructs.context import PlatformContext

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
    """Outputs: `vnet_id`, the Databricks subnet names and NSG association ids, `egress` (the subnets' egress
    associations: what a cluster needs before it can start), `private_endpoint_subnet_id`, `private_dns_zone_ids`
    (empty when networking is public)."""

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
        self.egress = self._egress(props, [("host", host), ("container", container)])
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

    def _egress(self, props: NetworkProps, subnets: list[tuple[str, Subnet]]) -> list[TerraformResource]:
        """The Databricks subnets' way out: a NAT gateway with a static public IP, or a default route to the hub
        firewall the config names."""
        ctx, rg, egress = props.context, props.resource_group_name, props.settings.egress
        if egress.kind == "firewall":
            table = RouteTable(
                self,
                "egress-routes",
                name=ctx.name("route_table", "egress"),
                resource_group_name=rg,
                location=ctx.location,
                bgp_route_propagation_enabled=False,
                route=[_default_route(egress)],
                tags=ctx.tags,
            )
            return [
                SubnetRouteTableAssociation(self, f"egress-{role}", subnet_id=snet.id, route_table_id=table.id)
                for role, snet in subnets
            ]
        address = PublicIp(
            self,
            "egress-ip",
            name=ctx.name("public_ip", "egress"),
            resource_group_name=rg,
            location=ctx.location,
            allocation_method="Static",
            sku="Standard",
            zones=["1", "2", "3"],
            tags=ctx.tags,
        )
        gateway = NatGateway(
            self,
            "egress-nat",
            name=ctx.name("nat_gateway", "egress"),
            resource_group_name=rg,
            location=ctx.location,
            sku_name="Standard",
            idle_timeout_in_minutes=10,
            tags=ctx.tags,
        )
        ip_association = NatGatewayPublicIpAssociation(
            self, "egress-nat-ip", nat_gateway_id=gateway.id, public_ip_address_id=address.id
        )
        return [
            SubnetNatGatewayAssociation(
                self, f"egress-{role}", subnet_id=snet.id, nat_gateway_id=gateway.id, depends_on=[ip_association]
            )
            for role, snet in subnets
        ]


def _default_route(egress: EgressSettings) -> RouteTableRoute:
    return RouteTableRoute(
        name="default-to-firewall",
        address_prefix="0.0.0.0/0",
        next_hop_type="VirtualAppliance",
        next_hop_in_ip_address=str(egress.firewall_private_ip),
    )
