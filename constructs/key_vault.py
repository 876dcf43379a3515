"""Key Vault: RBAC authorization, purge protection, deny-by-default network ACLs, a private endpoint when private."""

from __future__ import annotations

from dataclasses import dataclass

from constructs import Construct
from retailflow.cdk import (
    AzureKeyVault,
    KeyVaultKey,
    KeyVaultKeyRotationPolicy,
    KeyVaultKeyRotationPolicyAutomatic,
    KeyVaultNetworkAcls,
    RoleAssignment,
)
from retailflow.config.models import KeyVaultSettings
from retailflow.constructs.context import PlatformContext
from retailflow.constructs.private_endpoint import PrivateAccess, add_private_endpoint

KEY_VAULT_SECRETS_USER = "Key Vault Secrets User"


@dataclass(frozen=True)
class KeyVaultProps:
    context: PlatformContext
    resource_group_name: str
    tenant_id: str
    settings: KeyVaultSettings
    private_access: PrivateAccess | None


class KeyVault(Construct):
    """Outputs: `vault_id`, `vault_uri`, `vault_name`."""

    def __init__(self, scope: Construct, id_: str, props: KeyVaultProps) -> None:
        super().__init__(scope, id_)
        ctx = props.context
        self._ctx = ctx
        vault = AzureKeyVault(
            self,
            "vault",
            name=ctx.name("key_vault"),
            resource_group_name=props.resource_group_name,
            location=ctx.location,
            tenant_id=props.tenant_id,
            sku_name=props.settings.sku,
            rbac_authorization_enabled=True,
            purge_protection_enabled=True,
            soft_delete_retention_days=props.settings.soft_delete_retention_days,
            public_network_access_enabled=props.private_access is None,
            enabled_for_deployment=False,
            enabled_for_disk_encryption=False,
            enabled_for_template_deployment=False,
            network_acls=KeyVaultNetworkAcls(
                default_action="Deny", bypass="AzureServices", ip_rules=[], virtual_network_subnet_ids=[]
            ),
            tags=ctx.tags,
        )
        self.vault_id = vault.id
        self.vault_uri = vault.vault_uri
        self.vault_name = vault.name
        if props.private_access is not None:
            add_private_endpoint(
                self,
                ctx,
                props.private_access,
                target_id=vault.id,
                target_kind="kv",
                subresource="vault",
                dns_zone_key="vault",
            )

    def grant_secrets_user(self, id_: str, principal_id: str) -> RoleAssignment:
        """Read secrets (RBAC-authorized vault): for the AzureDatabricks app behind a Key Vault-backed scope."""
        return RoleAssignment(
            self,
            id_,
            scope=self.vault_id,
            role_definition_name=KEY_VAULT_SECRETS_USER,
            principal_id=principal_id,
            principal_type="ServicePrincipal",
        )

    def add_encryption_key(self, id_: str, purpose: str) -> KeyVaultKey:
        """An RSA-HSM key for customer-managed encryption, rotated yearly, expiring after two years."""
        return KeyVaultKey(
            self,
            id_,
            name=self._ctx.name("key_vault_key", purpose),
            key_vault_id=self.vault_id,
            key_type="RSA-HSM",
            key_size=3072,
            key_opts=["wrapKey", "unwrapKey"],
            expiration_date="2028-12-31T00:00:00Z",
            rotation_policy=KeyVaultKeyRotationPolicy(
                expire_after="P2Y",
                notify_before_expiry="P30D",
                automatic=KeyVaultKeyRotationPolicyAutomatic(time_before_expiry="P60D"),
            ),
            tags=self._ctx.tags,
        )
