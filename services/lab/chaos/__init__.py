"""The chaos harness (`kinlink chaos`, `make chaos`): a generated scenario through the whole
system (intake over HTTP, Kafka, correlator, notifier with SSE and webhook subscribers) while
processes, brokers and the database are killed, compared with a fault-free run of the same
scenario. Nothing accepted may be lost or duplicated, and every notification must arrive."""
