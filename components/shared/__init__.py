"""What the flows share: network, load balancer, ECS cluster and roles, images, buckets."""
