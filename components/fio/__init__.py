"""Flow 2: fio benchmarks on ECS."""
