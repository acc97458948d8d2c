"""Flow 1 without Pulumi: inventory, EC2 discovery, cloud-init, the Ansible hand-off,
the logic of the Docker Machine-style commands."""
