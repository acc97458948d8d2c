"""The lifecycle commands own the hosts' running state: the program never sets it, so a
stop or a start outside Pulumi is no drift for the next preview or up."""

from __future__ import annotations

from tests.harness.pulumi_program import evaluate

INSTANCE = "aws:ec2/instance:Instance"


def test_the_program_sets_no_instance_state() -> None:
    """No Instance input names a state and no InstanceState resource exists; each host's
    interface outlives its instance and carries the Elastic IP, so addresses survive."""
    evaluation = evaluate({"dockyard:hostCount": "2"})
    instances = evaluation.of_type(INSTANCE)
    assert len(instances) == 2
    for instance in instances:
        assert "instanceState" not in instance.inputs
        assert instance.inputs["primaryNetworkInterface"]["deleteOnTermination"] is False
    assert not evaluation.of_type("aws:ec2/instanceState:InstanceState")
    eips = evaluation.of_type("aws:ec2/eip:Eip")
    assert len(eips) == 2 and all("networkInterface" in e.inputs for e in eips)
    assert all("instance" not in e.inputs for e in eips)
