"""The local development stack: Kafka from Maven Central jars, embedded PostgreSQL, services.

The services never import this package; in production they are given external
`KINLINK_KAFKA_BOOTSTRAP` and `KINLINK_DATABASE_URL` instead. `kinlink infra` (infra_cli.py,
k8s_topics.py) also lives here: the deployment helpers derived from the topic list, which
compose's topics job and the Kubernetes manifests use.
"""
