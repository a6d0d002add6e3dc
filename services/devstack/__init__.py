"""Local stack provisioning: a real Kafka broker from Maven jars and an embedded PostgreSQL.

Used by `kinlink up/down`, by `make demo` / `make test`, and by the integration-test fixtures.
Nothing here runs in production, where services are given external `KINLINK_KAFKA_BOOTSTRAP`
and `KINLINK_DATABASE_URL` instead.
"""
