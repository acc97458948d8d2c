"""Flow 3: the Rails app and its database on ECS."""
