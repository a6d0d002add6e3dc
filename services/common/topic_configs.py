"""Bringing the configs of existing topics in line with the topic list (infra/kafka/topics.yaml).

Creation applies a spec's configs to a new topic only; a topic created from an older list (for
instance `kinlink.registrations` with `cleanup.policy=delete`, before erasure relied on
compaction) keeps its old configs until they are altered. `reconcile_configs` alters them.

aiokafka offers only Kafka's legacy AlterConfigs request (not IncrementalAlterConfigs), which
REPLACES a topic's overrides with the set it sends. So this reads the topic's current dynamic
overrides, lays the spec's configs over them and writes the merged set, only when a value the
list sets differs: overrides set by hand that the list does not name survive. Two operators
reconciling one topic at the very same moment could lose one's hand-made change (read, merge,
write is not atomic); `kinlink infra topics` is an operator's command, run once per deployment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import for_code

log = logging.getLogger(__name__)

DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs `config_source`: an override set on the topic itself


def merged_overrides(
    current: Mapping[str, str], wanted: Mapping[str, str]
) -> dict[str, str] | None:
    """The overrides to write (the current ones, with the wanted values laid over them), or
    None when every wanted value is already in place."""
    if all(current.get(name) == value for name, value in wanted.items()):
        return None
    return {**current, **wanted}


def _check(error_code: int, message: str | None, what: str) -> None:
    if error_code:
        raise for_code(error_code)(f"{what}: {message or ''}")


async def topic_overrides(admin: Any, names: list[str]) -> dict[str, dict[str, str]]:
    """Each topic's dynamic overrides (the configs set on the topic, not the broker defaults)."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    overrides: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for error_code, message, _kind, name, entries in response.resources:
            _check(error_code, message, f"describe configs of {name}")
            # entry: (name, value, read_only, config_source, is_sensitive, synonyms), v1+
            found = {entry[0]: entry[1] for entry in entries if entry[3] == DYNAMIC_TOPIC_CONFIG}
            if any(value is None for value in found.values()):
                # A sensitive override cannot be read back, so it cannot be re-sent either.
                raise RuntimeError(f"{name} has a sensitive config override: alter it by hand")
            overrides[name] = found
    return overrides


async def reconcile_configs(
    admin: Any, wanted: Mapping[str, Mapping[str, str]]
) -> dict[str, list[str]]:
    """Alter the existing topics in `wanted` (name -> configs) whose configs differ; return,
    per altered topic, the names of the configs that changed."""
    if not wanted:
        return {}
    current = await topic_overrides(admin, list(wanted))
    changes: dict[str, list[str]] = {}
    resources = []
    for name, configs in wanted.items():
        merged = merged_overrides(current.get(name, {}), configs)
        if merged is None:
            continue
        before = current.get(name, {})
        changes[name] = sorted(k for k, v in configs.items() if before.get(k) != v)
        resources.append(ConfigResource(ConfigResourceType.TOPIC, name, merged))
    if resources:
        for response in await admin.alter_configs(resources):
            for error_code, message, _kind, name in response.resources:
                _check(error_code, message, f"alter configs of {name}")
        await _wait_until_visible(admin, {name: wanted[name] for name in changes})
        for name, changed in changes.items():
            log.info("topic configs reconciled: %s (%s)", name, ", ".join(changed))
    return changes


async def _wait_until_visible(
    admin: Any, wanted: Mapping[str, Mapping[str, str]], timeout: float = 30.0
) -> None:
    """A KRaft broker answers AlterConfigs once the controller committed the change, and may
    describe the old values for a moment after; wait until it describes the new ones, so a
    caller (or a second run) never sees the topic as not reconciled yet."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        current = await topic_overrides(admin, list(wanted))
        pending = [n for n, c in wanted.items() if merged_overrides(current[n], c) is not None]
        if not pending:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"configs not applied after {timeout:.0f} s: {', '.join(pending)}")
        await asyncio.sleep(0.2)
