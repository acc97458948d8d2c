"""dockyard's policy pack: `pulumi preview --policy-pack policy` (see dockyard_policies.py)."""

from dockyard_policies import policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="dockyard-safe-defaults",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(),
)
