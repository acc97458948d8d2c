"""Flow 3 without Pulumi: ECS container definitions and one-off tasks for the Rails app."""
