"""What `make demo` runs: the local stack, the services, and a scenario flowing through them."""
