"""Local stack provisioning: a real Kafka broker from Maven jars and an embedded PostgreSQL.

Used by `kinlink up/down`, by `make demo` / `make test`, and by the integration-test fixtures.
None of that runs in production, where services are given external `KINLINK_KAFKA_BOOTSTRAP`
and `KINLINK_DATABASE_URL` instead. The deployment helpers derived from the topic list
(`kinlink infra`: infra_cli.py, k8s_topics.py) live here too; compose's topics job runs them.
"""
