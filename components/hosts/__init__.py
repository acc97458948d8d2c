"""Flow 1: the Docker hosts and the Ansible run."""
